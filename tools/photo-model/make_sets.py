"""Build the photo model's image sets (224x224 RGB PNGs), seeded.

    /usr/bin/python3 tools/photo-model/make_sets.py --debs DIR --models DIR --out .cache/photo-model

DIR (--debs) holds the wallpaper packages and GCompris's data extracted with dpkg -x, one folder per package
name (GCompris's .rcc files unpacked by rcc.py).
Sets, under OUT/sets/:
  background/      photo crops from 60% of the source photos (split by source photo, seeded)
  calibration/     photo crops from another 20% of the source photos
  clean/{dev,test}/        photo crops from the last 20% of the source photos (never seen by background)
  rendered-art/{dev,test}/ crops of drawn/rendered wallpapers from the same Debian packages
  drawn/{dev,test}/        shapes and text drawn with PIL on flat/gradient backgrounds
  noise/{dev,test}/        half i.i.d. uniform noise, half smooth (blurred, upsampled) colour noise
  fashion-mnist/{dev,test}/ Fashion-MNIST test images, grey -> RGB, upscaled to 224 (bilinear)
  fgsm-8/{dev,test}/, pgd-4/{dev,test}/  white-box attacks (FGSM eps 8; PGD eps 4, 5 steps of 2, random start) on the converted model, made from clean/
Every folder has labels.json: {"labels": [model's top class per file, name order], "source": [...]}.
Crops: a random square of side U(max(0.35, 160 px / short side), 1.0) x the short side at a random place, random horizontal flip,
resized with PIL's LANCZOS (antialiased) to 224. dev/test halves: a seeded permutation of each set.
"""
import argparse
import gzip
import json
import os
import random
import sys
import time

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter, ImageFont

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert import COCO, SIZE, load  # noqa: E402

SEED = 20261125
Image.MAX_IMAGE_PIXELS = None
HERE = os.path.dirname(os.path.abspath(__file__))
N_BACKGROUND, N_CALIBRATION, N_CLEAN, N_ANOM = 1600, 500, 200, 200
MIN_CROP = 160  # px of the source: smaller crops of the small GCompris photos would be mostly upsampling
FMNIST = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'
FONTS = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
         '/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf']
WORDS = ('histoscan photo model anomaly river forest cat dog sunset mountain kite boat wine bottle flower garden '
         'stop sign 2026 hello world ONNX random text label sample').split()


def crops(rng, img, n):
    img = img.convert('RGB')
    w, h = img.size
    out = []
    for _ in range(n):
        side = int(rng.uniform(max(0.35, min(1.0, MIN_CROP / min(w, h))), 1.0) * min(w, h))
        x0, y0 = rng.randint(0, w - side), rng.randint(0, h - side)
        c = img.crop((x0, y0, x0 + side, y0 + side)).resize((SIZE, SIZE), Image.LANCZOS)
        if rng.random() < 0.5:
            c = c.transpose(Image.FLIP_LEFT_RIGHT)
        out.append((c, f'crop {x0},{y0},{side}'))
    return out


