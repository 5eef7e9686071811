#!/usr/bin/python3
"""Small ONNX fixtures for tests of model instrumentation on models nobody made for histoscan.

Run: /usr/bin/python3 tools/testmodels/make.py   (Debian python3-torch, python3-onnx)
     /usr/bin/python3 tools/testmodels/make.py --half SRC DST [--keep-io]   (any model in half precision)
Writes tests/fixtures/models/:
  constant-weights.onnx    onnx.helper graph, weights as Constant nodes (no initializers), opset 9,
                           Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm, input [N,1,8,8]
  resnetish-nhwc-rgb.onnx  torch: BatchNorm, residual Add, depthwise conv, global pooling;
                           NHWC RGB input [N,16,16,3] permuted inside the model; opset 13
  rgb-opset11.onnx         torch: plain CNN, RGB NCHW [N,3,12,12], opset 11
  gray-opset21.onnx        torch: plain CNN with LeakyReLU and Sigmoid, gray NCHW [N,1,10,10], exported at
                           opset 17 (torch 1.13's highest) and re-stamped opset 21 / IR 10: every op it
                           uses is unchanged between those opsets
  fixed-batch-rgb.onnx     rgb-opset11.onnx with its batch dimension fixed to 1 (as many exporters leave it)
  fixed-batch4-rgb.onnx    rgb-opset11.onnx with its batch dimension fixed to 4 (as exports for a batched server leave it)
  multi-label.onnx         onnx.helper graph closed by a Sigmoid: each of 4 outputs a probability of its own, as
                           multi-label taggers ship; Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm -> Sigmoid on
                           RGB NCHW [N,3,8,8], opset 13
  mish-acts.onnx           torch: a conv block closed by Mish as x·tanh(softplus(x)), RGB NCHW [N,3,12,12], opset 13
  segmentation-map.onnx    onnx.helper graph whose output is a map of class scores per position, as segmentation
                           models give: Conv -> Relu -> Conv 1x1 to [N,3,8,8] on RGB NCHW [N,3,8,8], opset 13
  embedding-first.onnx     onnx.helper graph with two outputs, the pooled features ("embedding" [N,4]) before the
                           class scores ("logits" [N,6]), as exports that also serve an embedding have them; opset 13
  nan.onnx                 Conv -> Log (of negative values: NaN) -> Relu -> Gemm, opset 13
  no-image-input.onnx      Gemm -> Relu -> Gemm on a [N,10] vector, opset 13
  softmax-nhwc-rgb.onnx    torch, as Keras-style photo classifiers ship: NHWC RGB input [N,12,12,3], ReLU6
                           (Clip), global pooling, a dense head closed by a Softmax (the output is
                           probabilities, not logits), opset 13
  classes-first.onnx       onnx.helper graph whose first output is the predicted class (int64 ArgMax) and
                           whose second is the probabilities (Softmax), as exports that sort their
                           outputs by name ("classes", "probabilities") have them; opset 13
  uint8-rgb.onnx           onnx.helper graph on uint8 RGB pixels [N,3,8,8], scaled inside (Cast, Div by 255):
                           Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm, opset 13
  gray-rank3.onnx          onnx.helper graph on gray images without a channel axis [N,8,8]: Unsqueeze ->
                           Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm, initializers, opset 13
  tiny-vit.onnx            torch: a vision transformer on gray [N,1,12,12]: 4x4 patches (9 tokens) and a class
                           token of width 8, one pre-norm block (2-head attention, MLP 8 -> 16 -> 8 with GELU,
                           which exports as Erf arithmetic), LayerNorm, head on the class token; opset 13
  tiny-vit-q8.onnx         tiny-vit.onnx with its MatMuls on weights dynamically quantized as onnxruntime's
                           quantize_dynamic writes them (and transformers.js ships its default q8 models):
                           DynamicQuantizeLinear -> MatMulInteger (uint8 x int8) -> Cast -> Mul by the two scales
  tiny-vit-dynamic.onnx    tiny-vit.onnx with a symbolic height and width, as Hugging Face exports declare them
                           (the size comes from a preprocessor_config.json)
  single-logit.onnx        onnx.helper graph with one output, a sigmoid-style score (as binary detectors ship):
                           Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm to [N,1] on RGB NCHW [N,3,8,8], opset 13
  external-data.onnx       rgb-opset11.onnx with its weights saved beside it in external-data.onnx.data, as exporters
                           save models past protobuf's 2 GB (histoscan asks for one file)
  gated-acts.onnx          torch: gates times their own input, as exporters below opset 14 write them: SiLU
                           (Sigmoid, Mul), HardSwish (HardSigmoid, Mul), TensorFlow.js's HardSwish (x·⅙ times
                           Clip(x + 3, 0, 6)) and Paddle2ONNX's (x times Clip(x + 3, 0, 6), then / 6), and a
                           squeeze-and-excitation gate that scales another tensor;
                           RGB NCHW [N,3,12,12], opset 13
  paddle-ctc.onnx          onnx.helper graph as Paddle2ONNX writes a text recogniser (opset 9, dim_param names):
                           Conv -> BatchNormalization -> Swish as x·σ(x·β) with β = 1 a Mul -> Squeeze -> Transpose
                           -> MatMul -> Add -> Softmax(axis 2): per-position class scores [N, T, 5] (T = W) on
                           RGB NCHW [N,3,8,W], W open
  open-fpn.onnx            onnx.helper graph with an open size and a feature pyramid's top-down add, as text
                           detectors have (opset 11): Conv/2 -> Relu -> Conv/2 -> Relu -> Resize x2 -> Add -> Conv 1x1
                           -> Sigmoid map [N,1,H/2,W/2]; a side its downsampling (4) does not divide fails in the Add
  dense-q8.onnx            onnx.helper graph, quantized the same way: Flatten -> MatMul -> Add -> Relu -> MatMul -> Add
                           on gray [N,1,4,4]; its head reads the Relu through DynamicQuantizeLinear
  rgb-fp16.onnx            rgb-opset11.onnx in half precision, input and output too (a float16 image input), with
                           every intermediate type declared (shape inference), as half-precision web models ship
  tiny-vit-fp16.onnx       tiny-vit.onnx in half precision inside, float32 input and output behind Casts and no
                           intermediate type declared, as onnxconverter_common's float16 conversion writes it with
                           keep_io_types
  relu-flatten.onnx        onnx.helper graph whose head reads the last activation through a Flatten, as CNNs without
                           pooling have it: Conv -> Relu -> Flatten -> Gemm on gray [N,1,8,8], opset 13
  tokens-first.onnx        torch: nn.TransformerEncoder as PyTorch builds it by default (batch_first=False), so its
                           activations are tokens-first [tokens, N, features]: 4x4 patches of gray [N,1,12,12] (9 tokens)
                           of width 8, one post-norm block (2-head attention, MLP 8 -> 16 -> 8 with ReLU), mean of
                           the tokens, a linear head; opset 13
  tokens-first-fixed.onnx  tokens-first.onnx with its batch dimension fixed to 1
  tokens-first-gated.onnx  tokens-first.onnx's encoder pooled by a gate per token ([tokens, N, 1], a Sigmoid) into one
                           token ([1, N, features]) closed by a ReLU, as attention pooling heads have it: tensors with
                           more than one axis of size 1 for one image; opset 13 (and -fixed: its batch fixed to 1)
  conv-qdq.onnx            onnx.helper graph, statically quantized in QDQ form as onnxruntime's quantize_static writes it:
                           Conv -> QuantizeLinear (uint8, zero point 0: the ReLU folded in) -> DequantizeLinear, twice
                           (the second scaled to 6: a ReLU6), GlobalAveragePool -> Flatten -> Gemm, int8 weights, on
                           gray [N,1,8,8], opset 13
  conv-qop.onnx            the same network in QOperator form: QLinearConv twice (uint8 activations), then
                           DequantizeLinear -> GlobalAveragePool -> Flatten -> Gemm
  two-inputs.onnx          onnx.helper graph with three inputs, the image second, as PaddleDetection exports take an
                           image with its size and scale factor (im_shape, image, scale_factor), which enter the output;
                           Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm on RGB NCHW [N,3,8,8], opset 13
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'tests', 'fixtures', 'models')
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(7)
rng = np.random.RandomState(7)


def const(name, arr):
    return helper.make_node('Constant', [], [name], value=numpy_helper.from_array(arr.astype(np.float32), name + '_v'))


def constant_weights():
    nodes = [
        const('w1', rng.randn(4, 1, 3, 3) * 0.5), const('b1', rng.randn(4) * 0.1),
        helper.make_node('Conv', ['x', 'w1', 'b1'], ['c1'], pads=[1, 1, 1, 1]),
        helper.make_node('Relu', ['c1'], ['r1']),
        helper.make_node('GlobalAveragePool', ['r1'], ['g1']),
        helper.make_node('Flatten', ['g1'], ['f1']),
        const('w2', rng.randn(3, 4) * 0.5), const('b2', rng.randn(3) * 0.1),
        helper.make_node('Gemm', ['f1', 'w2', 'b2'], ['y'], transB=1),
    ]
    g = helper.make_graph(nodes, 'constant_weights',
                          [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 1, 8, 8])],
                          [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['N', 3])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 9)], ir_version=4)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, 'constant-weights.onnx'))


def tiny_cnn(file, seed, cin, channels, classes, inputs, outputs, pre=(), src='x', logits='y', post=(), extra=()):
    """Conv 3x3 (seeded weights) -> Relu -> GlobalAveragePool -> Flatten -> Gemm from tensor `src` to `logits`,
    after the `pre` nodes and before the `post` nodes, weights as initializers (then `extra`), opset 13."""
    r = np.random.RandomState(seed)
    inits = [numpy_helper.from_array(a.astype(np.float32), n) for n, a in
             [('w1', r.randn(channels, cin, 3, 3) * 0.5), ('b1', r.randn(channels) * 0.1),
              ('w2', r.randn(classes, channels) * 0.5), ('b2', r.randn(classes) * 0.1)]] + list(extra)
    nodes = [
        *pre,
        helper.make_node('Conv', [src, 'w1', 'b1'], ['c1'], pads=[1, 1, 1, 1], name='conv'),
        helper.make_node('Relu', ['c1'], ['r1'], name='relu'),
        helper.make_node('GlobalAveragePool', ['r1'], ['g1'], name='pool'),
        helper.make_node('Flatten', ['g1'], ['f1'], name='flatten'),
        helper.make_node('Gemm', ['f1', 'w2', 'b2'], [logits], transB=1, name='fc'),
        *post,
    ]
    g = helper.make_graph(nodes, file.replace('-', '_').replace('.onnx', ''), inputs, outputs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], ir_version=7)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, file))


def relu_flatten():
    r = np.random.RandomState(17)
    inits = [numpy_helper.from_array(a.astype(np.float32), n) for n, a in
             [('w1', r.randn(4, 1, 3, 3) * 0.5), ('b1', r.randn(4) * 0.1), ('w2', r.randn(3, 256) * 0.1), ('b2', r.randn(3) * 0.1)]]
    nodes = [helper.make_node('Conv', ['x', 'w1', 'b1'], ['c1'], pads=[1, 1, 1, 1]), helper.make_node('Relu', ['c1'], ['r1']),
             helper.make_node('Flatten', ['r1'], ['f1']), helper.make_node('Gemm', ['f1', 'w2', 'b2'], ['y'], transB=1)]
    g = helper.make_graph(nodes, 'relu_flatten', [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 1, 8, 8])],
                          [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['N', 3])], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], ir_version=7)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, 'relu-flatten.onnx'))


def gray_rank3():
    tiny_cnn('gray-rank3.onnx', 11, 1, 3, 2,
             [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 8, 8])],
             [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['N', 2])],
             pre=[helper.make_node('Unsqueeze', ['x', 'axes'], ['u'], name='unsqueeze')], src='u',
             extra=[numpy_helper.from_array(np.array([1], dtype=np.int64), 'axes')])


def classes_first():
    tiny_cnn('classes-first.onnx', 13, 3, 4, 6,
             [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 3, 8, 8])],
             [helper.make_tensor_value_info('classes', TensorProto.INT64, ['N']),
              helper.make_tensor_value_info('probabilities', TensorProto.FLOAT, ['N', 6])],
             logits='z', post=[helper.make_node('Softmax', ['z'], ['probabilities'], axis=1, name='softmax'),
                               helper.make_node('ArgMax', ['probabilities'], ['classes'], axis=1, keepdims=0, name='argmax')])


def embedding_first():
    tiny_cnn('embedding-first.onnx', 41, 3, 4, 6,
             [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 3, 8, 8])],
             [helper.make_tensor_value_info('embedding', TensorProto.FLOAT, ['N', 4]),
              helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['N', 6])],
             logits='logits', post=[helper.make_node('Identity', ['f1'], ['embedding'], name='embed')])


def segmentation_map():
    r = np.random.RandomState(43)
    inits = [numpy_helper.from_array(a.astype(np.float32), n) for n, a in
             [('w1', r.randn(4, 3, 3, 3) * 0.5), ('b1', r.randn(4) * 0.1), ('w2', r.randn(3, 4, 1, 1)), ('b2', r.randn(3) * 0.1)]]
    nodes = [helper.make_node('Conv', ['x', 'w1', 'b1'], ['c1'], pads=[1, 1, 1, 1], name='conv'),
             helper.make_node('Relu', ['c1'], ['r1'], name='relu'),
             helper.make_node('Conv', ['r1', 'w2', 'b2'], ['scores'], name='head')]
    g = helper.make_graph(nodes, 'segmentation_map', [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 3, 8, 8])],
                          [helper.make_tensor_value_info('scores', TensorProto.FLOAT, ['N', 3, 8, 8])], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], ir_version=7)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, 'segmentation-map.onnx'))


def multi_label():
    tiny_cnn('multi-label.onnx', 53, 3, 4, 4,
             [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 3, 8, 8])],
             [helper.make_tensor_value_info('probs', TensorProto.FLOAT, ['N', 4])],
             logits='z', post=[helper.make_node('Sigmoid', ['z'], ['probs'], name='sigmoid')])


def uint8_rgb():
    tiny_cnn('uint8-rgb.onnx', 17, 3, 4, 3,
             [helper.make_tensor_value_info('x', TensorProto.UINT8, ['N', 3, 8, 8])],
             [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['N', 3])],
             pre=[helper.make_node('Cast', ['x'], ['xf'], to=TensorProto.FLOAT, name='cast'),
                  helper.make_node('Div', ['xf', 'k'], ['xs'], name='scale')], src='xs',
             extra=[numpy_helper.from_array(np.array(255.0, dtype=np.float32), 'k')])


class ResNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.bn = nn.BatchNorm2d(8)
        self.pw = nn.Conv2d(8, 8, 1)
        self.relu = nn.ReLU()
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)
        h = self.stem(x)
        h = self.relu(h + self.pw(self.bn(self.dw(h))))
        return self.head(h.mean(dim=(2, 3)))


class Gated(nn.Module):
    """Conv blocks closed by x·σ(x), x·hardσ(x), x/6·relu6(x + 3) and x·relu6(x + 3)/6, then a squeeze-and-excitation gate."""

    def __init__(self):
        super().__init__()
        self.c1, self.c2, self.c3 = nn.Conv2d(3, 6, 3, padding=1), nn.Conv2d(6, 6, 3, padding=1), nn.Conv2d(6, 8, 3, padding=1)
        self.se1, self.se2 = nn.Conv2d(8, 4, 1), nn.Conv2d(4, 8, 1)
        self.head = nn.Linear(8, 3)
        self.c4 = nn.Conv2d(8, 8, 1)  # made last, so the layers before keep their seeded weights

    def forward(self, x):
        h = nn.functional.silu(self.c1(x))
        h = nn.functional.hardswish(self.c2(h))
        h = self.c3(h)
        h = (h * (1 / 6)) * torch.clamp(h + 3, 0, 6)
        # HardSwish as Paddle2ONNX writes it below opset 14: the product first, then the division.
        h = self.c4(h)
        h = h * torch.clamp(h + 3, 0, 6) / 6
        s = nn.functional.hardsigmoid(self.se2(torch.relu(self.se1(h.mean(dim=(2, 3), keepdim=True)))))
        return self.head((h * s).mean(dim=(2, 3)))


class MishNet(nn.Module):
    """A conv block closed by Mish, x·tanh(softplus(x)), which exporters below opset 18 write as those three ops."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 4, 3, padding=1)
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        h = self.c1(x)
        return self.head((h * torch.tanh(nn.functional.softplus(h))).mean(dim=(2, 3)))


