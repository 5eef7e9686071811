#!/usr/bin/python3
"""A fifth development model, of non-square input: a text-line direction classifier (upright or upside down) trained
here from scratch on rendered text, as OCR pipelines run one before reading a line. Builds into .cache/textline-model/:

  model.onnx, model.json   the model ([N, 3, 48, 192], pixels (x / 255 - 0.5) / 0.5, lines scaled to 48 rows and
                           padded on the right to 192 columns) and its spec
  sets/                    background (1,000), calibration (400), clean (400) lines, and anomalous sets of 400:
                           photo (crops of the photo model's source photos), noise, script (Chinese, Greek, Cyrillic
                           text), scribble (handwriting-like strokes), blank (empty or nearly empty lines),
                           fgsm-4 / fgsm-8 (white-box FGSM at 4 and 8 of 255 on the clean lines)

Every image is saved as the model is fed: scaled to 48 rows (its width by its aspect), so the attacks' pixels are the
ones the model saw and every set passes the same preprocessing. `histoscan eval --split dev|test` halves each set.

Run: /usr/bin/python3 tools/textline-model/build.py   (~10 minutes on 2 cores; training ~5)
Needs Debian's python3-torch python3-onnx python3-pil python3-numpy, the fonts of fonts-dejavu-core, fonts-liberation
and fonts-droid-fallback, and the photo model's source photos (bash tools/photo-model/build.sh, which fetches them).
"""
import glob, math, os, random, subprocess, sys, time

import numpy as np
import torch
import torch.nn as nn
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
OUT = os.path.join(ROOT, '.cache', 'textline-model')
SETS = os.path.join(OUT, 'sets')
H, W = 48, 192
torch.set_num_threads(2)
torch.manual_seed(0)


def package_fonts(*pkgs):
    files = subprocess.run(['dpkg', '-L', *pkgs], capture_output=True, text=True, check=True).stdout.split()
    return sorted(f for f in files if f.endswith('.ttf') and os.path.exists(f))


FONTS = package_fonts('fonts-dejavu-core', 'fonts-liberation')
CJK_FONT = '/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf'
WORDS = ('the of and invoice total amount date number account name address street city order payment due customer '
         'receipt balance item quantity price tax service phone email reference page report summary description code '
         'delivery shipping billing product unit cost net gross credit debit bank transfer office').split()
_fonts = {}


def font(path, size):
    return _fonts.setdefault((path, size), ImageFont.truetype(path, size))


def words(rng):
    parts = []
    for _ in range(rng.randint(1, 6)):
        r = rng.random()
        if r < 0.6:
            w = rng.choice(WORDS)
            w = w.capitalize() if rng.random() < 0.3 else w.upper() if rng.random() < 0.1 else w
        elif r < 0.85:
            w = str(rng.randint(0, 10 ** rng.randint(1, 7)))
        else:
            w = f'{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1990, 2030)}'
        parts.append(w)
    return ' '.join(parts) + (rng.choice([':', '.', ',', ' $', ' #']) if rng.random() < 0.3 else '')


