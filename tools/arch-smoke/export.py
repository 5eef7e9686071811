#!/usr/bin/python3
"""Exports torchvision architectures with random weights (nothing downloaded) to ONNX, input [N,3,224,224].

Run: /usr/bin/python3 tools/arch-smoke/export.py OUT_DIR NAME...   (Debian python3-torch, python3-torchvision)
The weights are random: these models check that histoscan plans, builds and scores on each architecture's
graph (its ops, layer shapes and sizes), not how well it detects.
"""
import sys

import torch
import torchvision.models as models

out, names = sys.argv[1], sys.argv[2:]
torch.manual_seed(0)
for name in names:
    model = getattr(models, name)(weights=None).eval()
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), f'{out}/{name}.onnx', input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'N'}, 'logits': {0: 'N'}}, opset_version=13)
    print('exported', name, flush=True)
