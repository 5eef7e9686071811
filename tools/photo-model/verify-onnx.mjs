// Check model.onnx under onnxruntime-web (WASM, plain Node) against torch's logits, and time it.
//
//   node tools/photo-model/verify-onnx.mjs [.cache/photo-model]
//
// Reads OUT/torch-reference.json (written by torch_reference.py): the max |ORT - torch| over those images
// must be <= 1e-4, else exit 1. Then times one-image inference (median of 10 runs after 2 warm-ups) and a
// batch of 16 (images/s), and writes OUT/verify.json.
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import * as ort from 'onnxruntime-web';

const out = process.argv[2] ?? '.cache/photo-model';
ort.env.wasm.numThreads = 1;

function readPng(file) {
  const png = PNG.sync.read(fs.readFileSync(file));
  const { width: w, height: h, data } = png;
  const x = new Float32Array(3 * w * h);
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) x[c * w * h + i] = data[4 * i + c];
  return x;
}

function batch(files) {
  const one = 3 * 224 * 224;
  const x = new Float32Array(files.length * one);
  files.forEach((f, i) => x.set(readPng(path.join(out, f)), i * one));
  return new ort.Tensor('float32', x, [files.length, 3, 224, 224]);
}

const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];

const ref = JSON.parse(fs.readFileSync(path.join(out, 'torch-reference.json'), 'utf8'));
const session = await ort.InferenceSession.create(path.join(out, 'model.onnx'), { executionProviders: ['wasm'] });
const res = await session.run({ input: batch(ref.files) });
const got = res.logits.data;
let maxDiff = 0;
ref.logits.forEach((row, i) => row.forEach((v, k) => { maxDiff = Math.max(maxDiff, Math.abs(v - got[i * 80 + k])); }));
console.log(`onnxruntime-web vs torch on ${ref.files.length} images: max |diff| = ${maxDiff.toExponential(2)}`);

const one = batch([ref.files[0]]);
for (let i = 0; i < 2; i++) await session.run({ input: one });
const t1 = [];
for (let i = 0; i < 10; i++) { const t = performance.now(); await session.run({ input: one }); t1.push(performance.now() - t); }
const clean = fs.readdirSync(path.join(out, 'sets/clean/test')).filter((f) => f.endsWith('.png')).slice(0, 16)
  .map((f) => `sets/clean/test/${f}`);
const b16 = batch(clean);
await session.run({ input: b16 });
const t16 = [];
for (let i = 0; i < 3; i++) { const t = performance.now(); await session.run({ input: b16 }); t16.push(performance.now() - t); }
const report = {
  maxAbsDiffVsTorch: maxDiff, images: ref.files.length, oneImageMs: +median(t1).toFixed(1),
  batch16ImagesPerSec: +(16000 / median(t16)).toFixed(2), threads: 1, ort: 'onnxruntime-web (wasm) under Node',
  modelBytes: fs.statSync(path.join(out, 'model.onnx')).size,
};
console.log(report);
fs.writeFileSync(path.join(out, 'verify.json'), JSON.stringify(report, null, 1));
if (!(maxDiff <= 1e-4)) { console.error('FAIL: ONNX and torch disagree by more than 1e-4'); process.exit(1); }
