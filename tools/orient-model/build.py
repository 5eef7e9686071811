#!/usr/bin/python3
"""A sixth development model: torchvision's MobileNetV3-small (HardSwish, squeeze-and-excitation gates), width 0.5,
as a 2-class text-line orientation classifier (upright or turned 180°) on [N, 3, 48, 192]. Trained here on CPU from
the text-line model's rendered lines (its sets, built by tools/textline-model/build.py) and exported twice:

  model-opset11.onnx, model-opset11.json   HardSwish as x·HardSigmoid(x) (torch 1.13 below opset 14)
  model-opset14.onnx, model-opset14.json   HardSwish as its own op
  sets/                                    what the probe of this model scores (below)

Training data: the text-line sets background and calibration (1,400 lines, half of them saved turned 180°). Their
labels are not stored, so each line is rendered again from its seed with the text-line build's own functions (and
checked to be the saved image); every line is then used both ways up (2,800 examples).

Sets (all from non-reserved sources; lines as the text-line build saved them, 48 rows high):
  upright-bg       the upright lines of the text-line background set (what the model trained on, as a user's
                   profile folder would be)
  upright-clean    the upright lines of the text-line clean set (never trained on): held-out good lines
  flipped-clean    the clean set's lines turned 180° (the model's other class: not anomalous)
  rot90            the upright clean lines turned 90° (a page scanned sideways)
  upright-fresh    400 new upright lines rendered from another seed (909): never trained on, a background as a
                   user of a trained model would bring (the model holds its training lines as more typical)
The text-line sets photo, noise, script, scribble and blank are used as they are.

Run: /usr/bin/python3 tools/orient-model/build.py   (~8 minutes on 2 cores; --sets-only: the sets alone, seconds)
Needs what tools/textline-model/build.py needs, and its .cache/textline-model/sets.
"""
import importlib.util, os, random, shutil, sys, time

import numpy as np
import torch
import torch.nn as nn
from PIL import Image
from torchvision.models.mobilenetv3 import MobileNetV3, _mobilenet_v3_conf

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..')
OUT = os.path.join(ROOT, '.cache', 'orient-model')
TL_SETS = os.path.join(ROOT, '.cache', 'textline-model', 'sets')
spec = importlib.util.spec_from_file_location('textline', os.path.join(HERE, '..', 'textline-model', 'build.py'))
tl = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tl)  # the text-line build's renderer and feeding (tl.line, tl.fed, tl.tensor)
torch.set_num_threads(1)  # 2 threads on 2 shared cores ran 8 times slower (OpenMP waits)
torch.manual_seed(0)


def labelled(name, seed, n):
    """The saved lines of a text-line set with their labels (1: turned 180°), rendered again from the set's seed."""
    rng, out = random.Random(seed), []
    for i in range(n):
        img, label = tl.line(rng)
        saved = Image.open(os.path.join(TL_SETS, name, f'{i:04d}.png')).convert('RGB')
        if np.abs(np.asarray(tl.fed(img), np.int16) - np.asarray(saved, np.int16)).max() > 1:
            sys.exit(f'{name}/{i:04d}.png is not the line its seed renders: rebuild .cache/textline-model')
        out.append((saved, label))
    return out


def net():
    setting, last = _mobilenet_v3_conf('mobilenet_v3_small', width_mult=0.5)
    return MobileNetV3(setting, last, num_classes=2)


def train(data, epochs=25):
    t0 = time.time()
    x = torch.tensor(np.stack([tl.tensor(img) for img, _ in data]))
    y = torch.tensor([label for _, label in data])
    perm = torch.randperm(len(data))
    xv, yv, x, y = x[perm[:300]], y[perm[:300]], x[perm[300:]], y[perm[300:]]
    return tl.fit(net(), x, y, xv, yv, epochs, t0)


def save(name, images):
    d = os.path.join(OUT, 'sets', name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for i, img in enumerate(images):
        img.save(os.path.join(d, f'{i:04d}.png'))


def upright(img, label):
    return img.rotate(180) if label else img


def main():
    os.makedirs(OUT, exist_ok=True)
    bg, cal, clean = labelled('background', 101, 1000), labelled('calibration', 202, 400), labelled('clean', 303, 400)
    up_clean = [upright(i, l) for i, l in clean]
    if '--sets-only' not in sys.argv:
        export(bg + cal, up_clean)
    save('upright-bg', [upright(i, l) for i, l in bg])
    save('upright-clean', up_clean)
    save('flipped-clean', [i.rotate(180) for i in up_clean])
    save('rot90', [i.rotate(90, expand=True) for i in up_clean])
    rng = random.Random(909)
    save('upright-fresh', [tl.fed(upright(*tl.line(rng))) for _ in range(400)])


def export(lines, up_clean):
    """Train on the lines both ways up, report the held-out accuracy, and export at opset 11 and 14."""
    data = [(upright(i, l), 0) for i, l in lines] + [(upright(i, l).rotate(180), 1) for i, l in lines]
    model = train(data)
    model.eval()
    with torch.no_grad():
        xs = torch.tensor(np.stack([tl.tensor(i) for i in up_clean + [i.rotate(180) for i in up_clean]]))
        acc = (model(xs).argmax(1) == torch.tensor([0] * 400 + [1] * 400)).float().mean().item()
    print(f'clean accuracy (both ways up) {acc:.3f}')
    for opset in (11, 14):
        torch.onnx.export(model, torch.zeros(1, 3, tl.H, tl.W), os.path.join(OUT, f'model-opset{opset}.onnx'), opset_version=opset,
                          input_names=['x'], output_names=['logits'], dynamic_axes={'x': {0: 'N'}, 'logits': {0: 'N'}})
        with open(os.path.join(OUT, f'model-opset{opset}.json'), 'w') as f:
            f.write('{"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "resize": "pad", "matte": "white", "classNames": ["upright", "upside-down"]}\n')


if __name__ == '__main__':
    main()
