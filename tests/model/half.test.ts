// Half-precision models (tools/testmodels/make.py): one that takes and gives float16 with every type
// declared, and one that computes in float16 behind float32 input and output and declares nothing
// inside (as onnxconverter_common writes with keep_io_types). Their node values and logits are the
// float32 originals' to half precision; the codec is checked against @petamoriken/float16.
import { readFileSync } from 'node:fs';
import { getFloat16, setFloat16 } from '@petamoriken/float16';
import { describe, expect, it } from 'vitest';
import { buildDefaults } from '../../src/defaults.ts';
import { Detector } from '../../src/detector/index.ts';
import { fileSource, listImages } from '../../src/cli/io.ts';
import { rng } from '../../src/core/rng.ts';
import { fromHalf, toHalf } from '../../src/model/half.ts';
import { inspectModel } from '../../src/model/onnx.ts';
import { specFromModel } from '../../src/model/spec.ts';

const fixture = (name: string) => new Uint8Array(readFileSync(`tests/fixtures/models/${name}`));
const native = await import('onnxruntime-node').then(
  () => true,
  () => false,
);
const files = listImages(['data/clean']).slice(0, 24);
const images = fileSource(files);

describe('float16 codec', () => {
  const view = new DataView(new ArrayBuffer(4));
  it('decodes every bit pattern as @petamoriken/float16 does', () => {
    const bits = Uint16Array.from({ length: 65536 }, (_, h) => h);
    const ours = fromHalf(bits);
    for (let h = 0; h < 65536; h++) {
      view.setUint16(0, h);
      expect(Object.is(ours[h], getFloat16(view, 0)) || (Number.isNaN(ours[h]) && Number.isNaN(getFloat16(view, 0))), `0x${h.toString(16)}`).toBe(true);
    }
  });

  it('rounds float32 values to the nearest float16 (ties to even, overflow, subnormals) as @petamoriken/float16 does', () => {
    const r = rng(3);
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    // Random bit patterns over every exponent, and values around the edges of the range.
    const values = Float32Array.from({ length: 200_000 }, () => ((u32[0] = Math.floor(r() * 2 ** 32)), f32[0]));
    const edges = [0, -0, 65504, 65519.99, 65520, -65520, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -14, 2 ** -14 - 2 ** -25, 1 + 2 ** -11, 1 + 3 * 2 ** -11, Infinity, -Infinity];
    const all = Float32Array.from([...values, ...edges]);
    const ours = toHalf(all);
    for (let i = 0; i < all.length; i++) {
      if (Number.isNaN(all[i])) {
        expect(ours[i] & 0x7c00).toBe(0x7c00);
        expect(ours[i] & 0x3ff).not.toBe(0);
        continue;
      }
      setFloat16(view, 0, all[i]);
      expect(ours[i], `${all[i]}`).toBe(view.getUint16(0));
    }
  });
});

/** Largest |a - b| over the largest |b|: half precision keeps about three decimal digits, less after a few layers. */
const relDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let [d, m] = [0, 1e-6];
  for (let i = 0; i < a.length; i++) [d, m] = [Math.max(d, Math.abs(a[i] - b[i])), Math.max(m, Math.abs(b[i]))];
  return d / m;
};

const pairs = [
  { half: 'rgb-fp16.onnx', full: 'rgb-opset11.onnx', input: 10 },
  { half: 'tiny-vit-fp16.onnx', full: 'tiny-vit.onnx', input: 1 },
];

describe.each(pairs)('$half', ({ half, full, input }) => {
  const providers = ['wasm', ...(native ? ['cpu' as const] : [])] as const;
  it.each(providers)('monitors the layers of its float32 original, with its node values and logits to half precision (%s)', async (provider) => {
    const [hi, fi] = [inspectModel(fixture(half)), inspectModel(fixture(full))];
    expect([hi.inputs[0].elemType, hi.half, fi.half]).toEqual([input, true, false]);
    expect(hi.autoLayers.length).toBe(fi.autoLayers.length);
    expect(specFromModel(hi)).toEqual(specFromModel(fi));
    const [h, f] = [await Detector.create({ model: fixture(half), provider }), await Detector.create({ model: fixture(full), provider: 'wasm' })];
    expect(h.features.provider).toBe(provider);
    const imgs = await Promise.all(files.map((_, i) => images.load(i)));
    const [a, b] = [await h.features.nodeValues(imgs), await f.features.nodeValues(imgs)];
    expect(a.errors.size).toBe(0);
    expect(relDiff(a.nodes, b.nodes)).toBeLessThan(0.02);
    for (let i = 0; i < imgs.length; i++) expect(relDiff(a.logits[i], b.logits[i])).toBeLessThan(0.02);

    // Built and checked like any model, in the same pipeline.
    const built = await h.build(images, images, buildDefaults({ bins: 8, batchSize: 8 }));
    h.useProfile(built.profile);
    const r = await h.check(imgs[0], files[0]);
    expect(Number.isFinite(r.score) && r.layers.every((l) => l.values.every(Number.isFinite))).toBe(true);
    h.release();
    f.release();
  });
});
