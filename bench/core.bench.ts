// Core benchmark: p-value time per test vector and bytes held, histogram vs empirical vs KDE,
// side by side in one run on ReLU-like synthetic activations. `npm run bench:core [-- --quick]`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  allocRanges,
  bruteEmpiricalPValues,
  checkDrift,
  combineParts,
  decodeProfile,
  edgesPerNode,
  histogramPValueFn,
  histogramPValues,
  individualScan,
  kdePValues,
  payloadBytes,
  pointPValues,
  rng,
  ProfileBuilder,
  scanOf,
  silvermanBandwidths,
  sortedEmpiricalPValues,
  type Background,
  type Profile,
} from '../src/core/index.ts';
import { progress } from '../src/cli/progress.ts';
import { Scorer } from '../src/detector/scorer.ts';
import type { BinStrategy } from '../src/types.ts';
import { generator } from './synthetic.ts';

const quick = process.argv.includes('--quick');
const NODES = quick ? [1000, 10000] : [1000, 10000, 100000];
const SIZES = quick ? [1000, 10000] : [1000, 10000, 50000];
const TESTS = 1000;
const RAW_LIMIT = 2.5e9; // bytes of raw float32 background we are willing to hold
const SETTINGS: { strategy: BinStrategy; bins: number }[] = [16, 32, 64].flatMap((bins) => [
  { strategy: 'uniform' as const, bins },
  { strategy: 'tail' as const, bins },
]);

function timePerVector(fn: (x: Float32Array) => void, tests: Float32Array, nodes: number, budgetMs = 1500): { ms: number; vectors: number } {
  const count = tests.length / nodes;
  fn(tests.subarray(0, nodes)); // warm-up
  const t0 = performance.now();
  let v = 0;
  while (v < count) {
    fn(tests.subarray(v * nodes, (v + 1) * nodes));
    v++;
    if (performance.now() - t0 > budgetMs && v >= 3) break;
  }
  return { ms: (performance.now() - t0) / v, vectors: v };
}

interface Row {
  nodes: number;
  n: number;
  method: string;
  msPerVector: number | null;
  bytes: number;
  note?: string;
}

const rows: Row[] = [];
const scanRows: { nodes: number; ms: number }[] = [];
const cells = NODES.flatMap((nodes) => SIZES.map((n) => ({ nodes, n })));
const bar = progress();
let done = 0;

