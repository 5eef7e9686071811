// Statically quantized models (onnxruntime's quantize_static) fold each ReLU into the quantization of the
// conv's output: no activation op is left. `auto` monitors the activation all the same: the dequantized
// tensor in QDQ form, QLinearConv's uint8 output in QOperator form (the same values up to the scale),
// never the conv output before the folded ReLU.
import { readFileSync } from 'node:fs';
import { create, toBinary } from '@bufbuild/protobuf';
import { AttributeProtoSchema, ModelProtoSchema, NodeProtoSchema, TensorProtoSchema, type ModelProto, type NodeProto } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { rng } from '../../src/core/rng.ts';
import { buildDefaults } from '../../src/defaults.ts';
import { Detector } from '../../src/detector/index.ts';
import { inspectModel } from '../../src/model/onnx.ts';
import { parseModel } from '../../src/model/parse.ts';
import { InstrumentedModel } from '../../src/model/session.ts';
import { noiseImages } from './noise-images.ts';

const QDQ = new Uint8Array(readFileSync('tests/fixtures/models/conv-qdq.onnx'));
const QOP = new Uint8Array(readFileSync('tests/fixtures/models/conv-qop.onnx'));
const [S1, S2] = [4 / 255, 6 / 255]; // the two activations' scales (tools/testmodels/make.py static_q8)

async function run(model: Uint8Array, layers: string[], x: Float32Array) {
  const m = await InstrumentedModel.create(model, { provider: 'wasm', layers });
  const out = await m.run(x, [1, 1, 8, 8]);
  m.release();
  return out.activations.map((a) => Array.from(a.data));
}

describe('statically quantized models', () => {
  it('auto monitors the activations the quantization folded in, as in the float network', () => {
    expect(inspectModel(QDQ).autoLayers).toEqual(['a1', 'a2', 'f']);
    expect(inspectModel(QOP).autoLayers).toEqual(['a1q', 'a2q', 'f']);
  });

  it('reads zero points as exporters write them: int8 at -128 clamps, int8 0 and uint8 128 do not; a Constant node holds one as an initializer does', () => {
    const qdq = (edit: (m: ModelProto) => void) => {
      const m = parseModel(QDQ);
      edit(m);
      return inspectModel(toBinary(ModelProtoSchema, m)).autoLayers;
    };
    const zeroPoint = (m: ModelProto, dataType: number, value: number) => {
      const t = m.graph!.initializer.find((i) => i.name === 'zp')!;
      [t.dataType, t.rawData] = [dataType, new Uint8Array(Int8Array.of(value).buffer)];
    };
    expect(qdq((m) => zeroPoint(m, 3, -128))).toEqual(['a1', 'a2', 'f']);
    // No clamp folded in: the conv outputs, as `auto` takes a graph without activations.
    expect(qdq((m) => zeroPoint(m, 3, 0))).toEqual(['c1', 'c2', 'f']);
    expect(qdq((m) => zeroPoint(m, 2, -128))).toEqual(['c1', 'c2', 'f']); // uint8 128
    expect(
      qdq((m) => {
        const g = m.graph!;
        const t = g.initializer.splice(g.initializer.findIndex((i) => i.name === 'zp'), 1)[0];
        g.node.unshift(create(NodeProtoSchema, { opType: 'Constant', output: ['zp'], attribute: [create(AttributeProtoSchema, { name: 'value', type: 4, t: create(TensorProtoSchema, { ...t, name: 'zp_v' }) })] }));
      }),
    ).toEqual(['a1', 'a2', 'f']);
  });

  it('monitors nothing twice: a ReLU kept after the dequantization is the activation; head features quantized again are the last activation', () => {
    const edited = (edit: (nodes: NodeProto[]) => void) => {
      const m = parseModel(QDQ);
      edit(m.graph!.node);
      return inspectModel(toBinary(ModelProtoSchema, m)).autoLayers;
    };
    const node = (opType: string, input: string[], output: string[]) => create(NodeProtoSchema, { opType, input, output, name: output[0] });
    // conv2 reads the first activation through a ReLU of its own: the ReLU is monitored, not also the tensor before it.
    expect(
      edited((nodes) => {
        nodes.splice(nodes.findIndex((n) => n.name === 'conv2'), 0, node('Relu', ['a1'], ['a1r']));
        nodes.find((n) => n.name === 'conv2')!.input[0] = 'a1r';
      }),
    ).toEqual(['a1r', 'a2', 'f']);
    // No pooling: the head reads the second activation flattened and quantized again, the same values.
    expect(
      edited((nodes) => {
        nodes.splice(nodes.findIndex((n) => n.name === 'pool'), 1);
        nodes.find((n) => n.name === 'flatten')!.input[0] = 'a2';
        const fc = nodes.findIndex((n) => n.name === 'fc');
        nodes.splice(fc, 0, node('QuantizeLinear', ['f', 's2', 'zp'], ['fq']), node('DequantizeLinear', ['fq', 's2', 'zp'], ['fd']));
        nodes.find((n) => n.name === 'fc')!.input[0] = 'fd';
      }),
    ).toEqual(['a1', 'a2']);
  });

  it('QDQ and QOperator monitor the same activations: clamped at 0 (ReLU) and at 6 (ReLU6), one scale apart', async () => {
    const r = rng(5);
    const x = Float32Array.from({ length: 64 }, () => Math.round(r() * 255) / 255);
    const [c1, a1, a2] = await run(QDQ, ['c1', 'a1', 'a2'], x);
    const [q1, q2] = await run(QOP, ['a1q', 'a2q'], x);
    // The conv's output has negative values; its monitored activation is max(0, ·), quantized.
    expect(Math.min(...c1)).toBeLessThan(0);
    c1.forEach((v, i) => expect(Math.abs(a1[i] - Math.min(255 * S1, Math.max(0, v)))).toBeLessThanOrEqual(S1 / 2 + 1e-6));
    expect(Math.min(...a2)).toBe(0);
    expect(Math.max(...a2)).toBeLessThanOrEqual(6 + 1e-6);
    // The integers are the dequantized values over their scale, within one step of rounding.
    a1.forEach((v, i) => expect(Math.abs(q1[i] - v / S1)).toBeLessThanOrEqual(1 + 1e-4));
    a2.forEach((v, i) => expect(Math.abs(q2[i] - v / S2)).toBeLessThanOrEqual(1 + 1e-4));
  });

  it('a profile of the integer activations builds, and an image is checked against it', async () => {
    const d = await Detector.create({ model: QOP, provider: 'wasm' });
    const built = await d.build(noiseImages(6, 40, 8), noiseImages(7, 20, 8), buildDefaults({ bins: 8, batchSize: 8 }));
    expect(built.profile.header.layers.map((l) => l.name)).toEqual(['a1q', 'a2q', 'f']);
    d.useProfile(built.profile);
    const r = await d.check(await noiseImages(8, 1, 8).load(0), 'x');
    expect(r.q).toBeGreaterThan(0);
    d.release();
  });
});