def fixed_batch(src, dst, n):
    """`src` with its batch dimension fixed to n, inputs and outputs alike."""
    m = onnx.load(os.path.join(OUT, src))
    for v in list(m.graph.input) + list(m.graph.output):
        d = v.type.tensor_type.shape.dim[0]
        d.ClearField('dim_param')
        d.dim_value = n
    onnx.save(m, os.path.join(OUT, dst))


def export(model, shape, name, opset):
    model.eval()
    # Non-trivial BatchNorm statistics, so folding them is really exercised.
    for mod in model.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.2, 0.2)
            mod.running_var.uniform_(0.5, 1.5)
    torch.onnx.export(model, torch.rand(*shape), os.path.join(OUT, name), opset_version=opset, input_names=['input'],
                      output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})


class SmallCnn(nn.Module):
    def __init__(self, cin, act, size):
        super().__init__()
        self.conv = nn.Conv2d(cin, 6, 3, padding=1)
        self.act = act
        self.fc1 = nn.Linear(6 * (size // 2) ** 2, 16)
        self.act2 = nn.Sigmoid()
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):
        x = nn.functional.max_pool2d(self.act(self.conv(x)), 2)
        return self.fc2(self.act2(self.fc1(torch.flatten(x, 1))))


class NanNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.fc = nn.Linear(2 * 6 * 6, 2)

    def forward(self, x):
        h = torch.relu(torch.log(self.conv(x) - 10.0))  # log of negatives: NaN
        return self.fc(torch.flatten(h, 1))


class SoftmaxHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.relu6 = nn.ReLU6()
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        h = self.relu6(self.conv(x.permute(0, 3, 1, 2)))
        return torch.softmax(self.head(h.mean(dim=(2, 3))) * 3.0, dim=1)


class Vector(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(10, 8)
        self.b = nn.Linear(8, 2)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


class TinyViT(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Conv2d(1, 8, 4, 4)
        self.cls = nn.Parameter(torch.randn(1, 1, 8) * 0.5)
        self.pos = nn.Parameter(torch.randn(1, 10, 8) * 0.5)
        self.norm1, self.norm2, self.norm = nn.LayerNorm(8), nn.LayerNorm(8), nn.LayerNorm(8)
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.fc1, self.act, self.fc2 = nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 8)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        t = self.embed(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls.expand(t.shape[0], -1, -1), t], 1) + self.pos
        h = self.norm1(t)
        t = t + self.attn(h, h, h, need_weights=False)[0]
        t = t + self.fc2(self.act(self.fc1(self.norm2(t))))
        return self.head(self.norm(t)[:, 0])


class TokensFirst(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Conv2d(1, 8, 4, 4)
        self.enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 1)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        t = self.embed(x).flatten(2).permute(2, 0, 1)  # [tokens, N, features]
        return self.head(self.enc(t).mean(0))


class TokensFirstGated(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Conv2d(1, 8, 4, 4)
        self.enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 1)
        self.gate, self.fc, self.head = nn.Linear(8, 1), nn.Linear(8, 8), nn.Linear(8, 3)

    def forward(self, x):
        t = self.enc(self.embed(x).flatten(2).permute(2, 0, 1))  # [tokens, N, features]
        g = torch.sigmoid(self.gate(t))  # [tokens, N, 1]
        pooled = (t * g).sum(0, keepdim=True) / g.sum(0, keepdim=True)  # [1, N, features]
        return self.head(torch.relu(self.fc(pooled))[0])


def quantize_matmuls(m, dst):
    """Dynamic int8 quantization of every MatMul on a weight (per-tensor, symmetric weights), saved as dst."""
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    nodes = []
    for n in g.node:
        w = inits.get(n.input[1]) if n.op_type == 'MatMul' else None
        if w is None:
            nodes.append(n)
            continue
        x, y, p = n.input[0], n.output[0], n.output[0].replace('/', '_')
        wf = numpy_helper.to_array(w)
        ws = np.float32(np.abs(wf).max() / 127)
        g.initializer.extend([numpy_helper.from_array(np.round(wf / ws).astype(np.int8), p + '_w_q'),
                              numpy_helper.from_array(np.array(ws, np.float32), p + '_w_scale'),
                              numpy_helper.from_array(np.array(0, np.int8), p + '_w_zp')])
        nodes += [
            helper.make_node('DynamicQuantizeLinear', [x], [p + '_x_q', p + '_x_scale', p + '_x_zp']),
            helper.make_node('MatMulInteger', [p + '_x_q', p + '_w_q', p + '_x_zp', p + '_w_zp'], [p + '_i32']),
            helper.make_node('Cast', [p + '_i32'], [p + '_f'], to=TensorProto.FLOAT),
            helper.make_node('Mul', [p + '_x_scale', p + '_w_scale'], [p + '_scale']),
            helper.make_node('Mul', [p + '_f', p + '_scale'], [y]),
        ]
    del g.node[:]
    g.node.extend(nodes)
    used = {i for n in g.node for i in n.input}
    kept = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, dst))


