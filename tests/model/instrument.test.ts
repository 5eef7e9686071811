import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ActivationError, ModelError } from '../../src/core/errors.ts';
import { checkFinite } from '../../src/core/score.ts';
import { inspectModel } from '../../src/model/onnx.ts';
import { instrumentModel, resolveLayers } from '../../src/model/instrument.ts';
import { createSession, ort } from '../../src/model/runtime.ts';
import { InstrumentedModel } from '../../src/model/session.ts';
import { specFromModel } from '../../src/model/spec.ts';
import { rng } from '../../src/core/rng.ts';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AttributeProtoSchema, GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, SparseTensorProtoSchema, StringStringEntryProtoSchema, TensorProtoSchema, TensorProto_DataLocation } from 'onnx-buf';

const fixture = (name: string) => new Uint8Array(readFileSync(`tests/fixtures/models/${name}`));
const models = ['constant-weights.onnx', 'resnetish-nhwc-rgb.onnx', 'rgb-opset11.onnx', 'gray-opset21.onnx', 'gray-rank3.onnx', 'gated-acts.onnx'];
// The default model is made by the data pipeline; its cases skip (visibly) when it is not there yet.
const FASHION = 'public/models/fashion-cnn.onnx';
const hasFashion = existsSync(FASHION);
const all = models.map((m) => [m, fixture(m)] as const);

function randomInput(bytes: Uint8Array, batch: number) {
  const spec = specFromModel(inspectModel(bytes));
  const declared = inspectModel(bytes).inputs[0].shape.length;
  const dims4 = spec.layout === 'nchw' ? [batch, spec.channels, spec.height, spec.width] : [batch, spec.height, spec.width, spec.channels];
  const r = rng(3);
  // What the plain model takes: rank-3 gray models have no channel axis.
  const dims = declared === 3 ? [batch, spec.height, spec.width] : dims4;
  return { spec, dims, dims4, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r()) };
}

async function sameLogits(bytes: Uint8Array) {
    const info = inspectModel(bytes);
    const layers = resolveLayers(info, 'auto');
    expect(layers.length).toBeGreaterThan(0);
    const { spec, dims, dims4, data } = randomInput(bytes, 3);
    ort.env.wasm.numThreads = 1;
    const plain = await ort.InferenceSession.create(bytes);
    const ref = (await plain.run({ [spec.inputName]: new ort.Tensor('float32', data, dims) }))[info.outputs[0].name].data as Float32Array;
    const instrumented = inspectModel(instrumentModel(bytes, layers));
    expect(instrumented.outputs.map((o) => o.name)).toEqual([info.outputs[0].name, ...layers]);
    // The same runtime as the plain session (the native one is compared in native.test.ts).
    const model = await InstrumentedModel.create(bytes, { layers: 'auto', provider: 'wasm' });
    expect(model.provider).toBe('wasm');
    const out = await model.run(data, dims4);
    expect(Array.from(out.logits)).toEqual(Array.from(ref));
    expect(out.logitDims[0]).toBe(3);
    expect(out.activations.map((a) => a.name)).toEqual(layers);
    for (const a of out.activations) {
      expect(a.dims[0]).toBe(3);
      expect(a.data.length).toBe(a.dims.reduce((x, y) => x * y, 1));
    }
    model.release();
}