def crops_from(rng, debs, sources, total):
    """`total` crops spread evenly over `sources` (round-robin counts), each source opened once."""
    per = [total // len(sources) + (1 if i < total % len(sources) else 0) for i in range(len(sources))]
    out = []
    for (pkg, path, author, lic), n in zip(sources, per):
        img = Image.open(os.path.join(debs, pkg, path))
        out += [(c, f'{pkg}:/{path} ({author}, {lic}) {how}') for c, how in crops(rng, img, n)]
    return out


def drawn(rng, n):
    out = []
    for i in range(n):
        bg = tuple(rng.randint(0, 255) for _ in range(3))
        im = Image.new('RGB', (SIZE, SIZE), bg)
        d = ImageDraw.Draw(im)
        if rng.random() < 0.5:  # vertical gradient
            c2 = tuple(rng.randint(0, 255) for _ in range(3))
            for y in range(SIZE):
                t = y / (SIZE - 1)
                d.line([(0, y), (SIZE, y)], fill=tuple(int(a * (1 - t) + b * t) for a, b in zip(bg, c2)))
        for _ in range(rng.randint(1, 6)):
            col = tuple(rng.randint(0, 255) for _ in range(3))
            x0, y0 = rng.randint(-40, SIZE), rng.randint(-40, SIZE)
            x1, y1 = x0 + rng.randint(20, 160), y0 + rng.randint(20, 160)
            kind = rng.choice(['ellipse', 'rect', 'poly', 'line'])
            if kind == 'ellipse':
                d.ellipse([x0, y0, x1, y1], fill=col)
            elif kind == 'rect':
                d.rectangle([x0, y0, x1, y1], fill=col)
            elif kind == 'poly':
                d.polygon([(rng.randint(0, SIZE), rng.randint(0, SIZE)) for _ in range(rng.randint(3, 6))], fill=col)
            else:
                d.line([x0, y0, x1, y1], fill=col, width=rng.randint(2, 12))
        if i % 2 == 0:  # half of them carry text
            for _ in range(rng.randint(1, 3)):
                font = ImageFont.truetype(rng.choice(FONTS), rng.randint(14, 48))
                txt = ' '.join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
                d.text((rng.randint(0, SIZE // 2), rng.randint(0, SIZE - 30)), txt,
                       fill=tuple(rng.randint(0, 255) for _ in range(3)), font=font)
        out.append((im, 'drawn shapes' + (' + text' if i % 2 == 0 else '')))
    return out


def noise(nrng, n):
    out = []
    for i in range(n):
        if i % 2 == 0:
            a = nrng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
            out.append((Image.fromarray(a), 'uniform iid noise'))
        else:
            k = int(nrng.integers(4, 29))
            a = nrng.integers(0, 256, (k, k, 3), dtype=np.uint8)
            im = Image.fromarray(a).resize((SIZE, SIZE), Image.BICUBIC).filter(ImageFilter.GaussianBlur(2))
            out.append((im, f'smooth colour noise ({k}x{k} upsampled)'))
    return out


def fashion(nrng, n):
    with gzip.open(FMNIST) as f:
        raw = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    idx = nrng.choice(len(raw), n, replace=False)
    return [(Image.fromarray(raw[i]).convert('RGB').resize((SIZE, SIZE), Image.BILINEAR), f'fashion-mnist t10k #{i}')
            for i in idx]


def to_tensor(imgs):
    return torch.from_numpy(np.stack([np.asarray(im, np.float32) for im in imgs])).permute(0, 3, 1, 2).contiguous()


def predict(net, x, bs=32):
    with torch.no_grad():
        return torch.cat([net(x[i:i + bs]) for i in range(0, len(x), bs)])


def attack(net, x, eps, steps, alpha, rand_init, seed):
    """Untargeted attack on the top-1 class: maximise max_{k != c} z_k - z_c, L-inf ball of radius eps
    (in 0..255 pixel units), projected and clipped to [0, 255]."""
    g = torch.Generator().manual_seed(seed)
    c = predict(net, x).argmax(1)
    adv = x.clone()
    if rand_init:
        adv = (adv + (torch.rand(adv.shape, generator=g) * 2 - 1) * eps).clamp(0, 255)
    for _ in range(steps):
        outs = []
        for i in range(0, len(x), 16):
            a = adv[i:i + 16].clone().requires_grad_(True)
            z = net(a)
            zc = z.gather(1, c[i:i + 16, None])[:, 0]
            other = z.scatter(1, c[i:i + 16, None], -1e9).amax(1)
            (other - zc).sum().backward()
            outs.append(a.grad.sign())
        adv = adv + alpha * torch.cat(outs)
        adv = torch.min(torch.max(adv, x - eps), x + eps).clamp(0, 255).detach()
    return adv.round(), c


def save(folder, items, labels, meta=None):
    os.makedirs(folder, exist_ok=True)
    for i, (im, _) in enumerate(items):
        im.save(os.path.join(folder, f'{i:05d}.png'))
    doc = {'labels': labels, 'labelNames': [COCO[k] for k in labels], 'source': [s for _, s in items]}
    if meta:
        doc.update(meta)
    json.dump(doc, open(os.path.join(folder, 'labels.json'), 'w'), indent=1)


def split_save(root, name, items, labels, seed, meta=None):
    perm = np.random.default_rng(seed).permutation(len(items))
    half = len(items) // 2
    for part, idx in (('dev', perm[:half]), ('test', perm[half:])):
        idx = sorted(idx)
        save(os.path.join(root, name, part), [items[i] for i in idx], [labels[i] for i in idx], meta)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--debs', required=True)
    ap.add_argument('--models', required=True)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    nrng = np.random.default_rng(SEED)
    src = json.load(open(os.path.join(HERE, 'sources.json')))
    photos = list(src['photo'])
    rng.shuffle(photos)
    nb, nc = round(0.6 * len(photos)), round(0.2 * len(photos))
    groups = {'background': photos[:nb], 'calibration': photos[nb:nb + nc], 'clean': photos[nb + nc:]}
    net = load(args.models)
    root = os.path.join(args.out, 'sets')
    stats = {'seed': SEED, 'sourcePhotos': {k: [p[1] for p in v] for k, v in groups.items()}}
    t0 = time.time()
    made = {
        'background': crops_from(rng, args.debs, groups['background'], N_BACKGROUND),
        'calibration': crops_from(rng, args.debs, groups['calibration'], N_CALIBRATION),
        'clean': crops_from(rng, args.debs, groups['clean'], N_CLEAN),
        'rendered-art': crops_from(rng, args.debs, src['art'], N_ANOM),
        'drawn': drawn(rng, N_ANOM),
        'noise': noise(nrng, N_ANOM),
        'fashion-mnist': fashion(nrng, N_ANOM),
    }
    print(f'made images in {time.time() - t0:.0f} s')
    tensors = {}
    for k, items in made.items():
        x = to_tensor([im for im, _ in items])
        tensors[k] = x
        z = predict(net, x)
        p = torch.sigmoid(z)
        labels = z.argmax(1).tolist()
        stats[k] = {'images': len(items), 'meanTopSigmoid': round(float(p.max(1).values.mean()), 4),
                    'meanTopLogit': round(float(z.max(1).values.mean()), 4)}
        if k in ('background', 'calibration'):
            save(os.path.join(root, k), items, labels)
        else:
            split_save(root, k, items, labels, SEED + len(k))
        print(k, stats[k], f'{time.time() - t0:.0f} s')
    # attacks on the clean crops (white-box, on the torch twin of model.onnx)
    clean = tensors['clean']
    for name, eps, steps, alpha, rand_init in (('fgsm-8', 8.0, 1, 8.0, False), ('pgd-4', 4.0, 5, 2.0, True)):
        adv, c = attack(net, clean, eps, steps, alpha, rand_init, SEED)
        za = predict(net, adv)
        changed = (za.argmax(1) != c).float().mean().item()
        items = [(Image.fromarray(a.permute(1, 2, 0).numpy().astype(np.uint8)), f'{name} of clean #{i}')
                 for i, a in enumerate(adv)]
        split_save(root, name, items, za.argmax(1).tolist(), SEED + len('clean'),
                   {'attack': {'eps': eps, 'steps': steps, 'alpha': alpha, 'randomStart': rand_init,
                               'units': 'pixels 0..255'}})
        stats[name] = {'images': len(items), 'top1Changed': round(changed, 4),
                       'linf': float((adv - clean).abs().max())}
        print(name, stats[name], f'{time.time() - t0:.0f} s')
    json.dump(stats, open(os.path.join(args.out, 'sets', 'stats.json'), 'w'), indent=1)


if __name__ == '__main__':
    main()