def single_logit():
    tiny_cnn('single-logit.onnx', 29, 3, 4, 1,
             [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 3, 8, 8])],
             [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['N', 1])])


def two_inputs():
    """A detector-style graph: the image is the second of three inputs, the others (its size and scale, as
    PaddleDetection exports take them) enter the output; histoscan can feed only the image."""
    extra = [numpy_helper.from_array(np.eye(2, dtype=np.float32) * 0.01, n) for n in ('w_shape', 'w_scale')]
    tiny_cnn('two-inputs.onnx', 37, 3, 4, 2,
             [helper.make_tensor_value_info('im_shape', TensorProto.FLOAT, ['N', 2]),
              helper.make_tensor_value_info('image', TensorProto.FLOAT, ['N', 3, 8, 8]),
              helper.make_tensor_value_info('scale_factor', TensorProto.FLOAT, ['N', 2])],
             [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['N', 2])],
             src='image', logits='z', extra=extra,
             post=[helper.make_node('MatMul', ['im_shape', 'w_shape'], ['a'], name='shape_term'),
                   helper.make_node('MatMul', ['scale_factor', 'w_scale'], ['b'], name='scale_term'),
                   helper.make_node('Add', ['z', 'a'], ['za'], name='add_shape'),
                   helper.make_node('Add', ['za', 'b'], ['y'], name='add_scale')])