def render(rng, text, path):
    """Dark text on a light background, 32-64 rows high, 100-500 columns wide."""
    h = rng.randint(32, 64)
    f = font(path, max(10, int(h * rng.uniform(0.5, 0.8))))
    l, t, r, b = f.getbbox(text)
    w = max(100, min(500, r - l + rng.randint(4, 30)))
    bg = rng.randint(205, 255)
    g = rng.randint(0, 80)
    img = Image.new('RGB', (w, h), tuple(min(255, bg + rng.randint(-8, 8)) for _ in range(3)))
    ImageDraw.Draw(img).text((rng.randint(1, max(1, min(15, w - (r - l)))) - l, (h - (b - t)) // 2 - t + rng.randint(-3, 3)), text,
                             font=f, fill=tuple(min(255, max(0, g + rng.randint(-15, 15))) for _ in range(3)))
    return img


def finish(rng, img):
    """Some blur and sensor noise, as scans and photos of documents have."""
    if rng.random() < 0.3:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    a = np.asarray(img).astype(np.float32)
    a += np.random.default_rng(rng.randint(0, 2 ** 31)).normal(0, rng.uniform(0, 8), a.shape)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def flip_half(rng, img):
    return img.rotate(180) if rng.random() < 0.5 else img


def line(rng):
    img = finish(rng, render(rng, words(rng), rng.choice(FONTS)))
    label = rng.randint(0, 1)
    return (img.rotate(180) if label else img), label


def fed(img):
    """Scaled to 48 rows, its width by its aspect (as histoscan's --resize pad scales it before padding)."""
    return img.convert('RGB').resize((max(1, math.ceil(H * img.width / img.height)), H), Image.BILINEAR)


def tensor(img):
    """The model's input: (x / 255 - 0.5) / 0.5, padded with zeros to 192 columns (a wider line is squeezed)."""
    img = fed(img)
    if img.width > W:
        img = img.resize((W, H), Image.BILINEAR)
    out = np.zeros((3, H, W), np.float32)
    out[:, :, :img.width] = (np.asarray(img).astype(np.float32) / 255 - 0.5).transpose(2, 0, 1) / 0.5
    return out


def size(rng):
    return rng.randint(100, 500), rng.randint(32, 64)


PHOTOS = sorted(p for p in glob.glob(os.path.join(ROOT, '.cache', 'photo-model', 'src', 'debs', '**', '*'), recursive=True)
                if p.lower().endswith(('.jpg', '.jpeg', '.png')) and os.path.getsize(p) > 20000)


def photo(rng):
    """A line-shaped crop of one of the photo model's source photos (Debian's wallpapers, GCompris's photos)."""
    while True:
        im = Image.open(rng.choice(PHOTOS)).convert('RGB')
        w, h = size(rng)
        if im.width < 64 or im.height < 32:
            continue
        s = max(w / im.width, h / im.height, rng.uniform(0.3, 1.0))
        im = im.resize((max(w, int(im.width * s)), max(h, int(im.height * s))), Image.BILINEAR)
        x, y = rng.randint(0, im.width - w), rng.randint(0, im.height - h)
        return im.crop((x, y, x + w, y + h))


def noise(rng):
    w, h = size(rng)
    g = np.random.default_rng(rng.randint(0, 1 << 30))
    a = g.integers(0, 256, (h, w, 3)) if rng.random() < 0.5 else np.clip(g.normal(rng.randint(100, 220), rng.randint(20, 70), (h, w, 3)), 0, 255)
    return Image.fromarray(a.astype(np.uint8))


def scribble(rng):
    w, h = size(rng)
    img = Image.new('RGB', (w, h), tuple([rng.randint(215, 255)] * 3))
    d = ImageDraw.Draw(img)
    x, ink = rng.randint(3, 15), tuple([rng.randint(0, 70)] * 3)
    while x < w - 20:
        pts, cx = [], x
        for _ in range(rng.randint(8, 25)):
            cx += rng.uniform(-2, 6)
            pts.append((cx, h / 2 + rng.uniform(-h * 0.35, h * 0.35)))
        d.line(pts, fill=ink, width=rng.randint(1, 3), joint='curve')
        x = cx + rng.randint(6, 20)
        if rng.random() < 0.15:
            break
    return flip_half(rng, finish(rng, img))


HAN = ''.join(chr(c) for c in range(0x4e00, 0x4e00 + 2000))
GREEK_CYRILLIC = 'αβγδεζηθικλμνξοπρστυφχψωАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЭЮЯабвгдежзийклмнопрстуфхцчшщэюя'


def script(rng):
    if rng.random() < 0.6:
        img = render(rng, ''.join(rng.choice(HAN) for _ in range(rng.randint(3, 14))), CJK_FONT)
    else:
        text = ' '.join(''.join(rng.choice(GREEK_CYRILLIC) for _ in range(rng.randint(2, 9))) for _ in range(rng.randint(1, 5)))
        img = render(rng, text, rng.choice([f for f in FONTS if 'DejaVu' in f]))
    return flip_half(rng, finish(rng, img))


def blank(rng):
    w, h = size(rng)
    v = rng.randint(200, 255)
    img = Image.new('RGB', (w, h), (v, v, min(255, v + rng.randint(-5, 5))))
    if rng.random() < 0.5:  # nearly blank: a few specks, maybe a faint rule
        d = ImageDraw.Draw(img)
        for _ in range(rng.randint(1, 6)):
            x, y = rng.randint(0, w - 3), rng.randint(0, h - 3)
            d.rectangle((x, y, x + rng.randint(0, 2), y + rng.randint(0, 2)), fill=(rng.randint(60, 180),) * 3)
        if rng.random() < 0.5:
            y = rng.randint(h // 2, h - 2)
            d.line((0, y, w, y), fill=(rng.randint(150, 200),) * 3)
    return finish(rng, img)


class SE(nn.Module):
    def __init__(self, c, r=4):
        super().__init__()
        self.pool, self.fc1, self.act = nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, c // r, 1), nn.ReLU()
        self.fc2, self.gate = nn.Conv2d(c // r, c, 1), nn.Hardsigmoid()

    def forward(self, x):
        return x * self.gate(self.fc2(self.act(self.fc1(self.pool(x)))))


def block(i, o):
    return nn.Sequential(nn.Conv2d(i, o, 3, 2, 1, bias=False), nn.BatchNorm2d(o), nn.Hardswish())


class Net(nn.Module):
    """Four strided conv blocks (BatchNorm, HardSwish), a squeeze-and-excitation gate, global pooling, a 2-class head."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(block(3, 16), block(16, 32), SE(32), block(32, 64), block(64, 96))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(96, 64), nn.Hardswish(), nn.Linear(64, 2))

    def forward(self, x):
        return self.head(self.pool(self.features(x)))


def fit(net, x, y, xv, yv, epochs, t0):
    """AdamW with a one-cycle rate over batches of 64, the validation accuracy said after each epoch (the orientation model's build takes it too)."""
    opt = torch.optim.AdamW(net.parameters(), 3e-3, weight_decay=1e-4)
    steps = len(x) // 64
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=epochs * steps)
    for ep in range(epochs):
        net.train()
        perm = torch.randperm(len(x))
        for b in range(steps):
            idx = perm[b * 64:(b + 1) * 64]
            loss = nn.functional.cross_entropy(net(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        net.eval()
        with torch.no_grad():
            acc = (net(xv).argmax(1) == yv).float().mean().item()
        print(f'epoch {ep + 1}: validation accuracy {acc:.3f} ({time.time() - t0:.0f} s)', flush=True)
    return net


def train():
    rng, t0 = random.Random(1234), time.time()
    data = [line(rng) for _ in range(6000)]
    x = torch.tensor(np.stack([tensor(img) for img, _ in data]))
    y = torch.tensor([label for _, label in data])
    vrng = random.Random(999)
    val = [line(vrng) for _ in range(500)]
    xv, yv = torch.tensor(np.stack([tensor(img) for img, _ in val])), torch.tensor([label for _, label in val])
    return fit(Net(), x, y, xv, yv, 30, t0)


def save(name, images):
    os.makedirs(os.path.join(SETS, name), exist_ok=True)
    for i, img in enumerate(images):
        fed(img).save(os.path.join(SETS, name, f'{i:04d}.png'))


def fgsm(net, images, labels, eps):
    """White-box FGSM on the pixels the model is fed (48 rows high), kept to whole pixel values."""
    out = []
    for img, label in zip(images, labels):
        img = fed(img)
        px = torch.tensor(np.asarray(img).astype(np.float32).transpose(2, 0, 1)[None], requires_grad=True)
        w = min(W, img.width)
        x = torch.zeros(1, 3, H, W)
        x[:, :, :, :w] = nn.functional.interpolate(px / 255 - 0.5, size=(H, w), mode='bilinear', align_corners=False) / 0.5 if img.width > W else (px / 255 - 0.5) / 0.5
        nn.functional.cross_entropy(net(x), torch.tensor([label])).backward()
        adv = torch.clamp(px.detach() + eps * px.grad.sign(), 0, 255).round()
        out.append(Image.fromarray(adv[0].numpy().transpose(1, 2, 0).astype(np.uint8)))
    return out


def main():
    if not PHOTOS:
        sys.exit('no source photos: run bash tools/photo-model/build.sh first (it fetches them)')
    os.makedirs(OUT, exist_ok=True)
    net = train()
    net.eval()
    dummy = torch.zeros(1, 3, H, W)
    torch.onnx.export(net, dummy, os.path.join(OUT, 'model.onnx'), opset_version=13, input_names=['x'], output_names=['logits'],
                      dynamic_axes={'x': {0: 'N'}, 'logits': {0: 'N'}})
    with open(os.path.join(OUT, 'model.json'), 'w') as f:
        f.write('{"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "resize": "pad", "matte": "white", "classNames": ["upright", "upside-down"]}\n')
    for name, n, seed in (('background', 1000, 101), ('calibration', 400, 202)):
        rng = random.Random(seed)
        save(name, [line(rng)[0] for _ in range(n)])
    rng = random.Random(303)
    clean = [line(rng) for _ in range(400)]
    save('clean', [img for img, _ in clean])
    for name, make, seed in (('photo', photo, 404), ('noise', noise, 505), ('script', script, 606), ('scribble', scribble, 616), ('blank', blank, 707)):
        rng = random.Random(seed)
        save(name, [make(rng) for _ in range(400)])
    with torch.no_grad():
        acc = (net(torch.tensor(np.stack([tensor(img) for img, _ in clean]))).argmax(1) == torch.tensor([l for _, l in clean])).float().mean().item()
    print(f'clean accuracy {acc:.3f}')
    for eps in (4, 8):
        adv = fgsm(net, [img for img, _ in clean], [l for _, l in clean], eps)
        save(f'fgsm-{eps}', adv)
        with torch.no_grad():
            acc = (net(torch.tensor(np.stack([tensor(img) for img in adv]))).argmax(1) == torch.tensor([l for _, l in clean])).float().mean().item()
        print(f'fgsm-{eps} accuracy {acc:.3f}')


if __name__ == '__main__':
    main()
