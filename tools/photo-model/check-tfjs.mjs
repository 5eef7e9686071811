// Compare the torch port (tfjs_graph.py) with the original tfjs graph model, run by TensorFlow.js itself
// (CPU backend), at the network's native 512x512 on 3 clean images: class heat-map logits.
//
//   TFJS_DIR=/path/with/node_modules/@tensorflow node tools/photo-model/check-tfjs.mjs .cache/photo-model
//
// TFJS_DIR: a folder where `npm install @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-converter@4.22.0
// @tensorflow/tfjs-backend-cpu@4.22.0` was run (not a dependency of this project).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const out = process.argv[2] ?? '.cache/photo-model';
const req = createRequire(path.join(process.env.TFJS_DIR ?? '.', 'x.js'));
const tf = req('@tensorflow/tfjs-core');
req('@tensorflow/tfjs-backend-cpu');
const { loadGraphModel } = req('@tensorflow/tfjs-converter');
await tf.setBackend('cpu');
const dir = path.join(out, 'src/human-models/package/models');
const spec = JSON.parse(fs.readFileSync(path.join(dir, 'centernet.json'), 'utf8'));
const bin = fs.readFileSync(path.join(dir, 'centernet.bin'));
const handler = { load: async () => ({
  modelTopology: spec.modelTopology, format: spec.format, generatedBy: spec.generatedBy, convertedBy: spec.convertedBy,
  weightSpecs: spec.weightsManifest.flatMap((g) => g.weights),
  weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
}) };
const model = await loadGraphModel(handler);
const raw = fs.readFileSync(path.join(out, 'tfjs-input-3x512x512x3.f32'));
const x = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const ref = fs.readFileSync(path.join(out, 'torch-heat-3x128x128x80.f32'));
const want = new Float32Array(ref.buffer, ref.byteOffset, ref.byteLength / 4);
let maxDiff = 0; let maxAbs = 0;
for (let i = 0; i < 3; i++) {
  const input = tf.tensor4d(x.subarray(i * 512 * 512 * 3, (i + 1) * 512 * 512 * 3), [1, 512, 512, 3]);
  const heat = model.execute(input, 'tower_0/CenternetHead/centernet_cls_output/BiasAdd');
  const got = heat.dataSync();
  const n = got.length;
  for (let k = 0; k < n; k++) {
    maxDiff = Math.max(maxDiff, Math.abs(got[k] - want[i * n + k]));
    maxAbs = Math.max(maxAbs, Math.abs(got[k]));
  }
}
console.log(`tfjs (cpu) vs torch port, class heat-map logits, 3 images at 512: max |diff| = ${maxDiff.toExponential(2)} (max |logit| ${maxAbs.toFixed(2)})`);
if (!(maxDiff <= 1e-3)) process.exit(1);