def dense_q8():
    """Flatten -> MatMul -> Add -> Relu -> MatMul -> Add on a gray [N,1,4,4] image, quantized: the head reads its
    features through DynamicQuantizeLinear."""
    r = np.random.RandomState(23)
    inits = [numpy_helper.from_array(a.astype(np.float32), n) for n, a in
             [('w1', r.randn(16, 8) * 0.5), ('b1', r.randn(8) * 0.1), ('w2', r.randn(8, 3) * 0.5), ('b2', r.randn(3) * 0.1)]]
    nodes = [
        helper.make_node('Flatten', ['x'], ['f'], name='flatten'),
        helper.make_node('MatMul', ['f', 'w1'], ['m1'], name='fc1'),
        helper.make_node('Add', ['m1', 'b1'], ['a1'], name='bias1'),
        helper.make_node('Relu', ['a1'], ['h'], name='relu'),
        helper.make_node('MatMul', ['h', 'w2'], ['m2'], name='fc2'),
        helper.make_node('Add', ['m2', 'b2'], ['y'], name='bias2'),
    ]
    g = helper.make_graph(nodes, 'dense_q8', [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 1, 4, 4])],
                          [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['N', 3])], initializer=inits)
    quantize_matmuls(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), 'dense-q8.onnx')


def static_q8():
    """Conv(1->4) -> ReLU -> Conv(4->6) -> ReLU6 -> GlobalAveragePool -> Flatten -> Gemm(6->3) with seeded weights,
    quantized statically (int8 weights per tensor, uint8 activations with zero point 0, so the ReLUs fold into the
    quantization) in QDQ form and in QOperator form, with the same weights and scales."""
    r = np.random.RandomState(29)
    w1, b1 = r.randn(4, 1, 3, 3).astype(np.float32) * 0.5, r.randn(4).astype(np.float32) * 0.1
    w2, b2 = r.randn(6, 4, 3, 3).astype(np.float32) * 0.3, r.randn(6).astype(np.float32) * 0.1
    w3, b3 = r.randn(3, 6).astype(np.float32) * 0.5, r.randn(3).astype(np.float32) * 0.1
    s_in, s1, s2 = np.float32(1 / 255), np.float32(4 / 255), np.float32(6 / 255)
    q = lambda w: (np.clip(np.round(w / (np.abs(w).max() / 127)), -127, 127).astype(np.int8), np.float32(np.abs(w).max() / 127))
    (w1q, w1s), (w2q, w2s) = q(w1), q(w2)
    u0, i0 = np.array(0, np.uint8), np.array(0, np.int8)
    t = numpy_helper.from_array
    common = [t(np.array(s_in), 's_in'), t(u0, 'zp_in'), t(np.array(s1), 's1'), t(np.array(s2), 's2'), t(u0, 'zp'),
              t(w1q, 'w1q'), t(np.array(w1s), 'w1s'), t(w2q, 'w2q'), t(np.array(w2s), 'w2s'), t(i0, 'zw'),
              t(w3, 'w3'), t(b3, 'b3')]
    n = helper.make_node
    conv = dict(pads=[1, 1, 1, 1], kernel_shape=[3, 3])
    head = [n('GlobalAveragePool', ['a2'], ['g'], name='pool'), n('Flatten', ['g'], ['f'], name='flatten'),
            n('Gemm', ['f', 'w3', 'b3'], ['y'], transB=1, name='fc')]
    io = ([helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 1, 8, 8])], [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['N', 3])])
    qdq = [
        n('QuantizeLinear', ['x', 's_in', 'zp_in'], ['xq'], name='x_q'), n('DequantizeLinear', ['xq', 's_in', 'zp_in'], ['xd'], name='x_dq'),
        n('DequantizeLinear', ['w1q', 'w1s', 'zw'], ['w1'], name='w1_dq'),
        n('Conv', ['xd', 'w1', 'b1'], ['c1'], name='conv1', **conv),
        n('QuantizeLinear', ['c1', 's1', 'zp'], ['c1q'], name='c1_q'), n('DequantizeLinear', ['c1q', 's1', 'zp'], ['a1'], name='c1_dq'),
        n('DequantizeLinear', ['w2q', 'w2s', 'zw'], ['w2'], name='w2_dq'),
        n('Conv', ['a1', 'w2', 'b2'], ['c2'], name='conv2', **conv),
        n('QuantizeLinear', ['c2', 's2', 'zp'], ['c2q'], name='c2_q'), n('DequantizeLinear', ['c2q', 's2', 'zp'], ['a2'], name='c2_dq'),
        *head,
    ]
    m = helper.make_model(helper.make_graph(qdq, 'conv_qdq', *io, initializer=common + [t(b1, 'b1'), t(b2, 'b2')]),
                          opset_imports=[helper.make_opsetid('', 13)], ir_version=7)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, 'conv-qdq.onnx'))
    bias = lambda b, s_x, s_w: t(np.round(b / (s_x * s_w)).astype(np.int32), 'b1q' if s_x == s_in else 'b2q')
    qop = [
        n('QuantizeLinear', ['x', 's_in', 'zp_in'], ['xq'], name='x_q'),
        n('QLinearConv', ['xq', 's_in', 'zp_in', 'w1q', 'w1s', 'zw', 's1', 'zp', 'b1q'], ['a1q'], name='conv1', **conv),
        n('QLinearConv', ['a1q', 's1', 'zp', 'w2q', 'w2s', 'zw', 's2', 'zp', 'b2q'], ['a2q'], name='conv2', **conv),
        n('DequantizeLinear', ['a2q', 's2', 'zp'], ['a2'], name='a2_dq'),
        *head,
    ]
    m = helper.make_model(helper.make_graph(qop, 'conv_qop', *io, initializer=common + [bias(b1, s_in, w1s), bias(b2, s1, w2s)]),
                          opset_imports=[helper.make_opsetid('', 13)], ir_version=7)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, 'conv-qop.onnx'))


