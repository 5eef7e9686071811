// What `histoscan eval` writes: its table, the comparison with the best peer in words, the ROC page
// (--plots) and the part scores (--parts-out). Functions of the results; the run is eval.ts's.
import { readFileSync, statSync } from 'node:fs';
import { writeAtomic } from './io.ts';
import { basename, extname } from 'node:path';
import { calibrationNeeded, roc, wideSpread, type Adjusted, type VersusPeers } from '../core/index.ts';
import type { EvalRow, ScoredSet } from '../evaluate.ts';
import type { NodeSet } from '../node-sets.ts';
import type { EvalResult, LostImage, Split } from './eval.ts';
import { esc, PALETTE, plot, plotPage } from './plots.ts';

/**
 * ROC curves of histoscan and the peers (not the parts alone), one plot per anomalous set, the AUC in
 * each legend; a calibrated method's verdict at `fpr` is a point on its curve.
 */
export function rocPage(rows: EvalRow[], results: EvalResult[], split: Split, fpr: number): string {
  const half = split === 'all' ? '' : ` (${split} half)`;
  const plots = [...new Set(rows.map((r) => r.set))].map((set) => {
    const curves = rows.map((r, i) => ({ r, res: results[i] })).filter(({ r, res }) => r.set === set && res.kind !== 'part' && r.scores);
    const series = curves.flatMap(({ r, res }, k) => {
      const c = roc(r.scores!.clean, r.scores!.anomalous);
      const color = PALETTE[k % PALETTE.length];
      const v = res.atVerdict;
      // A verdict that cannot flag at this FPR has no operating point to mark.
      const verdict = v?.canFlag ? [{ name: `${r.method}: the verdict at q ≤ ${fpr} (FPR ${v.clean.rate.toFixed(3)}, TPR ${v.anomalous.rate.toFixed(3)})`, x: [v.clean.rate], y: [v.anomalous.rate], points: true, color }] : [];
      return [{ name: `${r.method} (AUC ${r.auc.toFixed(3)})`, x: c.fpr, y: c.tpr, color }, ...verdict];
    });
    // The same curves on a log scale of false-positive rates, where a verdict's operating point lies (down to one clean image in all).
    const floor = 1 / Math.max(1, ...curves.map(({ r }) => r.scores!.clean.length));
    const along = Array.from({ length: 41 }, (_, i) => floor ** (1 - i / 40)); // TPR = FPR bends on a log axis
    const chance = { name: 'chance', x: along, y: along, color: '#bbb', dashed: true };
    const atLow = [...series.map((s) => ({ ...s, x: s.x.map((v) => Math.max(v, floor)) })), chance];
    const lost = curves.find(({ res }) => res.kind === 'histoscan')?.res;
    const body = [
      plot({ title: `ROC: clean vs ${set}${half}`, xLabel: 'false-positive rate', yLabel: 'true-positive rate', series: [...series, { ...chance, x: [0, 1], y: [0, 1] }], xRange: [0, 1], yRange: [0, 1] }),
      plot({ title: `ROC at low false-positive rates: clean vs ${set}${half}`, xLabel: `false-positive rate (log scale; 0 drawn at 1/${Math.round(1 / floor)})`, yLabel: 'true-positive rate', series: atLow, xLog: true, xRange: [Math.log10(floor), 0], yRange: [0, 1] }),
      ...(lost ? [lostFigure(lost)] : []),
    ].join('\n');
    // A set's plots and pictures on rows of their own.
    return `<section>${body}</section>`;
  });
  return plotPage(`histoscan eval${half}: ROC curves per anomalous set`, plots);
}

/** A share as the table and the page write it: "40.8%". */
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** What is said of a set where no pair is misordered. */
const nothingLost = (set: string) => `every ${set} image ranks above every clean image`;

/** Kinds of image a browser shows, by extension; the page carries each as a data URI. */
const SHOWN: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.jfif': 'image/jpeg', '.jpe': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp', '.avif': 'image/avif', '.bmp': 'image/bmp' };
const THUMB_BYTES = 1 << 20;

/** An image file as the ROC page carries it: a data URI, or why it cannot (a kind browsers do not show, over 1 MB, unreadable). */
export function thumbnail(file: string): { src: string } | { why: string } {
  const ext = extname(file).toLowerCase();
  const type = SHOWN[ext];
  if (!type) return { why: `${ext.slice(1).toUpperCase() || 'this kind'}: browsers do not show it` };
  try {
    if (statSync(file).size > THUMB_BYTES) return { why: 'over 1 MB: not carried' };
    return { src: `data:${type};base64,${readFileSync(file).toString('base64')}` };
  } catch {
    return { why: 'unreadable' };
  }
}

