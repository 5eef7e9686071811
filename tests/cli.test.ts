import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { auc, costliest, decodeProfile } from '../src/core/index.ts';
import { devTestSplit } from '../src/node-sets.ts';
import { cli, MODEL, subset as subsetOf } from './fixtures/cli.ts';

let dir = '';
const subset = (set: string, count: number, from = 0) => subsetOf(dir, set, count, from);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'histoscan-cli-'));
});

describe('CLI end to end on the default model', () => {
  it('profile -> score -> eval', () => {
    const bg = subset('background', 120);
    const cal = subset('calibration', 40);
    const clean = subset('clean', 30);
    const pgd = subset('pgd-0.1', 30);
    const hsp = join(dir, 'p.hsp');
    const p = cli(['profile', '--model', MODEL, '--images', bg, '--calibration', cal, '--out', hsp]);
    expect(p.status, p.stderr).toBe(0);
    const prof = decodeProfile(readFileSync(hsp));
    expect(prof.header.count).toBe(120);
    expect(prof.header.calibration?.count).toBe(40);
    expect(prof.header.layers.map((l) => l.name)).toEqual(['/relu1/Relu_output_0', '/relu2/Relu_output_0', '/relu3/Relu_output_0']);

    const s = cli(['score', '--model', MODEL, '--profile', hsp, '--json', join(clean, '00000.png'), pgd]);
    expect(s.status, s.stderr).toBe(0);
    const scored = JSON.parse(s.stdout).results;
    expect(scored).toHaveLength(31);
    for (const r of scored) {
      expect(Object.keys(r)).toEqual(expect.arrayContaining(['file', 'score', 'alpha', 'q', 'flagged', 'verdict', 'calibrationCount', 'topNodes', 'parts']));
      expect(r.calibrationCount).toBe(40);
      expect(['unusual', 'typical']).toContain(r.verdict);
      expect(r.q).toBeGreaterThan(0);
      expect(r.q).toBeLessThanOrEqual(1);
      // The joint look's q where the calibration chose it, and none elsewhere.
      if (prof.header.calibration?.joint?.includes('hc')) {
        expect(r.jointQ).toBeGreaterThan(0);
        expect(r.jointQ).toBeLessThanOrEqual(1);
      } else expect(r.jointQ).toBeUndefined();
    }

    // Group scan of a batch: 10 PGD images hidden among 29 clean ones.
    const g = cli(['score', '--model', MODEL, '--profile', hsp, '--group', '--json', clean, ...readdirSync(pgd).slice(0, 10).map((f) => join(pgd, f))]);
    expect(g.status, g.stderr).toBe(0);
    const group = JSON.parse(g.stdout).group;
    expect(group.images.length).toBeGreaterThan(0);
    expect(group.images.filter((f: string) => f.includes('pgd')).length / group.images.length).toBeGreaterThan(0.5);
    // Which nodes, by layer, as many as it counts, each within its layer.
    const sizes = new Map(decodeProfile(new Uint8Array(readFileSync(hsp))).header.layers.map((l) => [l.name, l.nodes]));
    expect(group.layers.reduce((n: number, l: { indices: number[] }) => n + l.indices.length, 0)).toBe(group.nodes);
    for (const l of group.layers as { layer: string; indices: number[] }[]) expect(l.indices.every((i) => i >= 0 && i < sizes.get(l.layer)!)).toBe(true);

    const e = cli(['eval', '--model', MODEL, '--background', bg, '--calibration', cal, '--clean', clean, '--anomalous', `pgd=${pgd}`, '--methods', 'histogram,empirical,kde', '--kde-background', '50', '--kde-images', '10', '--json']);
    expect(e.status, e.stderr).toBe(0);
    const { results } = JSON.parse(e.stdout);
    expect(results.map((r: { method: string }) => r.method)).toEqual(['histogram', 'empirical', 'KDE (n=50)']);
    for (const r of results) {
      expect(r.set).toBe('pgd');
      expect(r.auc).toBeGreaterThanOrEqual(0);
      expect(r.auc).toBeLessThanOrEqual(1);
      expect(r.bytes).toBeGreaterThan(0);
    }
    expect(results[0].bytes).toBeLessThan(results[1].bytes);

    // --parts: each calibrated part alone, whose AUC equals the one of that part's scores from `score` on the same images.
    const partsOut = join(dir, 'parts.jsonl');
    const pa = cli(['eval', '--model', MODEL, '--background', bg, '--calibration', cal, '--clean', clean, '--anomalous', `pgd=${pgd}`, '--methods', 'histogram', '--parts', '--parts-out', partsOut, '--json']);
    expect(pa.status, pa.stderr).toBe(0);
    const allParts = JSON.parse(pa.stdout).results.filter((r: { kind: string }) => r.kind === 'part');
    const partRows = allParts.filter((r: { method: string }) => r.method !== 'histogram · quiet alone');
    type Scored = { parts: { name: string; score: number; qBelow?: number }[]; top: string; classes: { index: number; label: string; prob: number }[] };
    const scoredIn = (folder: string): Scored[] => JSON.parse(cli(['score', '--model', MODEL, '--profile', hsp, '--json', folder]).stdout).results;
    const pgdScored = scoredIn(pgd);
    const [cleanParts, pgdParts] = [scoredIn(clean).map((r) => r.parts), pgdScored.map((r) => r.parts)];
    expect(partRows.map((r: { method: string }) => r.method)).toEqual(cleanParts[0].map((p: { name: string }) => `histogram · ${p.name} alone`));
    // Where the AUC is lost (on synthesized images, which some clean images outrank): the images costliest finds on
    // the scores `score` gives the same images, named by file; none for the parts' rows.
    const synth = subset('synth', 30);
    const lostPlots = join(dir, 'lost.html');
    const ls = cli(['eval', '--model', MODEL, '--background', bg, '--calibration', cal, '--clean', clean, '--anomalous', `synth=${synth}`, '--methods', 'histogram', '--parts', '--json', '--plots', lostPlots]);
    expect(ls.status, ls.stderr).toBe(0);
    const scoresIn = (folder: string) => JSON.parse(cli(['score', '--model', MODEL, '--profile', hsp, '--json', folder]).stdout).results as { file: string; score: number }[];
    const [cleanScored, synthScored] = [scoresIn(clean), scoresIn(synth)];
    const lost = costliest(cleanScored.map((r) => r.score), synthScored.map((r) => r.score), 3);
    const [whole, ...partsAlone] = JSON.parse(ls.stdout).results;
    expect(lost.negatives.length).toBeGreaterThan(0);
    for (const [got, want, scored] of [[whole.lostOn.clean, lost.negatives, cleanScored], [whole.lostOn.anomalous, lost.positives, synthScored]] as const) {
      expect(got.map((x: { file: string }) => basename(x.file))).toEqual(want.map((x) => basename(scored[x.index].file)));
      got.forEach((x: { share: number }, i: number) => expect(x.share).toBeCloseTo(want[i].share, 9));
    }
    expect(partsAlone.every((r: { lostOn?: unknown }) => r.lostOn === undefined)).toBe(true); // a peer's row has them too (the peers' run below)
    // ... and on the ROC page as pictures, each carried in the page with its share.
    const lostPage = readFileSync(lostPlots, 'utf8');
    const first = whole.lostOn.clean[0];
    expect(lostPage).toContain(`<span title="${first.file}"><img src="data:image/png;base64,${readFileSync(first.file).toString('base64')}" alt="${basename(first.file)}">${basename(first.file)}<br>above ${(100 * first.share).toFixed(1)}%</span>`);
    const lostText = cli(['eval', '--model', MODEL, '--background', bg, '--calibration', cal, '--clean', clean, '--anomalous', `synth=${synth}`, '--methods', 'histogram']).stdout;
    // The text names the file without its folder (the command gave it); --json keeps the path.
    expect(lostText).toContain(`histogram  synth  clean: ${basename(whole.lostOn.clean[0].file)} above ${(100 * whole.lostOn.clean[0].share).toFixed(1)}% of synth`);
    expect(allParts.every((r: { lostOn?: unknown }) => r.lostOn === undefined)).toBe(true);
    partRows.forEach((r: { auc: number }, k: number) => {
      const scores = (rows: { score: number }[][]) => rows.map((parts) => parts[k].score);
      expect(r.auc).toBeCloseTo(auc(scores(cleanParts), scores(pgdParts)), 12);
    });
    // The quiet look: the pooled upper-tail scan ranked from below, its q from below in score's output.
    const quiet = allParts.find((r: { method: string }) => r.method === 'histogram · quiet alone');
    const negated = (rows: { name: string; score: number }[][]) => rows.map((parts) => -parts.find((p) => p.name === 'upper')!.score);
    expect(quiet.auc).toBeCloseTo(auc(negated(cleanParts), negated(pgdParts)), 12);
    const upper = cleanParts[0].find((p) => p.name === 'upper')!;
    expect(upper.qBelow).toBeGreaterThan(0);
    expect(cleanParts[0].filter((p: { qBelow?: number }) => p.qBelow !== undefined)).toHaveLength(1);
    // --parts-out: per set, every image's part scores (those of `score`) and the 40 x 6 calibration table.
    const recorded = readFileSync(partsOut, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(recorded.map((l: { set: string }) => l.set)).toEqual(['clean', 'pgd']);
    // Each row named by its file, in the order `score` gives them.
    expect(recorded[1].files).toEqual(pgdScored.map((r) => (r as unknown as { file: string }).file));
    // --json carries how it was made: the version and every option.
    const report = JSON.parse(pa.stdout);
    expect(report.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.options).toMatchObject({ model: MODEL, background: bg, calibration: cal, clean, anomalous: [`pgd=${pgd}`], methods: 'histogram', parts: true, partsOut });
    expect(recorded[0].calibration).toHaveLength(40 * recorded[0].parts.length);
    recorded[1].images.forEach((row: number[], i: number) => row.forEach((v, k) => expect(v).toBeCloseTo(pgdParts[i][k].score, 9)));
    // ... and the classes the model predicts, of the images and of the calibration images (Mondrian rules in tools/witness-rules.ts).
    const { classNames } = JSON.parse(readFileSync(MODEL.replace(/\.onnx$/, '.json'), 'utf8')) as { classNames: string[] };
    expect(recorded[1].classes.map((c: number) => classNames[c])).toEqual(pgdScored.map((r) => r.top.replace(/ [\d.]+%$/, '')));
    // score --json gives the classes as fields too, the text's first among them.
    expect(pgdScored.map((r) => r.classes[0].index)).toEqual(recorded[1].classes);
    expect(pgdScored.map((r) => `${r.classes[0].label} ${(100 * r.classes[0].prob).toFixed(1)}%`)).toEqual(pgdScored.map((r) => r.top));
    expect(recorded[0].calibrationClasses).toHaveLength(40);

    // The peers on the same images, one half of each test folder (peers need no calibration).
    const plotsOut = join(dir, 'roc.html');
    const pe = cli(['eval', '--model', MODEL, '--background', bg, '--calibration', cal, '--clean', clean, '--anomalous', `pgd=${pgd}`, '--methods', 'histogram,mahalanobis,knn,msp,energy', '--split', 'dev', '--plots', plotsOut, '--json']);
    expect(pe.status, pe.stderr).toBe(0);
    const peers = JSON.parse(pe.stdout);
    expect(peers.split).toBe('dev');
    const [mine, ...others] = peers.results;
    expect(others.map((r: { method: string }) => r.method)).toEqual(['mahalanobis (penultimate)', 'knn k=10 (penultimate)', 'max softmax probability', 'energy (T=1)']);
    for (const r of others) {
      expect(r.kind).toBe('peer');
      expect(r.images).toEqual({ clean: 15, anomalous: 15 });
      expect(r.auc).toBeGreaterThanOrEqual(0);
      expect(r.auc).toBeLessThanOrEqual(1);
      // Where a peer's AUC is lost (--json): some image on each side where it is below 1, none where it is 1.
      for (const side of [r.lostOn.clean, r.lostOn.anomalous]) {
        expect(side.length > 0).toBe(r.auc < 1);
        expect(side.length).toBeLessThanOrEqual(3);
      }
    }
    // histoscan against the peer of the highest AUC, paired on the same 15 + 15 images.
    const best = others.reduce((a: { auc: number }, b: { auc: number }) => (b.auc > a.auc ? b : a));
    const v = mine.versusBestPeer;
    expect(v.peer).toBe(best.method);
    expect(v.a).toBeCloseTo(mine.auc, 12);
    expect(v.b).toBeCloseTo(best.auc, 12);
    expect(v.diff).toBeCloseTo(mine.auc - best.auc, 12);
    expect(v.lo).toBeLessThanOrEqual(v.diff);
    expect(v.hi).toBeGreaterThanOrEqual(v.diff);
    expect(v.p).toBeGreaterThanOrEqual(0);
    expect(v.p).toBeLessThanOrEqual(1);
    // ... against each of the 4 peers, Bonferroni over them: the interval at 1 − 0.05/4 and p times 4.
    expect(v.peers).toBe(4);
    expect(v.level).toBeCloseTo(0.9875, 12);
    expect(v.against.map((c: { peer: string }) => c.peer)).toEqual(others.map((r: { method: string }) => r.method));
    expect(v.adjusted.p).toBeCloseTo(Math.min(1, 4 * v.p), 12);
    expect(v.adjusted.lo).toBeLessThan(v.lo);
    expect(v.adjusted.hi).toBeGreaterThan(v.hi);
    expect(['ahead', 'behind', 'no difference shown']).toContain(v.shows);
    expect(mine.aucSe).toBeGreaterThanOrEqual(0);
    // --plots: the set's ROC plot, and again on a log scale of false-positive rates (with the chance line), a curve per
    // method, each legend naming the method with the AUC the table gives.
    expect(pe.stderr).toContain(`wrote ${plotsOut}: ROC curves of 1 anomalous set, a page to open in a browser`);
    const page = readFileSync(plotsOut, 'utf8');
    expect(page.match(/<svg /g)).toHaveLength(2);
    expect(page).toContain('ROC: clean vs pgd (dev half)');
    expect(page).toContain('ROC at low false-positive rates: clean vs pgd (dev half)');
    expect(page).toMatch(/false-positive rate \(log scale; 0 drawn at 1\/\d+\)/); // where a rate of 0 sits on a log axis
    // Each method's curve in both plots, and the chance line in each (with its legend entry).
    expect(page.match(/<polyline /g)).toHaveLength(2 * peers.results.length + 2);
    expect(page.split('>chance</text>')).toHaveLength(3);
    for (const r of peers.results) expect(page.split(`${r.method} (AUC ${r.auc.toFixed(3)})`)).toHaveLength(3);
    // ... and histoscan's verdict as a point on its curve, at the rates the JSON gives.
    expect(page.match(/<circle /g)).toHaveLength(4); // the point and its legend swatch, in each plot
    expect(page).toContain(`histogram: the verdict at q ≤ 0.05 (FPR ${mine.atVerdict.clean.rate.toFixed(3)}, TPR ${mine.atVerdict.anomalous.rate.toFixed(3)})`);
    // At the verdict (q <= 0.05): the share eval says histoscan flags is the share `score` flags with the profile
    // `profile` built from the same images, counted here on the same dev half; peers have no verdict.
    const files = readdirSync(clean).filter((f) => f.endsWith('.png')).sort();
    const devFiles = devTestSplit(files.length).dev.map((i) => join(clean, files[i]));
    const byScore = JSON.parse(cli(['score', '--model', MODEL, '--profile', hsp, '--json', ...devFiles]).stdout).results;
    expect([mine.atVerdict.clean.n, mine.atVerdict.canFlag]).toEqual([15, true]);
    expect(mine.atVerdict.clean.rate).toBeCloseTo(byScore.filter((r: { q: number }) => r.q <= 0.05).length / 15, 12);
    expect(mine.atVerdict.anomalous.n).toBe(15);
    for (const r of others) expect(r.atVerdict).toBeUndefined();
    // Without --calibration, every 5th background image calibrates, as in `profile`.
    const table = cli(['eval', '--model', MODEL, '--background', bg, '--clean', clean, '--anomalous', `pgd=${pgd}`, '--methods', 'histogram', '--split', 'dev', '--fpr', '0.1']);
    expect(table.stderr).toMatch(/note: calibrating on \d+ of the \d+ images in .* \(every 5th\)/);
    expect(table.stdout).toMatch(/At the verdict's FPR 10\.0% \(q <= 0\.1\)/);
    // The half and its counts lead the table: a folder that was a dev half already shows halved again.
    expect(table.stdout.split('\n')[0]).toBe('Images scored (the dev half of each folder; --split all scores them whole): clean 15; pgd 15.');
    expect(table.stdout).toMatch(/histogram {2}clean [\d.]+% \[[\d.]+%, [\d.]+%\] of 15; pgd [\d.]+%/);
    // Where nothing is lost (every PGD image above every clean one), it says so.
    expect(table.stdout).toContain('histogram  pgd  nothing: every pgd image ranks above every clean image');
    // An FPR its 24 calibration images cannot reach (nor half of the 120, 60, the 99 it needs): said, on stderr as
    // profile says it, and in place of the shares.
    const low = cli(['eval', '--model', MODEL, '--background', bg, '--clean', clean, '--anomalous', `pgd=${pgd}`, '--methods', 'histogram', '--split', 'dev', '--fpr', '0.01']);
    expect(low.stderr).toMatch(/warning: this profile cannot flag at FPR 0\.01: it needs at least 99 calibration images .*it has 24/);
    expect(low.stdout).toMatch(/histogram {2}cannot flag at this FPR: 24 calibration images, at least 99 are needed/);
    const badRate = cli(['score', '--model', MODEL, '--profile', hsp, '--fpr', '5', clean]);
    expect(badRate.status).toBe(1);
    expect(badRate.stderr).toMatch(/wants a rate between 0 and 1/);
    const bad = cli(['eval', '--model', MODEL, '--background', bg, '--clean', clean, '--anomalous', `pgd=${pgd}`, '--methods', 'histogram,mahal']);
    expect(bad.status).toBe(1); // a usage error
    expect(bad.stderr).toMatch(/unknown mahal/);
  });

  it('merging shard profiles equals the profile built in one go', () => {
    const bg = subset('background', 90, 200);
    const base = join(dir, 'edges.hsp');
    expect(cli(['profile', '--model', MODEL, '--images', bg, '--shard', '0/3', '--out', base]).status).toBe(0);
    const shards = [0, 1, 2].map((k) => {
      const out = join(dir, `shard${k}.hsp`);
      const r = cli(['profile', '--model', MODEL, '--images', bg, '--edges-from', base, '--shard', `${k}/3`, '--out', out]);
      expect(r.status, r.stderr).toBe(0);
      return out;
    });
    const whole = join(dir, 'whole.hsp');
    expect(cli(['profile', '--model', MODEL, '--images', bg, '--edges-from', base, '--out', whole]).status).toBe(0);
    const merged = join(dir, 'merged.hsp');
    const m = cli(['merge', ...shards, '--out', merged]);
    expect(m.status, m.stderr).toBe(0);
    expect(m.stderr).not.toMatch(/warning/);
    // The note's command names the model the shards were built with.
    // The model's folder is not recorded: the note says where it goes, unless the model is right here.
    expect(m.stderr).toContain(`histoscan calibrate --model DIR/${basename(MODEL)} --profile `);
    expect(m.stderr).toContain('(DIR: the folder that holds the model) before scoring.');
    // A shard left out is said, and fails the merge (a job that failed); shards cut another way would count images twice: refused.
    const some = cli(['merge', shards[0], shards[2], '--out', join(dir, 'some.hsp')]);
    expect(some.status, some.stderr).toBe(2);
    expect(some.stderr).toMatch(/warning: no shard 1\/3 of a folder of \d+ images: the merged profile holds 2 of its 3 shards' images/);
    const other = join(dir, 'other-cut.hsp');
    expect(cli(['profile', '--model', MODEL, '--images', bg, '--edges-from', base, '--shard', '1/2', '--out', other]).status).toBe(0);
    // A shard scans as its edges profile: a flag left out follows it, one given otherwise is refused before the run,
    // flags that choose layers are said to be unused, and edges of another model are refused as such.
    const upper = join(dir, 'edges-upper.hsp');
    expect(cli(['profile', '--model', MODEL, '--images', bg, '--shard', '0/3', '--tail', 'upper', '--out', upper]).status).toBe(0);
    const follows = cli(['profile', '--model', MODEL, '--images', bg, '--edges-from', upper, '--shard', '1/3', '--budget', '1', '--out', join(dir, 'up1.hsp')]);
    expect(follows.status, follows.stderr).toBe(0);
    expect(decodeProfile(readFileSync(join(dir, 'up1.hsp'))).header.scan.tail).toBe('upper');
    expect(follows.stderr).toMatch(/note: --budget not used: a shard monitors the layers of its edges profile/);
    const differs = cli(['profile', '--model', MODEL, '--images', bg, '--edges-from', upper, '--shard', '1/3', '--tail', 'both', '--out', join(dir, 'x.hsp')]);
    expect(differs.status).toBe(1);
    expect(differs.stderr).toMatch(/--tail both differs from the edges profile \(tail upper, \S+edges-upper\.hsp\): a shard scans as its edges profile does/);
    const foreign = cli(['profile', '--model', 'tests/fixtures/models/rgb-opset11.onnx', '--images', bg, '--edges-from', base, '--shard', '1/3', '--out', join(dir, 'x.hsp')]);
    expect(foreign.stderr).toMatch(/edges\.hsp: This profile was built for another model/);
    const mixed = cli(['merge', ...shards, other, '--out', join(dir, 'mixed.hsp')]);
    expect(mixed.status).toBe(1);
    expect(mixed.stderr).toMatch(/other-cut\.hsp is shard 1\/2 of a folder of \d+ images, and \S+shard0\.hsp a shard of 3: shards cut 2 and 3 ways share images/);
    const a = decodeProfile(readFileSync(merged));
    const b = decodeProfile(readFileSync(whole));
    expect(a.header.count).toBe(90);
    expect(a.tails).toEqual(b.tails);
    expect(a.lo).toEqual(b.lo);
    expect(a.hi).toEqual(b.hi);
    expect(a.edges).toEqual(b.edges);
    // The Gaussian part: every shard groups its rows by the base profile's prototypes, so the merge equals the whole.
    const g = decodeProfile(readFileSync(base)).header.gauss!;
    expect(a.header.gauss!.groups).toBe('prototypes');
    expect(a.header.gauss!.counts).toEqual(b.header.gauss!.counts);
    expect(a.header.gauss!.counts).toHaveLength(g.counts.length);
    a.header.gauss!.sums.forEach((v, i) => expect(v).toBeCloseTo(b.header.gauss!.sums[i], 6));
  });

  it('reports bad files per file and still scores the rest (exit 2); bad profiles and models exit 1 without a stack trace', () => {
    const hsp = join(dir, 'p.hsp');
    const mixed = subset('clean', 3, 500);
    writeFileSync(join(mixed, 'empty.png'), '');
    writeFileSync(join(mixed, 'notes.png'), 'this is text, not a picture');
    writeFileSync(join(mixed, 'cut.png'), readFileSync(join(mixed, '00500.png')).subarray(0, 100));
    // A subfolder (a folder per class) is read too; a file not named as an image is left out, and said so.
    mkdirSync(join(mixed, 'shirts'));
    copyFileSync(join(mixed, '00501.png'), join(mixed, 'shirts', 'again.png'));
    writeFileSync(join(mixed, 'labels.csv'), 'file,label\n');
    const s = cli(['score', '--model', MODEL, '--profile', hsp, '--json', mixed]);
    expect(s.status).toBe(2);
    expect(s.stderr).toMatch(/left out 1 file not named as images.*labels\.csv/);
    const out = JSON.parse(s.stdout).results;
    expect(out).toHaveLength(7);
    expect(out.find((r: { file: string }) => r.file.endsWith(join('shirts', 'again.png'))).score).toEqual(out.find((r: { file: string }) => r.file.endsWith('00501.png')).score);
    expect(out.filter((r: { error?: string }) => r.error)).toHaveLength(3);
    expect(out.find((r: { file: string }) => r.file.endsWith('notes.png')).error).toMatch(/text file/);
    expect(out.filter((r: { score?: number }) => typeof r.score === 'number')).toHaveLength(4);

    const bad = join(dir, 'bad.hsp');
    const bytes = readFileSync(hsp);
    writeFileSync(bad, bytes.subarray(0, bytes.length - 1000));
    for (const args of [
      ['score', '--model', MODEL, '--profile', bad, mixed],
      ['score', '--model', 'tests/fixtures/models/rgb-opset11.onnx', '--profile', hsp, mixed],
      ['score', '--model', join(mixed, 'notes.png'), '--profile', hsp, mixed],
      ['inspect', '--model', join(dir, 'missing.onnx')],
    ]) {
      const r = cli(args);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^histoscan: /m);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    // A file that is no model is named; a folder names the models in it; a profile given as the model says so.
    expect(cli(['score', '--model', join(mixed, 'notes.png'), '--profile', hsp, mixed]).stderr).toContain(`histoscan: ${join(mixed, 'notes.png')}: This file is not an ONNX model`);
    const hf = join(dir, 'hf model');
    mkdirSync(join(hf, 'onnx'), { recursive: true });
    copyFileSync(MODEL, join(hf, 'onnx', 'model.onnx'));
    expect(cli(['inspect', '--model', hf]).stderr).toContain(`${hf} is a folder; give the model file in it: ${join(hf, 'onnx', 'model.onnx')}.`);
    expect(cli(['inspect', '--model', hsp]).stderr).toContain(`${hsp} is a histoscan profile, not a model: give it as --profile`);
    // And the model given as the profile (a probe read only "does not start with the HSPF signature").
    expect(cli(['score', '--model', MODEL, '--profile', MODEL, mixed]).stderr).toContain(`${MODEL} is an ONNX model, not a histoscan profile: give it as --model, and the .hsp file as --profile.`);
    // Each names the profile file it read.
    expect(cli(['score', '--model', MODEL, '--profile', bad, mixed]).stderr).toContain(`histoscan: ${bad}: Profile file is truncated`);
    expect(cli(['score', '--model', 'tests/fixtures/models/rgb-opset11.onnx', '--profile', hsp, mixed]).stderr).toContain(`histoscan: ${hsp}: This profile was built for another model`);
  });

  it('works with flags only on a model nobody made for it: RGB, fixed batch of 1, other size', () => {
    const imgs = subset('clean', 40, 700);
    const out = join(dir, 'rgb.hsp');
    const r = cli(['profile', '--model', 'tests/fixtures/models/fixed-batch-rgb.onnx', '--images', imgs, '--reduce', 'channel-max', '--strategy', 'uniform', '--bins', '8', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const p = decodeProfile(readFileSync(out));
    expect(p.header.spec).toMatchObject({ channels: 3, height: 12, width: 12, layout: 'nchw' });
    // No --calibration: of 40 images, the 19 that can flag at FPR 5% (every 5th, 8, could not).
    expect([p.header.count, p.header.calibration?.count]).toEqual([21, 19]);
    const s = cli(['score', '--model', 'tests/fixtures/models/fixed-batch-rgb.onnx', '--profile', out, '--json', imgs]);
    expect(s.status, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).results).toHaveLength(40);
  });

  it('activations writes a float32 .npy with an index', () => {
    const imgs = subset('clean', 4, 900);
    const out = join(dir, 'x.npy');
    expect(cli(['activations', '--model', MODEL, '--images', imgs, '--reduce', 'channel-mean', '--out', out]).status).toBe(0);
    const npy = readFileSync(out);
    expect(npy.subarray(1, 6).toString()).toBe('NUMPY');
    expect(npy.toString('latin1', 10, 80)).toContain("'shape': (4, 176)");
    const index = JSON.parse(readFileSync(join(dir, 'x.json'), 'utf8'));
    expect(index.files).toHaveLength(4);
    expect(index.layers.map((l: { nodes: number }) => l.nodes)).toEqual([16, 32, 128]);
    expect(execFileSync(process.execPath, ['bin/histoscan.js', '--help'], { encoding: 'utf8' })).toMatch(/profile/);
  });
});