def half_precision(src, dst, keep_io=False):
    """Every float tensor of src in float16 (weights, Constant nodes, Casts to float); without keep_io the input and
    output too, with every intermediate type declared; with keep_io float32 input and output behind Casts and no
    intermediate type declared. Paths relative to the fixtures' folder (or absolute)."""
    m = onnx.load(os.path.join(OUT, src))
    g = m.graph
    F, H = TensorProto.FLOAT, TensorProto.FLOAT16
    half = lambda t: numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float16), t.name)
    for i, t in enumerate(g.initializer):
        if t.data_type == F:
            g.initializer[i].CopyFrom(half(t))
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == F:
                a.t.CopyFrom(half(a.t))
            if n.op_type == 'Cast' and a.name == 'to' and a.i == F:
                a.i = H
    del g.value_info[:]
    if keep_io:
        renames = {v.name: v.name + '_fp16' for v in list(g.input) + list(g.output)}
        for n in g.node:
            n.input[:] = [renames.get(i, i) for i in n.input]
            n.output[:] = [renames.get(o, o) for o in n.output]
        g.node.insert(0, helper.make_node('Cast', [g.input[0].name], [renames[g.input[0].name]], to=H))
        g.node.extend(helper.make_node('Cast', [renames[o.name]], [o.name], to=F) for o in g.output)
    else:
        for v in list(g.input) + list(g.output):
            v.type.tensor_type.elem_type = H
        m = onnx.shape_inference.infer_shapes(m)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, dst))