/** The images a set's AUC is lost on (EvalResult.lostOn), as pictures with their shares: what a person looks at next. */
function lostFigure(r: EvalResult): string {
  const row = (label: string, images: LostImage[], side: string) =>
    images.length
      ? `<div><b>${esc(label)}</b>${images
          .map((c) => {
            const t = thumbnail(c.file);
            const name = basename(c.file);
            const picture = 'src' in t ? `<img src="${t.src}" alt="${esc(name)}">` : `<i>${esc(t.why)}</i>`;
            return `<span title="${esc(c.file)}">${picture}${esc(name)}<br>${side} ${pct(c.share)}</span>`;
          })
          .join('')}</div>`
      : '';
  const { clean, anomalous } = r.lostOn!;
  return `<figure><figcaption>Where ${esc(r.method)}'s AUC is lost on ${esc(r.set)}: the clean images ranked above the largest share of ${esc(r.set)}, and the ${esc(r.set)} images ranked below the largest share of clean ones.</figcaption>${row('clean', clean, 'above')}${row(r.set, anomalous, 'below')}${clean.length || anomalous.length ? '' : `<p>Nothing: ${esc(nothingLost(r.set))}.</p>`}</figure>`;
}

/**
 * Writes each scored set's part scores as one JSON line: method, set, part names, the calibration
 * table (row-major [images, parts]), a row of part scores per image and the classes the model
 * predicts (of the images, and of the calibration images), and which witnesses the calibration chose
 * (witnesses: all, joint, gauss, or all+gauss / joint+gauss where it weighs both), to study combination rules offline
 * (tools/witness-rules.ts).
 */
export function partsWriter(file: string): { add: (method: string, set: NodeSet, scored: ScoredSet) => void; write: () => void } {
  // Written once the run ends (io.ts writeAtomic): a run cut short leaves the file of the last whole run.
  const lines: string[] = [];
  const add = (method: string, set: NodeSet, { parts }: ScoredSet) => {
    if (!parts) return;
    const images = parts.scores[0]?.map((_, i) => parts.scores.map((p) => p[i])) ?? [];
    // `files` names each row of `images`, so the parts can be joined with other scores of the same images.
    const line = { method, set: set.name, files: set.files.slice(0, images.length), parts: parts.names, calibration: parts.calibration ?? [], images, classes: parts.classes, calibrationClasses: parts.calibrationClasses, witnesses: parts.witnesses ?? 'all' };
    lines.push(`${JSON.stringify(line)}\n`);
  };
  return { add, write: () => writeAtomic(file, lines.join('')) };
}

/**
 * Where one calibration of so few images may flag at twice the FPR (build-notes.ts fprSpreadWarning),
 * the range its own rate falls in: the Wilson interval counts the clean images only, and a rate
 * outside it is not yet a broken verdict (a probe: 12.0% [6.4%, 21.3%] of 75 at 5%, calibrated on 19).
 */
function drawSpread(calibrated: number, fpr: number): string {
  const s = wideSpread(calibrated, fpr);
  return s ? ` (a calibration on ${calibrated} images flags at ${pct(s.lo)}-${pct(s.hi)} in 90% of draws)` : '';
}

/**
 * Where the clean images are flagged far beyond what even this calibration's spread allows: they are not like the
 * calibration images (a probe: background and calibration drawn from the model's training lines, clean lines it never
 * saw, 26.8% flagged at 5% without a word; 40 unseen lines calibrating the same background, 3.5%).
 */
function excessLine(calibrated: number): string {
  return `warning: far more clean images flagged than the FPR allows (even for a calibration on ${calibrated} images): the clean images differ from the calibration images (images the model was trained on calibrate it as more typical than new ones); calibrate on held-out images like the ones checked (--calibration).`;
}

