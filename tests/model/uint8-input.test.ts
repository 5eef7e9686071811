// Models that take uint8 pixels (exports that fold the scaling into the graph): fed the resized
// pixels themselves, with the same logits as the plain model.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDefaults } from '../../src/defaults.ts';
import { Detector } from '../../src/detector/index.ts';
import { inspectModel } from '../../src/model/onnx.ts';
import { toTensor } from '../../src/model/preprocess.ts';
import { specFromModel } from '../../src/model/spec.ts';
import { ort } from '../../src/model/runtime.ts';
import { noiseImage, noiseImages } from './noise-images.ts';

const MODEL = new Uint8Array(readFileSync('tests/fixtures/models/uint8-rgb.onnx'));
const image = (seed: number) => noiseImage(seed, 8);
const images = (seed: number, count: number) => noiseImages(seed, count, 8);

describe('a model with a uint8 image input', () => {
  it('its spec feeds pixels (scale 1); the detector\'s logits equal the plain model fed the same uint8 pixels', async () => {
    const spec = specFromModel(inspectModel(MODEL));
    expect([spec.scale, spec.channels, spec.layout, spec.height]).toEqual([1, 3, 'nchw', 8]);
    const d = await Detector.create({ model: MODEL, provider: 'wasm' });
    const img = image(1);
    const pixels = Uint8Array.from(toTensor(img, d.features.spec));
    // The pixels of channel c are the image's own: no resize at the model's size, no scaling.
    expect(Array.from(pixels.subarray(0, 8))).toEqual(Array.from({ length: 8 }, (_, x) => img.data[4 * x]));
    const { logits } = await d.features.nodeValues([img]);
    ort.env.wasm.numThreads = 1;
    const plain = await (await ort.InferenceSession.create(MODEL)).run({ x: new ort.Tensor('uint8', pixels, [1, 3, 8, 8]) });
    expect(Array.from(logits[0])).toEqual(Array.from(plain.y.data as Float32Array));

    // Built and checked like any model.
    const built = await d.build(images(2, 60), images(3, 20), buildDefaults({ bins: 8, batchSize: 16 }));
    d.useProfile(built.profile);
    expect(Number.isFinite((await d.check(image(4), 'x')).score)).toBe(true);
    d.release();
  });
});
