"""Write torch's logits for a few images, for verify-onnx.mjs to compare with onnxruntime.

    /usr/bin/python3 tools/photo-model/torch_reference.py --models DIR --out .cache/photo-model

Images: the first 4 files of sets/clean/test, sets/drawn/test and sets/pgd-4/test, read back from the PNGs.
Writes OUT/torch-reference.json: {"files": [...relative to OUT], "logits": [[80 floats], ...]}.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert import load  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--models', required=True)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    net = load(args.models)
    files = []
    for s in ('clean', 'drawn', 'pgd-4'):
        d = os.path.join('sets', s, 'test')
        files += [os.path.join(d, f) for f in sorted(os.listdir(os.path.join(args.out, d))) if f.endswith('.png')][:4]
    x = np.stack([np.asarray(Image.open(os.path.join(args.out, f)).convert('RGB'), np.float32) for f in files])
    with torch.no_grad():
        z = net(torch.from_numpy(x).permute(0, 3, 1, 2).contiguous())
    json.dump({'files': files, 'logits': z.tolist()}, open(os.path.join(args.out, 'torch-reference.json'), 'w'))
    print(f'torch logits for {len(files)} images -> torch-reference.json')
    # for check-tfjs.mjs: 3 clean images at the network's native 512x512 (NHWC, as tfjs takes them) and
    # torch's class heat-map logits for them (NHWC), to compare the torch port with the original tfjs graph
    imgs = [Image.open(os.path.join(args.out, f)).convert('RGB').resize((512, 512), Image.BILINEAR) for f in files[:3]]
    x512 = np.stack([np.asarray(im, np.float32) for im in imgs])
    with torch.no_grad():
        heat = net.heatmap(torch.from_numpy(x512).permute(0, 3, 1, 2).contiguous()).permute(0, 2, 3, 1).numpy()
    x512.astype('<f4').tofile(os.path.join(args.out, 'tfjs-input-3x512x512x3.f32'))
    heat.astype('<f4').tofile(os.path.join(args.out, 'torch-heat-3x128x128x80.f32'))


if __name__ == '__main__':
    main()