/** One table: a row per method, a column of AUCs per anomalous set. */
export function evalTable(results: EvalResult[], split: Split = 'all'): string {
  const sets = [...new Set(results.map((r) => r.set))];
  const methods = [...new Set(results.map((r) => r.method))];
  const w = Math.max(6, ...methods.map((m) => m.length));
  const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
  // How many images each AUC stands on, and which half: a folder that was a dev half already is halved again, which shows here.
  const most = (s: string, side: 'clean' | 'anomalous') => Math.max(...results.filter((r) => r.set === s).map((r) => r.images[side]));
  const scored = `Images scored${split === 'all' ? '' : ` (the ${split} half of each folder; --split all scores them whole)`}: clean ${most(sets[0], 'clean')}; ${sets.map((s) => `${s} ${most(s, 'anomalous')}`).join(', ')}.`;
  const lines = [scored, '', `${'method'.padEnd(w)}  ${'kind'.padEnd(9)}  ${'bytes'.padStart(10)}  ${'ms/image'.padStart(8)}  ${sets.map((s) => s.padStart(Math.max(6, s.length))).join('  ')}`];
  for (const m of methods) {
    const rs = results.filter((r) => r.method === m);
    const ms = rs.reduce((a, r) => a + (r.pvalueMsPerImage ?? 0) + r.scanMsPerImage, 0) / rs.length;
    const aucs = sets.map((s) => (rs.find((r) => r.set === s)?.auc.toFixed(3) ?? '—').padStart(Math.max(6, s.length)));
    lines.push(`${m.padEnd(w)}  ${rs[0].kind.padEnd(9)}  ${mb(rs[0].bytes).padStart(10)}  ${(Number.isFinite(ms) ? ms.toFixed(3) : '—').padStart(8)}  ${aucs.join('  ')}`);
  }
  const verdicts = results.filter((r) => r.atVerdict);
  if (verdicts.length) {
    const at = verdicts[0].atVerdict!.clean.level;
    lines.push('', `At the verdict's FPR ${pct(at)} (q <= ${at}): the share each calibrated method flags (Wilson 95% interval for the clean images, its realised FPR):`);
    for (const m of [...new Set(verdicts.map((r) => r.method))]) {
      const rs = verdicts.filter((r) => r.method === m);
      const { clean: c, calibrated, canFlag, cleanExcess } = rs[0].atVerdict!;
      // Nothing flagged because nothing can be: say so rather than print 0% for every set.
      if (!canFlag) lines.push(`  ${m.padEnd(w)}  cannot flag at this FPR: ${calibrated} calibration images, at least ${calibrationNeeded(at)} are needed (give more with --calibration)`);
      else {
        lines.push(`  ${m.padEnd(w)}  clean ${pct(c.rate)} [${pct(c.lo)}, ${pct(c.hi)}] of ${c.n}${drawSpread(calibrated, at)}; ${rs.map((r) => `${r.set} ${pct(r.atVerdict!.anomalous.rate)}`).join(', ')}`);
        if (cleanExcess) lines.push(`  ${' '.repeat(w)}  ${excessLine(calibrated)}`);
      }
    }
  }
  const lost = results.filter((r) => r.kind === 'histoscan' && r.lostOn);
  if (lost.length) {
    lines.push('', 'Where the AUC is lost: the clean images ranked above the largest share of a set, and the images of a set ranked below the largest share of clean images:');
    // File names without their folders (each set's folder is the command's; --json keeps the paths).
    const sw = Math.max(...lost.map((r) => r.set.length));
    for (const r of lost) {
      const { clean, anomalous } = r.lostOn!;
      const at = `  ${r.method.padEnd(w)}  ${r.set.padEnd(sw)}`;
      if (clean.length) lines.push(`${at}  clean: ${clean.map((c, i) => `${basename(c.file)} above ${pct(c.share)}${i ? '' : ` of ${r.set}`}`).join(', ')}`);
      if (anomalous.length) lines.push(`${at}  ${r.set}: ${anomalous.map((c, i) => `${basename(c.file)} below ${pct(c.share)}${i ? '' : ' of clean'}`).join(', ')}`);
      if (!clean.length && !anomalous.length) lines.push(`${at}  nothing: ${nothingLost(r.set)}`);
    }
  }
  const versus = results.filter((r) => r.versusBestPeer);
  if (versus.length) {
    lines.push('', versusHeader(versus.map((r) => r.versusBestPeer!)));
    const sw = Math.max(...versus.map((r) => r.set.length));
    for (const r of versus) lines.push(`  ${r.method.padEnd(w)}  ${r.set.padEnd(sw)}  ${versusText(r.versusBestPeer!)}`);
  }
  return lines.join('\n');
}

const signed = (x: number) => `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(3)}`;

/** A level as a percentage without trailing zeros: 95%, 98.75%, 99.17%. */
export const levelPct = (level: number) => `${Number((100 * level).toFixed(2))}%`;

/** The line above the comparisons: the test, the correction for the m peers compared, what each word claims. */
export function versusHeader(vs: readonly VersusPeers[]): string {
  const levels = [...new Map(vs.map((v) => [v.peers, `${levelPct(v.level)} for m = ${v.peers}`]))].sort(([a], [b]) => a - b).map(([, s]) => s).join(', ');
  return `histoscan against the best peer of each set (paired DeLong test on the same images, against each of the set's m peers; Δ = histoscan − peer with its interval at 1 − 0.05/m (${levels}) and p times m, Bonferroni: "behind" = behind at least one peer, "ahead" = ahead of every peer):`;
}

/** One comparison in words: the AUCs, Δ with its interval and p corrected for the peers compared, and what it shows. */
export function versusText(v: VersusPeers): string {
  // DeLong's variance needs two or more images on each side.
  if (!Number.isFinite(v.lo) || !Number.isFinite(v.hi)) return `${v.a.toFixed(3)} vs ${v.b.toFixed(3)} ${v.peer}: too few images to compare (two or more per side)`;
  const delta = (c: Adjusted) => `Δ ${signed(c.diff)} [${signed(c.lo)}, ${signed(c.hi)}], ${c.p < 0.001 ? 'p < 0.001' : `p ${c.p.toFixed(3)}`}`;
  // Another peer decides it: histoscan is behind that one, or not shown ahead of it.
  const d = v.decidedBy;
  const by = d ? ` (${v.shows === 'behind' ? 'behind' : 'not shown ahead of'} ${d.peer}: ${delta(d)})` : '';
  return `${v.a.toFixed(3)} vs ${v.b.toFixed(3)} ${v.peer}: ${delta(v.adjusted)}, ${v.shows}${by}`;
}
