#!/usr/bin/python3
"""A small vision transformer on Fashion-MNIST: histoscan's transformer-family validation model.

The default model is a CNN and the photo model a MobileNetV3; this one checks that `--layers auto`,
the byte-budget plan and the Gaussian part hold on a transformer's [tokens, hidden] activations.
Trained here on the same 49,000 Fashion-MNIST training images as the default model (so the default
model's background, calibration, clean, synth and ood-mnist sets in data/ serve it unchanged); the
four attacks are redone white-box against it.

Needs: apt-get install python3-torch python3-onnx dataset-fashion-mnist (as tools/model/build.py)
Run:   /usr/bin/python3 tools/vit-model/build.py        (about 25 minutes on 2 cores)
Writes .cache/vit-model/{model.onnx, model.json, stats.json} and .cache/vit-model/sets/<attack>/*.png.
"""
import hashlib
import importlib.util
import json
import os
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('build', os.path.join(HERE, '..', 'model', 'build.py'))
B = importlib.util.module_from_spec(spec)
spec.loader.exec_module(B)  # seeds torch/numpy/random with the default model's seed
OUT = os.path.join(B.ROOT, '.cache', 'vit-model')
EPOCHS = int(os.environ.get('VIT_EPOCHS', '8'))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(norm1(x)), then x + mlp(norm2(x)) with a GELU MLP."""

    def __init__(self, d, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, hidden)
        self.act = nn.GELU()  # exported as Erf arithmetic below opset 20
        self.fc2 = nn.Linear(hidden, d)

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.fc2(self.act(self.fc1(self.norm2(x))))


class ViT(nn.Module):
    """Patch 7 (4x4 = 16 tokens) + class token, width 64, 4 blocks of 4 heads, MLP 128, head on the class token."""

    def __init__(self, d=64, depth=4, heads=4, hidden=128, classes=10):
        super().__init__()
        self.embed = nn.Conv2d(1, d, 7, 7)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.randn(1, 17, d) * 0.02)
        self.blocks = nn.Sequential(*[Block(d, heads, hidden) for _ in range(depth)])
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        t = self.embed(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls.expand(t.shape[0], -1, -1), t], 1) + self.pos
        return self.head(self.norm(self.blocks(t))[:, 0])


def main():
    t_all = time.time()
    fm = B.FMNIST
    train_x, train_y = B.idx(f'{fm}/train-images-idx3-ubyte.gz'), B.idx(f'{fm}/train-labels-idx1-ubyte.gz')
    test_x, test_y = B.idx(f'{fm}/t10k-images-idx3-ubyte.gz'), B.idx(f'{fm}/t10k-labels-idx1-ubyte.gz')
    perm = np.random.RandomState(B.SEED).permutation(len(train_x))
    fit_idx = perm[11000:]  # as tools/model/build.py: neither background nor calibration
    xs, ys = B.to_tensor(train_x[fit_idx]), torch.from_numpy(train_y[fit_idx].astype(np.int64))

    model = ViT()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.05)
    steps = EPOCHS * ((len(xs) + 127) // 128)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    train_seconds = B.train(model, opt, xs, ys, EPOCHS, test_x, test_y, after_step=sched.step)
    model.eval()
    test_acc = float((B.predict(model, test_x).argmax(1).numpy() == test_y).mean())

    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, 'model.onnx')
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, opset_version=17, input_names=['input'],
                      output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
    onnx.checker.check_model(onnx.load(path))
    digest = hashlib.sha256(open(path, 'rb').read()).hexdigest()
    with open(os.path.join(OUT, 'model.json'), 'w') as f:
        json.dump({'inputName': 'input', 'outputName': 'logits', 'height': 28, 'width': 28, 'channels': 1, 'layout': 'nchw',
                   'scale': 255, 'mean': [0], 'std': [1], 'resize': 'stretch', 'classNames': B.CLASSES}, f, indent=2)

    # White-box attacks on data/clean, as tools/model/build.py makes them for the default model.
    clean_x = B.load_set('clean')
    clean_y = np.array(json.load(open(os.path.join(B.ROOT, 'data', 'clean', 'labels.json')))['labels'])
    x, y = B.to_tensor(clean_x), torch.from_numpy(clean_y.astype(np.int64))
    ok = B.predict(model, clean_x).argmax(1).numpy() == clean_y
    stats = {'model': {'sha256': digest, 'testAccuracy10k': test_acc, 'trainSeconds': round(train_seconds), 'epochs': EPOCHS}, 'sets': {}}
    for eps in (0.05, 0.1):
        for name, adv in ((f'fgsm-{eps}', B.fgsm(model, x, y, eps)), (f'pgd-{eps}', B.pgd(model, x, y, eps))):
            u8 = B.quantise(adv)
            d = os.path.join(OUT, 'sets', name)
            os.makedirs(d, exist_ok=True)
            for i, img in enumerate(u8):
                B.Image.fromarray(img, mode='L').save(os.path.join(d, f'{i:05d}.png'), optimize=True)
            with open(os.path.join(d, 'labels.json'), 'w') as f:
                json.dump({'labels': [int(v) for v in clean_y], 'source': f'{name} against the ViT on data/clean, uint8-quantised'}, f)
            pred = B.predict(model, u8).argmax(1).numpy()
            stats['sets'][name] = {'accuracy': float((pred == clean_y).mean()), 'attackSuccess': float((pred[ok] != clean_y[ok]).mean())}
            print(name, stats['sets'][name], flush=True)
    stats['cleanAccuracy'] = float(ok.mean())
    stats['seconds'] = round(time.time() - t_all)
    with open(os.path.join(OUT, 'stats.json'), 'w') as f:
        json.dump(stats, f, indent=2)
    print(json.dumps(stats))


if __name__ == '__main__':
    main()