def paddle_ctc():
    r = np.random.RandomState(59)
    inits = [numpy_helper.from_array(a.astype(np.float32), n) for n, a in
             [('w1', r.randn(4, 3, 8, 3) * 0.3), ('bn_s', 1 + r.rand(4)), ('bn_b', r.randn(4) * 0.1), ('bn_m', r.randn(4) * 0.1),
              ('bn_v', 0.5 + r.rand(4)), ('w2', r.randn(4, 5)), ('b2', r.randn(5) * 0.1)]]
    nodes = [helper.make_node('Conv', ['x', 'w1'], ['conv2d_0.tmp_0'], pads=[0, 1, 0, 1], name='p2o.Conv.0'),
             helper.make_node('BatchNormalization', ['conv2d_0.tmp_0', 'bn_s', 'bn_b', 'bn_m', 'bn_v'], ['batch_norm_0.tmp_2'], name='p2o.BatchNormalization.0'),
             const('p2o.helper.constant.0', np.array(1.0)),
             helper.make_node('Mul', ['batch_norm_0.tmp_2', 'p2o.helper.constant.0'], ['p2o.Mul.1'], name='p2o.Mul.0'),
             helper.make_node('Sigmoid', ['p2o.Mul.1'], ['p2o.Sigmoid.1'], name='p2o.Sigmoid.0'),
             helper.make_node('Mul', ['batch_norm_0.tmp_2', 'p2o.Sigmoid.1'], ['swish_0.tmp_0'], name='p2o.Mul.2'),
             helper.make_node('Squeeze', ['swish_0.tmp_0'], ['squeeze_0.tmp_0'], axes=[2], name='p2o.Squeeze.0'),
             helper.make_node('Transpose', ['squeeze_0.tmp_0'], ['transpose_0.tmp_0'], perm=[0, 2, 1], name='p2o.Transpose.0'),
             helper.make_node('MatMul', ['transpose_0.tmp_0', 'w2'], ['p2o.MatMul.1'], name='p2o.MatMul.0'),
             helper.make_node('Add', ['p2o.MatMul.1', 'b2'], ['p2o.Add.1'], name='p2o.Add.0'),
             helper.make_node('Softmax', ['p2o.Add.1'], ['softmax_0.tmp_0'], axis=2, name='p2o.Softmax.0')]
    dyn = lambda k: 'p2o.DynamicDimension.%d' % k
    g = helper.make_graph(nodes, 'paddle_ctc', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [dyn(0), 3, 8, dyn(1)])],
                          [helper.make_tensor_value_info('softmax_0.tmp_0', TensorProto.FLOAT, [dyn(2), dyn(3), 5])], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 9)], ir_version=6, producer_name='PaddlePaddle')
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, 'paddle-ctc.onnx'))


