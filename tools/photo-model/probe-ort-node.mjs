// Probe (not wired into the project): onnxruntime-node's CPU provider vs onnxruntime-web (WASM) on
// the same model and 16 PNGs: max |diff| of the outputs, images/s on a batch of 16, one-image latency.
//
//   mkdir -p /tmp/ortnode && (cd /tmp/ortnode && npm init -y && ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0)
//   ORT_NODE_DIR=/tmp/ortnode node tools/photo-model/probe-ort-node.mjs .cache/photo-model/model.onnx .cache/photo-model/sets/clean/test [threads]
// onnxruntime-node (CPU EP) vs onnxruntime-web (WASM) on the same model and inputs.
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import * as web from 'onnxruntime-web';
import { createRequire } from 'node:module';

const node = createRequire(path.join(process.env.ORT_NODE_DIR ?? '.', 'x.js'))('onnxruntime-node');
const model = process.argv[2];
const dir = process.argv[3];
const threads = +(process.argv[4] ?? 1);
web.env.wasm.numThreads = threads;
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.png')).slice(0, 16);
const one = 3 * 224 * 224;
const x = new Float32Array(16 * one);
files.forEach((f, n) => { const p = PNG.sync.read(fs.readFileSync(path.join(dir, f)));
  for (let i = 0; i < 224 * 224; i++) for (let c = 0; c < 3; c++) x[n * one + c * 224 * 224 + i] = p.data[4 * i + c]; });
const sw = await web.InferenceSession.create(model, { executionProviders: ['wasm'] });
const sn = await node.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1 });
console.log('node EPs listed:', node.listSupportedBackends?.().map((b) => b.name).join(','));
const med = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
async function time(s, T, bs, reps) {
  const t = new T('float32', x.subarray(0, bs * one), [bs, 3, 224, 224]);
  let r = await s.run({ input: t }); const ts = [];
  for (let i = 0; i < reps; i++) { const a = performance.now(); r = await s.run({ input: t }); ts.push(performance.now() - a); }
  return { out: r.logits.data, ms: med(ts) };
}
const w16 = await time(sw, web.Tensor, 16, 3), n16 = await time(sn, node.Tensor, 16, 3);
const w1 = await time(sw, web.Tensor, 1, 7), n1 = await time(sn, node.Tensor, 1, 7);
let d = 0; for (let i = 0; i < w16.out.length; i++) d = Math.max(d, Math.abs(w16.out[i] - n16.out[i]));
console.log(JSON.stringify({ threads, maxAbsDiffLogits: d, web: { batch16ImgPerSec: +(16000 / w16.ms).toFixed(2), oneImageMs: +w1.ms.toFixed(1) },
  node: { batch16ImgPerSec: +(16000 / n16.ms).toFixed(2), oneImageMs: +n1.ms.toFixed(1) } }));