describe('model instrumentation', () => {
  it.each(all)('%s: instrumented logits equal the plain model, original outputs first', async (_name, bytes) => {
    await sameLogits(bytes);
  });

  it.skipIf(!hasFashion)(`${FASHION}: instrumented logits equal the plain model (skipped: file not built yet)`, async () => {
    await sameLogits(new Uint8Array(readFileSync(FASHION)));
  });

  it('explicit layers: any intermediate tensor, Constant-node weights included; only those are read', async () => {
    const bytes = fixture('constant-weights.onnx');
    const info = inspectModel(bytes);
    expect(info.candidates.map((c) => c.opType)).toEqual(['Conv', 'Relu', 'GlobalAveragePool', 'Flatten']);
    expect(info.inputs.map((i) => [i.name, i.shape])).toEqual([['x', ['N', 1, 8, 8]]]);
    const model = await InstrumentedModel.create(bytes, { layers: ['c1', 'g1'] });
    const out = await model.run(new Float32Array(64).fill(0.25), [1, 1, 8, 8]);
    expect(out.activations.map((a) => [a.name, a.dims])).toEqual([['c1', [1, 4, 8, 8]], ['g1', [1, 4, 1, 1]]]);
    expect(out.logitDims).toEqual([1, 3]);
    model.release();
  });

  it('tensors computed from weights alone (an exporter\'s Identity copies of shared weights) are no layers to monitor', () => {
    // tiny-vit.onnx, as torch exports it, copies five LayerNorm and bias weights through Identity nodes.
    const info = inspectModel(fixture('tiny-vit.onnx'));
    expect(info.candidates.map((c) => c.name)).not.toContain('norm.weight');
    expect(info.candidates.filter((c) => c.opType === 'Identity')).toEqual([]);
    expect(() => resolveLayers(info, ['norm.weight'])).toThrow(/computed from the model's weights or an input's shape alone/);
  });

  it('a model that takes inputs besides the image is refused at load, naming them, not at its first run', async () => {
    // two-inputs.onnx: im_shape, image, scale_factor, as a PaddleDetection export takes them.
    const bytes = fixture('two-inputs.onnx');
    expect(specFromModel(inspectModel(bytes)).inputName).toBe('image');
    const load = InstrumentedModel.create(bytes, { inputName: 'image' });
    await expect(load).rejects.toMatchObject({ code: 'other-inputs' });
    await expect(load).rejects.toThrow(/besides the image \("image"\): "im_shape" \[N, 2\], "scale_factor" \[N, 2\]\. histoscan feeds one image input/);
  });

  it('under Node the runtime is the native CPU one where onnxruntime-node loads, else WASM; WASM when asked; WebGPU refused', async () => {
    const native = await import('onnxruntime-node').then(() => true, () => false);
    await expect(createSession(fixture('rgb-opset11.onnx'), { provider: 'webgpu' })).rejects.toMatchObject({ code: 'usage', message: expect.stringMatching(/^WebGPU is not available under Node; use provider 'auto'/) });
    const auto = await createSession(fixture('rgb-opset11.onnx'), {});
    expect(auto.provider).toBe(native ? 'cpu' : 'wasm');
    expect(auto.note).toBeUndefined();
    expect((await createSession(fixture('rgb-opset11.onnx'), { provider: 'wasm' })).provider).toBe('wasm');
  });

  it('auto layers are the activations of conv/dense blocks plus the penultimate features', () => {
    const pick = (m: string) => inspectModel(fixture(m)).autoLayers.map((n) => inspectModel(fixture(m)).candidates.find((c) => c.name === n)!.opType);
    expect(pick('constant-weights.onnx')).toEqual(['Relu', 'Flatten']);
    expect(pick('resnetish-nhwc-rgb.onnx')).toEqual(['Relu', 'Relu', 'ReduceMean']); // stem, residual block, pooled features
    expect(pick('rgb-opset11.onnx')).toEqual(['Relu', 'Sigmoid']);
    expect(pick('gray-opset21.onnx')).toEqual(['LeakyRelu', 'Sigmoid']);
    expect(pick('gray-rank3.onnx')).toEqual(['Relu', 'Flatten']);
    expect(pick('no-image-input.onnx')).toEqual(['Relu']);
    // A head that reads the last activation through a Flatten: the activation once, not its reshape beside it.
    expect(pick('relu-flatten.onnx')).toEqual(['Relu']);
    // No activation after a linear op (Conv -> Sub -> Log -> Relu): Conv outputs + penultimate features.
    expect(pick('nan.onnx')).toEqual(['Conv', 'Flatten']);
    // A gate times its own input is the activation (SiLU, HardSwish, TensorFlow.js's x/6 * relu6(x + 3)), not the
    // gate, whose saturation would hide the upper tail; a squeeze-and-excitation gate scales another tensor and stays.
    const gated = inspectModel(fixture('gated-acts.onnx'));
    // Paddle2ONNX's HardSwish (x · relu6(x + 3), then / 6): the product before the division.
    expect(gated.autoLayers).toEqual(['/Mul_output_0', '/Mul_1_output_0', '/Mul_3_output_0', '/Mul_4_output_0', '/Relu_output_0', '/HardSigmoid_1_output_0', '/ReduceMean_1_output_0']);
    expect(gated.autoLayers.slice(0, 4).map((l) => gated.featureAxis[l])).toEqual(['first', 'first', 'first', 'first']);
    // Paddle2ONNX's Swish, x · σ(x · β) with β = 1 a Mul: the product (swish_0), not the gate; the Transpose the head
    // reads holds its values again (the planner leaves it out).
    const paddle = inspectModel(fixture('paddle-ctc.onnx'));
    expect(paddle.autoLayers).toEqual(['swish_0.tmp_0', 'transpose_0.tmp_0']);
    expect(paddle.featureAxis['swish_0.tmp_0']).toBe('first');
    expect(paddle.copyOf['transpose_0.tmp_0']).toEqual(['squeeze_0.tmp_0', 'swish_0.tmp_0']);
    // A closing Sigmoid reshaped into the output (a binary head squeezed to [N]) is the output, not a layer before it.
    const multi = fromBinary(ModelProtoSchema, fixture('multi-label.onnx'));
    const sigmoid = multi.graph!.node.find((n) => n.opType === 'Sigmoid')!;
    const [out] = sigmoid.output;
    sigmoid.output = ['p'];
    multi.graph!.node.push(create(NodeProtoSchema, { opType: 'Flatten', input: ['p'], output: [out], name: 'flatten' }));
    const [before, after] = [inspectModel(fixture('multi-label.onnx')), inspectModel(toBinary(ModelProtoSchema, multi))];
    expect(after.candidates.some((c) => c.name === 'p')).toBe(true);
    expect(after.autoLayers).toEqual(before.autoLayers);
    expect(after.sigmoidOutputs).toEqual([out]);
    // Mish below opset 18 (x · tanh(softplus(x))): the product, not the softplus inside it.
    expect(inspectModel(fixture('mish-acts.onnx')).autoLayers).toEqual(['/Mul_output_0', '/ReduceMean_output_0']);
    // Spatial means (GlobalAveragePool, or ReduceMean over the spatial axes of NCHW or NHWC, through reshapes): the
    // planner leaves out a layer whose channel means repeat them (tests/model/plan.test.ts).
    expect(inspectModel(fixture('constant-weights.onnx')).meanOf).toEqual({ g1: 'r1', f1: 'r1' });
    expect(inspectModel(fixture('resnetish-nhwc-rgb.onnx')).meanOf).toEqual({ '/ReduceMean_output_0': '/relu/Relu_output_0' });
    expect(inspectModel(fixture('softmax-nhwc-rgb.onnx')).meanOf).toEqual({ '/ReduceMean_output_0': '/relu6/Clip_output_0' });
    expect(inspectModel(fixture('tiny-vit.onnx')).meanOf).toEqual({});
    // Tensors that only move or pick values of others (Gather at fixed indices, Slice, Transpose, reshapes), up their chain.
    expect(inspectModel(fixture('tokens-first-gated.onnx')).copyOf['/Gather_output_0']).toEqual(['/Relu_output_0']);
    expect(inspectModel(fixture('relu-flatten.onnx')).copyOf).toEqual({ f1: ['r1'] });
    expect(inspectModel(fixture('gray-opset21.onnx')).opset).toBe(21);
    expect(inspectModel(fixture('rgb-opset11.onnx')).opset).toBe(11);
    expect(inspectModel(fixture('resnetish-nhwc-rgb.onnx')).opset).toBe(13);
    expect(inspectModel(fixture('constant-weights.onnx')).opset).toBe(9);
  });

  it.skipIf(!hasFashion)('auto layers of the default model are its three ReLUs (skipped when the model is not built yet)', () => {
    const fashion = inspectModel(new Uint8Array(readFileSync(FASHION)));
    expect(fashion.autoLayers).toEqual(['/relu1/Relu_output_0', '/relu2/Relu_output_0', '/relu3/Relu_output_0']);
  });

  it('infers the image spec from the input shape: NCHW, NHWC, rank-3 gray', () => {
    const s = (m: string) => {
      const { channels, height, width, layout } = specFromModel(inspectModel(fixture(m)));
      return [channels, height, width, layout];
    };
    expect(s('constant-weights.onnx')).toEqual([1, 8, 8, 'nchw']);
    expect(s('resnetish-nhwc-rgb.onnx')).toEqual([3, 16, 16, 'nhwc']);
    expect(s('rgb-opset11.onnx')).toEqual([3, 12, 12, 'nchw']);
    expect(s('gray-rank3.onnx')).toEqual([1, 8, 8, 'nchw']);
    // A text-line model of any width: the fixed side is kept, and the open one asked for.
    const line = { ...inspectModel(fixture('rgb-opset11.onnx')), inputs: [{ name: 'x', elemType: 1, shape: ['N', 3, 48, 'W'] }] };
    expect(() => specFromModel(line)).toThrow(/^The image input's shape is open: input .*shape \[N, 3, 48, W\]; its width \(its height is 48: e\.g\. --size 48x320, or the width it was trained on\) is not fixed\. Give it in a spec \("height" and "width"; .*\), or on the command line with --size\./);
    expect(specFromModel(line, { width: 192 })).toMatchObject({ channels: 3, height: 48, width: 192, layout: 'nchw' });
    // Nothing fixed but the rank: what a size leaves open is named, and only that is asked for.
    const open = { ...line, inputs: [{ name: 'x', elemType: 1, shape: ['b', 'c', 'h', 'w'] }] };
    expect(() => specFromModel(open, { height: 64, width: 64 })).toThrow(/its channels and layout are not fixed\. Give them in a spec \("channels" and "layout"; .*\), or on the command line with --channels and --layout\./);
    expect(() => specFromModel(open, { height: 64, width: 64, channels: 3 })).toThrow(/its layout is not fixed\. Give it in a spec \("layout"; .*--layout\./);
    // An input of another element type is named by its type, and how to change it.
    const double = { ...line, inputs: [{ name: 'x', elemType: 11, shape: ['N', 3, 8, 8] }] };
    expect(() => specFromModel(double)).toThrow(/input "x" takes float64 \(ONNX element type 11\); histoscan feeds an image as float32, float16 or uint8 \(export/);
    // Four (RGBA) or two channels: no size flag helps, and the message does not ask for one.
    for (const c of [4, 2]) {
      const other = { ...line, inputs: [{ name: 'x', elemType: 1, shape: ['N', c, 16, 16] }] };
      expect(() => specFromModel(other)).toThrow(new RegExp(`shape \\[N, ${c}, 16, 16\\]; histoscan feeds gray \\(1 channel\\) or RGB \\(3 channels\\) images, and neither axis 1 nor axis 3 holds 1 or 3\\.$`));
    }
    // An explicit spec rescues a vector input; a wrong input name is refused.
    expect(specFromModel(inspectModel(fixture('no-image-input.onnx')), { height: 2, width: 5, channels: 1, layout: 'nchw' }).width).toBe(5);
    expect(() => specFromModel(inspectModel(fixture('rgb-opset11.onnx')), { inputName: 'nope' })).toThrow(/no input "nope"/);
  });

  it('refuses what is not an ONNX image model, with typed errors', async () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ModelError);
        return (e as ModelError).code;
      }
      return 'no error';
    };
    expect(code(() => inspectModel(new TextEncoder().encode('this is a text file, not a model')))).toBe('not-onnx');
    const r = rng(9);
    expect(code(() => inspectModel(Uint8Array.from({ length: 5000 }, () => Math.floor(r() * 256))))).toBe('not-onnx');
    expect(code(() => inspectModel(new Uint8Array(0)))).toBe('not-onnx');
    expect(() => inspectModel(new Uint8Array(0))).toThrow('The model file is empty (0 bytes)');
    // A model cut short (a download that did not finish) is not called "not an ONNX model".
    const whole = fixture('rgb-opset11.onnx');
    for (const n of [10, whole.length >> 1, whole.length - 1]) expect(() => inspectModel(whole.subarray(0, n))).toThrow(`This ONNX model ends early: its ${n.toLocaleString('en')} bytes stop inside the model`);
    expect(() => inspectModel(new Uint8Array(readFileSync('README.md')))).toThrow('This file is not an ONNX model (it does not parse');
    // Weights saved beside the model: named, with how to make one file, before onnxruntime sees it.
    expect(code(() => inspectModel(fixture('external-data.onnx')))).toBe('external-data');
    expect(() => inspectModel(fixture('external-data.onnx'))).toThrow(/keeps its weights in another file \(external-data\.onnx\.data\); histoscan reads a model as one file\. Save it as one: python3 -c/);
    await expect(InstrumentedModel.create(fixture('external-data.onnx'))).rejects.toMatchObject({ code: 'external-data' });
    // Also in a subgraph (an If's branch) or a sparse initializer: onnxruntime would read the file from the
    // working directory into the model's outputs (a probe read package.json's first bytes that way).
    const leak = (location: string) => create(TensorProtoSchema, { name: 'leak', dims: [16n], dataType: 1, dataLocation: TensorProto_DataLocation.EXTERNAL, externalData: [create(StringStringEntryProtoSchema, { key: 'location', value: location })] });
    const inBranch = fromBinary(ModelProtoSchema, fixture('rgb-opset11.onnx'));
    inBranch.graph!.node[0].attribute.push(create(AttributeProtoSchema, { name: 'then_branch', g: create(GraphProtoSchema, { initializer: [leak('package.json')] }) }));
    expect(() => inspectModel(toBinary(ModelProtoSchema, inBranch))).toThrow(/keeps its weights in another file \(package\.json\)/);
    const sparse = fromBinary(ModelProtoSchema, fixture('rgb-opset11.onnx'));
    sparse.graph!.sparseInitializer.push(create(SparseTensorProtoSchema, { values: leak('secret.bin'), dims: [16n] }));
    expect(code(() => inspectModel(toBinary(ModelProtoSchema, sparse)))).toBe('external-data');
    expect(code(() => specFromModel(inspectModel(fixture('no-image-input.onnx'))))).toBe('no-image-input');
    expect(code(() => inspectModel(fixture('no-image-input.onnx')))).toBe('no error');
    expect(code(() => resolveLayers(inspectModel(fixture('rgb-opset11.onnx')), ['nope']))).toBe('unknown-layer');
    expect(() => resolveLayers(inspectModel(fixture('rgb-opset11.onnx')), ['nope'])).toThrow(/"nope".*Valid names include: "\/act\/Relu_output_0"/);
    expect(() => resolveLayers(inspectModel(fixture('rgb-opset11.onnx')), ['logits'])).toThrow(/graph output/);
    await expect(InstrumentedModel.create(fixture('constant-weights.onnx'), { layers: ['r1', 'missing'] })).rejects.toMatchObject({ code: 'unknown-layer' });
    const nan = await InstrumentedModel.create(fixture('nan.onnx'));
    // The session returns what the model computed; non-finite values are found per image by the
    // feature extractor (tests/model/nan-batch.test.ts), so one bad image does not sink its batch.
    const out = await nan.run(new Float32Array(36).fill(0.5), [1, 1, 6, 6]);
    const flat = out.activations.find((a) => a.name === '/Flatten_output_0')!;
    expect(() => checkFinite(flat.data)).toThrow(ActivationError);
    await expect(nan.run(new Float32Array(5), [1, 1, 6, 6])).rejects.toThrow(RangeError);
    nan.release();
  });

  it('random mutations of a model give typed errors only, never a crash or hang (seeded fuzz)', async () => {
    const base = fixture('rgb-opset11.onnx');
    const r = rng(11);
    const t0 = Date.now();
    let typed = 0;
    for (let i = 0; i < 300 && Date.now() - t0 < 20_000; i++) {
      const bad = base.slice(0, r() < 0.3 ? Math.floor(r() * base.length) : base.length);
      for (let k = 0; k < 1 + Math.floor(r() * 6); k++) bad[Math.floor(r() * bad.length)] = Math.floor(r() * 256);
      try {
        const info = inspectModel(bad);
        instrumentModel(bad, info.autoLayers);
        const m = await InstrumentedModel.create(bad);
        m.release();
      } catch (e) {
        expect(e).toBeInstanceOf(ModelError);
        typed++;
      }
    }
    expect(typed).toBeGreaterThan(10);
  });
});