def open_fpn():
    r = np.random.RandomState(61)
    inits = [numpy_helper.from_array(a.astype(np.float32), n) for n, a in
             [('w1', r.randn(4, 3, 3, 3) * 0.3), ('w2', r.randn(4, 4, 3, 3) * 0.3), ('w3', r.randn(1, 4, 1, 1)),
              ('roi', np.zeros(0)), ('scales', np.array([1, 1, 2, 2]))]]
    nodes = [helper.make_node('Conv', ['x', 'w1'], ['c1'], strides=[2, 2], pads=[1, 1, 1, 1], name='conv1'),
             helper.make_node('Relu', ['c1'], ['r1'], name='relu1'),
             helper.make_node('Conv', ['r1', 'w2'], ['c2'], strides=[2, 2], pads=[1, 1, 1, 1], name='conv2'),
             helper.make_node('Relu', ['c2'], ['r2'], name='relu2'),
             helper.make_node('Resize', ['r2', 'roi', 'scales'], ['u2'], mode='nearest', name='up'),
             helper.make_node('Add', ['r1', 'u2'], ['a'], name='add'),
             helper.make_node('Conv', ['a', 'w3'], ['c3'], name='head'),
             helper.make_node('Sigmoid', ['c3'], ['y'], name='sigmoid')]
    g = helper.make_graph(nodes, 'open_fpn', [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 3, 'H', 'W'])],
                          [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['N', 1, 'H2', 'W2'])], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 11)], ir_version=6)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, 'open-fpn.onnx'))


