// `npm run bench:growth`: how bytes held and p-value time per test vector grow with the number of
// nodes (1k -> 1M, background n = 1k) and with the background size (1k -> 1M, 1k nodes), for the
// histogram (uniform B=16, tail B=32), sorted empirical and KDE. Writes bench/results/growth.{json,md,html}.
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { allocRanges, histogramPValues, kdePValues, payloadBytes, ProfileBuilder, silvermanBandwidths, sortedEmpiricalPValues, type Background } from '../src/core/index.ts';
import { plot, plotPage } from '../src/cli/plots.ts';
import { progress } from '../src/cli/progress.ts';
import { generator } from './synthetic.ts';

const RAW_LIMIT = 2.1e9; // bytes of raw background held for the empirical baseline
const cells = [
  ...[1e3, 1e4, 1e5, 1e6].map((nodes) => ({ axis: 'nodes', nodes, n: 1000 })),
  ...[1e3, 1e4, 1e5, 1e6].map((n) => ({ axis: 'background', nodes: 1000, n })),
];
const time = (fn: () => void, budget = 400) => {
  fn();
  const t0 = performance.now();
  let k = 0;
  while (performance.now() - t0 < budget || k < 3) (fn(), k++);
  return (performance.now() - t0) / k;
};
type Row = { axis: string; nodes: number; n: number; method: string; bytes: number; ms: number | null; note?: string };
const rows: Row[] = [];
const bar = progress();
let done = 0;
for (const c of cells) {
  bar.update({ done, total: cells.length, stage: 'growth' }); // one stage: its time left is of the whole run
  const gen = generator(c.nodes, 3);
  const layers = [{ name: 'synthetic', shape: [c.nodes], nodes: c.nodes }];
  const builders = [new ProfileBuilder({ layers, bins: 16, strategy: 'uniform' }), new ProfileBuilder({ layers, bins: 32, strategy: 'tail' })];
  const rawBytes = c.nodes * c.n * 4;
  const raw = rawBytes <= RAW_LIMIT ? new Float32Array(c.nodes * c.n) : null;
  const batch = Math.max(1, Math.floor(2e6 / c.nodes));
  for (const pass of [0, 1]) {
    for (let r0 = 0, b = 0; r0 < c.n; r0 += batch, b++) {
      const k = Math.min(batch, c.n - r0);
      const data = gen(k, b);
      for (const builder of builders) (pass ? builder.add(data, k) : builder.observe(data, k));
      if (pass && raw) for (let i = 0; i < k; i++) for (let j = 0; j < c.nodes; j++) raw[j * c.n + r0 + i] = data[i * c.nodes + j];
    }
  }
  const x = gen(1, 424242);
  const out = allocRanges(c.nodes);
  for (const [i, b] of builders.entries()) {
    const p = b.finish({ fingerprint: '', reduction: 'element', scan: { aMax: 0.5, tail: 'upper', pointP: 'mid' } });
    rows.push({ ...c, method: i ? 'histogram tail B=32' : 'histogram uniform B=16', bytes: payloadBytes(c.nodes, p.header.strategy, p.header.bins, c.n), ms: time(() => histogramPValues(p, x, out)) });
  }
  if (raw) {
    for (let j = 0; j < c.nodes; j++) raw.subarray(j * c.n, (j + 1) * c.n).sort();
    const bg: Background = { nodes: c.nodes, n: c.n, values: raw };
    rows.push({ ...c, method: 'empirical sorted', bytes: rawBytes, ms: time(() => sortedEmpiricalPValues(bg, x, out)) });
    const sub = Math.max(1, Math.min(c.nodes, Math.floor(2e6 / c.n)));
    const subBg: Background = { nodes: sub, n: c.n, values: raw.subarray(0, sub * c.n) };
    const h = silvermanBandwidths(subBg);
    const subOut = allocRanges(sub);
    rows.push({ ...c, method: 'KDE', bytes: rawBytes + 4 * c.nodes, ms: (time(() => kdePValues(subBg, h, x, subOut)) * c.nodes) / sub, note: sub < c.nodes ? `timed on ${sub} nodes, scaled` : undefined });
  } else {
    rows.push({ ...c, method: 'empirical sorted', bytes: rawBytes, ms: null, note: `not held: ${(rawBytes / 1e9).toFixed(0)} GB` });
    rows.push({ ...c, method: 'KDE', bytes: rawBytes, ms: null, note: `not held: ${(rawBytes / 1e9).toFixed(0)} GB` });
  }
  done++;
}
bar.stop();
const lines = ['| grows | nodes | background n | method | bytes held | ms / test vector |', '|---|---:|---:|---|---:|---:|'];
for (const r of rows) lines.push(`| ${r.axis} | ${r.nodes.toLocaleString('en')} | ${r.n.toLocaleString('en')} | ${r.method} | ${r.bytes.toLocaleString('en')} | ${r.ms === null ? `n/a (${r.note})` : `${r.ms.toPrecision(3)}${r.note ? ` (${r.note})` : ''}`} |`);
console.log(lines.join('\n'));
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/growth.json', JSON.stringify(rows, null, 2));
writeFileSync('bench/results/growth.md', lines.join('\n') + '\n');
const methods = [...new Set(rows.map((r) => r.method))];
const plots = (['nodes', 'background'] as const).map((axis) => {
  const series = methods.map((m) => {
    const rs = rows.filter((r) => r.axis === axis && r.method === m && r.ms !== null);
    return { name: m, x: rs.map((r) => (axis === 'nodes' ? r.nodes : r.n)), y: rs.map((r) => Math.log10(r.ms!)) };
  });
  return plot({ title: `p-value time per vector as ${axis === 'nodes' ? 'nodes' : 'background size'} grow`, xLabel: axis === 'nodes' ? 'nodes (log10)' : 'background images n (log10)', yLabel: 'log10 ms per test vector', xLog: true, series });
});
writeFileSync('bench/results/growth.html', plotPage('p-value time as nodes and background grow', plots));