for (const { nodes, n } of cells) {
  bar.update({ done, total: cells.length, stage: 'bench' }); // one stage: its time left is of the whole run
  const gen = generator(nodes, nodes + n);
  const rawBytes = nodes * n * 4;
  const holdRaw = rawBytes <= RAW_LIMIT;
  if (nodes * n > 1.1e9) {
    rows.push({ nodes, n, method: 'all', msPerVector: null, bytes: rawBytes, note: `skipped: ${(rawBytes / 1e9).toFixed(0)} GB raw background; histogram lookup cost does not depend on n (see the other rows)` });
    done++;
    continue;
  }
  const batch = Math.max(1, Math.floor(4e6 / nodes));
  const builders = SETTINGS.map((s) => new ProfileBuilder({ layers: [{ name: 'synthetic', shape: [nodes], nodes }], ...s }));
  const raw = holdRaw ? new Float32Array(nodes * n) : null;
  for (const pass of [0, 1]) {
    for (let r0 = 0, b = 0; r0 < n; r0 += batch, b++) {
      const k = Math.min(batch, n - r0);
      const data = gen(k, b);
      for (const builder of builders) (pass === 0 ? builder.observe(data, k) : builder.add(data, k));
      if (pass === 1 && raw) for (let i = 0; i < k; i++) for (let j = 0; j < nodes; j++) raw[j * n + r0 + i] = data[i * nodes + j];
    }
  }
  const profiles: Profile[] = builders.map((b) => b.finish({ fingerprint: 'bench', reduction: 'element', scan: { aMax: 0.5, tail: 'upper', pointP: 'mid' } }));
  const tests = gen(TESTS, 999_999);
  const out = allocRanges(nodes);
  for (const [i, p] of profiles.entries()) {
    const t = timePerVector((x) => histogramPValues(p, x, out), tests, nodes);
    const s = SETTINGS[i];
    rows.push({ nodes, n, method: `histogram ${s.strategy} B=${s.bins}`, msPerVector: t.ms, bytes: payloadBytes(nodes, s.strategy, s.bins, n) });
  }
  if (raw) {
    for (let j = 0; j < nodes; j++) raw.subarray(j * n, (j + 1) * n).sort();
    const bg: Background = { nodes, n, values: raw };
    rows.push({ nodes, n, method: 'empirical sorted', msPerVector: timePerVector((x) => sortedEmpiricalPValues(bg, x, out), tests, nodes).ms, bytes: rawBytes });
    // Brute force and KDE cost O(n) per node: time them on the first nodes and scale linearly.
    const sub = Math.min(nodes, Math.max(50, Math.floor(2e7 / n / 8)));
    const subBg: Background = { nodes: sub, n, values: raw.subarray(0, sub * n) };
    const subTests = new Float32Array(20 * sub);
    for (let v = 0; v < 20; v++) subTests.set(tests.subarray(v * nodes, v * nodes + sub), v * sub);
    const subOut = allocRanges(sub);
    const brute = timePerVector((x) => bruteEmpiricalPValues(subBg, x, subOut), subTests, sub, 800);
    const h = silvermanBandwidths(subBg);
    const kde = timePerVector((x) => kdePValues(subBg, h, x, subOut), subTests, sub, 800);
    const note = sub < nodes ? `timed on ${sub} nodes, scaled x${(nodes / sub).toFixed(0)}` : undefined;
    rows.push({ nodes, n, method: 'empirical brute force', msPerVector: (brute.ms * nodes) / sub, bytes: rawBytes, note });
    rows.push({ nodes, n, method: 'KDE', msPerVector: (kde.ms * nodes) / sub, bytes: rawBytes + nodes * 4, note });
  } else {
    rows.push({ nodes, n, method: 'empirical / KDE', msPerVector: null, bytes: rawBytes, note: `not run: raw background needs ${(rawBytes / 1e9).toFixed(1)} GB` });
  }
  if (n === SIZES[1]) {
    const p = pointPValues(out, 'mid');
    histogramPValues(profiles[0], tests.subarray(0, nodes), out);
    pointPValues(out, 'mid', p);
    individualScan(p, { scoring: 'bj', aMax: 0.5 });
    const t0 = performance.now();
    let reps = 0;
    while (performance.now() - t0 < 500 || reps < 5) {
      individualScan(p, { scoring: 'bj', aMax: 0.5 });
      reps++;
    }
    scanRows.push({ nodes, ms: (performance.now() - t0) / reps });
  }
  done++;
}
bar.stop();

// Individual scan at exactly 50k nodes (the target's size).
{
  const gen = generator(50000, 5);
  const data = gen(1000, 1);
  const b = new ProfileBuilder({ layers: [{ name: 's', shape: [50000], nodes: 50000 }], bins: 16, strategy: 'uniform' });
  b.observe(data, 1000);
  b.add(data, 1000);
  const prof = b.finish({ fingerprint: 'bench', reduction: 'element', scan: { aMax: 0.5, tail: 'upper', pointP: 'mid' } });
  const out = allocRanges(50000);
  histogramPValues(prof, gen(1, 77), out);
  const p = pointPValues(out, 'mid');
  const t0 = performance.now();
  let reps = 0;
  while (performance.now() - t0 < 1000 || reps < 10) {
    individualScan(p, { scoring: 'bj', aMax: 0.5 });
    reps++;
  }
  scanRows.push({ nodes: 50000, ms: (performance.now() - t0) / reps });
}

// Combining an image's calibrated parts (4 scans, energy, Gaussian part, as the default model has them) against m
// calibration rows: every witness, with their joint look, and weighed with the Gaussian part alone, side by side.
const combineRows: { m: number; all: number; joint: number; hedged: number }[] = [];
for (const m of quick ? [500, 2000] : [500, 2000, 10000]) {
  const r = rng(11);
  // Correlated parts, as a clean image's are: a shared factor plus each part's own noise.
  const image = () => {
    const f = r() * 3;
    return Array.from({ length: 6 }, () => f + r() * 2);
  };
  const rows = Array.from({ length: m }, image).flat();
  const images = Array.from({ length: 200 }, image);
  const time = (joint: boolean, hedgeLast = false) => {
    combineParts(images[0].slice(0, 4), images[0], rows, 'tpm', { quiet: 0, joint, hedgeLast }); // the table's one-off preparation
    const t0 = performance.now();
    for (const x of images) combineParts(x.slice(0, 4), x, rows, 'tpm', { quiet: 0, joint, hedgeLast });
    return (performance.now() - t0) / images.length;
  };
  combineRows.push({ m, all: time(false), joint: time(true), hedged: time(false, true) });
}