if __name__ == '__main__' and sys.argv[1:2] == ['--half']:
    # Any model in half precision, e.g. the default model for an end-to-end check:
    #   /usr/bin/python3 tools/testmodels/make.py --half public/models/fashion-cnn.onnx /tmp/fashion-fp16.onnx [--keep-io]
    half_precision(os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3]), keep_io='--keep-io' in sys.argv)
elif __name__ == '__main__':
    constant_weights()
    export(ResNetish(), (1, 16, 16, 3), 'resnetish-nhwc-rgb.onnx', 13)
    export(SmallCnn(3, nn.ReLU(), 12), (1, 3, 12, 12), 'rgb-opset11.onnx', 11)
    fixed_batch('rgb-opset11.onnx', 'fixed-batch-rgb.onnx', 1)
    export(SmallCnn(1, nn.LeakyReLU(0.1), 10), (1, 1, 10, 10), 'gray-opset21.onnx', 17)
    m = onnx.load(os.path.join(OUT, 'gray-opset21.onnx'))
    m.opset_import[0].version = 21
    m.ir_version = 10
    onnx.save(m, os.path.join(OUT, 'gray-opset21.onnx'))
    export(NanNet(), (1, 1, 6, 6), 'nan.onnx', 13)
    export(Vector(), (1, 10), 'no-image-input.onnx', 13)
    gray_rank3()
    export(SoftmaxHead(), (1, 12, 12, 3), 'softmax-nhwc-rgb.onnx', 13)
    classes_first()
    uint8_rgb()
    torch.manual_seed(19)  # its own seed: the fixtures above regenerate unchanged
    export(TinyViT(), (1, 1, 12, 12), 'tiny-vit.onnx', 13)
    quantize_matmuls(onnx.load(os.path.join(OUT, 'tiny-vit.onnx')), 'tiny-vit-q8.onnx')
    dense_q8()
    single_logit()
    two_inputs()
    data = os.path.join(OUT, 'external-data.onnx.data')
    if os.path.exists(data):
        os.remove(data)  # onnx appends to an existing data file
    onnx.save_model(onnx.load(os.path.join(OUT, 'rgb-opset11.onnx')), os.path.join(OUT, 'external-data.onnx'), save_as_external_data=True,
                    all_tensors_to_one_file=True, location='external-data.onnx.data', size_threshold=0)
    m = onnx.load(os.path.join(OUT, 'tiny-vit.onnx'))
    for axis, name in ((2, 'height'), (3, 'width')):
        d = m.graph.input[0].type.tensor_type.shape.dim[axis]
        d.ClearField('dim_value')
        d.dim_param = name
    onnx.save(m, os.path.join(OUT, 'tiny-vit-dynamic.onnx'))
    torch.manual_seed(31)
    export(Gated(), (1, 3, 12, 12), 'gated-acts.onnx', 13)
    half_precision('rgb-opset11.onnx', 'rgb-fp16.onnx')
    half_precision('tiny-vit.onnx', 'tiny-vit-fp16.onnx', keep_io=True)
    fixed_batch('rgb-opset11.onnx', 'fixed-batch4-rgb.onnx', 4)
    embedding_first()
    segmentation_map()
    torch.manual_seed(47)
    export(MishNet(), (1, 3, 12, 12), 'mish-acts.onnx', 13)
    multi_label()
    relu_flatten()
    torch.manual_seed(53)
    export(TokensFirst(), (1, 1, 12, 12), 'tokens-first.onnx', 13)
    fixed_batch('tokens-first.onnx', 'tokens-first-fixed.onnx', 1)
    export(TokensFirstGated(), (1, 1, 12, 12), 'tokens-first-gated.onnx', 13)
    fixed_batch('tokens-first-gated.onnx', 'tokens-first-gated-fixed.onnx', 1)
    static_q8()
    paddle_ctc()
    open_fpn()
    for f in sorted(os.listdir(OUT)):
        print(f, os.path.getsize(os.path.join(OUT, f)))