// Loading the bundled profile: decoding it, then the scorer (with its table's check, core/recheck.ts), beside the check alone.
const hsp = readFileSync('public/profiles/fashion-cnn.hsp');
const loads: { decode: number; scorer: number; check: number }[] = [];
for (let i = 0; i < 6; i++) {
  const t0 = performance.now();
  const p = decodeProfile(hsp);
  const t1 = performance.now();
  new Scorer(p);
  const t2 = performance.now();
  // The check as the scorer runs it: on the scan settings it has already made (their Gaussian fit is scanOf's work).
  const [pv, scan] = [histogramPValueFn(p), scanOf(p)];
  const t3 = performance.now();
  checkDrift(p, pv, scan);
  loads.push({ decode: t1 - t0, scorer: t2 - t1, check: performance.now() - t3 });
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const loadRow = (k: 'decode' | 'scorer' | 'check') => ({ first: loads[0][k], warm: median(loads.slice(1).map((l) => l[k])) });
const load = { decode: loadRow('decode'), scorer: loadRow('scorer'), check: loadRow('check') };

const fmt = (ms: number | null) => (ms === null ? 'n/a' : ms < 1 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(2) : ms.toFixed(0));
const lines: string[] = [];
lines.push('| nodes | background n | method | ms / test vector | bytes held | vs raw | speed-up vs sorted empirical | speed-up vs KDE |');
lines.push('|---:|---:|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const same = rows.filter((o) => o.nodes === r.nodes && o.n === r.n);
  const emp = same.find((o) => o.method === 'empirical sorted')?.msPerVector ?? null;
  const kde = same.find((o) => o.method === 'KDE')?.msPerVector ?? null;
  const raw = r.nodes * r.n * 4;
  const speed = (base: number | null) => (base !== null && r.msPerVector ? `${(base / r.msPerVector).toFixed(base / r.msPerVector < 10 ? 1 : 0)}x` : '');
  lines.push(
    `| ${r.nodes} | ${r.n} | ${r.method}${r.note ? ` (${r.note})` : ''} | ${fmt(r.msPerVector)} | ${r.bytes.toLocaleString('en')} | ${((100 * r.bytes) / raw).toFixed(2)}% | ${r.method.startsWith('histogram') ? speed(emp) : ''} | ${r.method.startsWith('histogram') ? speed(kde) : ''} |`,
  );
}
lines.push('', '| nodes | individual scan ms (Berk-Jones, a_max 0.5) |', '|---:|---:|');
for (const s of scanRows) lines.push(`| ${s.nodes} | ${s.ms.toFixed(3)} |`);
lines.push('', '| calibration rows m | combine ms / image, every witness | with their joint look | ratio | weighed with the Gaussian part | ratio |', '|---:|---:|---:|---:|---:|---:|');
for (const c of combineRows) lines.push(`| ${c.m} | ${c.all.toFixed(3)} | ${c.joint.toFixed(3)} | ${(c.joint / c.all).toFixed(2)}x | ${c.hedged.toFixed(3)} | ${(c.hedged / c.all).toFixed(2)}x |`);
lines.push('', '| loading the bundled profile (4.99 MB) | first ms | warm ms (median of 5) |', '|---|---:|---:|');
lines.push(`| decode (.hsp → arrays) | ${load.decode.first.toFixed(1)} | ${load.decode.warm.toFixed(1)} |`);
lines.push(`| scorer, with its table's check | ${load.scorer.first.toFixed(1)} | ${load.scorer.warm.toFixed(1)} |`);
lines.push(`| the check alone | ${load.check.first.toFixed(1)} | ${load.check.warm.toFixed(1)} (${((100 * load.check.warm) / (load.decode.warm + load.scorer.warm)).toFixed(0)}% of decode + scorer) |`);
const table = lines.join('\n');
console.log(`\n${table}\n`);
console.log(`bytes per node: uniform B: 8 + 8 + w*B; tail B: 8 + 4(B+1) + w*B (w = 1, 2 or 4 bytes per count); e.g. edgesPerNode(tail, 32) = ${edgesPerNode('tail', 32)}`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/core.json', JSON.stringify({ date: new Date().toISOString(), quick, rows, scan: scanRows, combine: combineRows, load }, null, 2));
writeFileSync('bench/results/core.md', table + '\n');
console.log('wrote bench/results/core.json and bench/results/core.md');
