import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { thumbnail } from '../src/cli/eval-output.ts';
import { groupText, resultSink, textLine, type GroupLine, type ScoreLine } from '../src/cli/output.ts';

const line = (over: Partial<ScoreLine>): ScoreLine => ({
  file: 'a.png', score: 9, alpha: 0.1, q: 0.001, flagged: true, verdict: 'unusual', calibrationCount: 2000, fpr: 0.05, top: 'Shirt 91%', classes: [{ index: 6, label: 'Shirt', prob: 0.91 }], topNodes: [],
  parts: [
    { name: 'upper', score: 40, q: 0.02 },
    { name: 'energy', score: -3, q: 0.3 },
    { name: 'gauss', score: 120, q: 0.004 },
  ],
  ...over,
});

describe('textLine names the evidence behind an unusual verdict', () => {
  it('the part with the smallest q of its own', () => {
    expect(textLine(line({}))).toMatch(/\tstrongest part: gauss \(q 0\.0040\)$/);
  });
  it('the joint look where the parts are more unusual together than any is alone', () => {
    expect(textLine(line({ jointQ: 0.0005 }))).toMatch(/\tstrongest part: joint \(q 0\.00050\)$/);
  });
  it('the quiet look: an image that lights up fewer nodes than clean ones', () => {
    expect(textLine(line({ parts: [{ name: 'upper', score: 1, q: 0.99, qBelow: 0.001 }, { name: 'gauss', score: 120, q: 0.004 }] }))).toMatch(/\tstrongest part: quiet \(q 0\.0010\)$/);
  });
  it('the Gaussian part where the calibration let it decide alone, whatever the scans say', () => {
    expect(textLine(line({ decidedBy: 'gauss', parts: [{ name: 'upper', score: 90, q: 0.0005 }, { name: 'gauss', score: 120, q: 0.004 }] }))).toMatch(/\tdecided by: gauss \(q 0\.0040\)$/);
  });
  it('a score of only its tie-break shows as an exponent, not 0.000', () => {
    expect(textLine(line({ verdict: 'typical', flagged: false, q: 0.4, score: 6.5e-6 }))).toMatch(/\tscore 6\.50e-6\t/);
    expect(textLine(line({ score: 12.3456 }))).toMatch(/\tscore 12\.346\t/);
    expect(textLine(line({ score: 0 }))).toMatch(/\tscore 0\.000\t/);
  });
  it('nothing more on a typical line', () => {
    expect(textLine(line({ verdict: 'typical', flagged: false, q: 0.4 }))).not.toMatch(/strongest|decided/);
  });
});

describe('groupText', () => {
  it('names the images of the group subset (the first five) and counts in the singular where one', () => {
    const images = ['a.png', 'b.png', 'c.png', 'd.png', 'e.png', 'f.png'];
    expect(groupText({ score: 84.556, alpha: 0.36, images, nodes: 283, layers: [] })).toBe('group scan: score 84.556 at alpha 0.36: 6 images x 283 nodes (a.png, b.png, c.png, d.png, e.png, …)');
    expect(groupText({ score: 1.5, alpha: 0.05, images: ['a.png'], nodes: 1, layers: [] })).toBe('group scan: score 1.500 at alpha 0.050: 1 image x 1 node (a.png)');
  });
});

describe('thumbnail (the ROC page carries the images an AUC is lost on)', () => {
  it('carries a kind browsers show, and says why not for a kind they do not, a file over 1 MB or a missing one', () => {
    expect(thumbnail('data/clean/00000.png')).toEqual({ src: `data:image/png;base64,${readFileSync('data/clean/00000.png').toString('base64')}` });
    const big = join(mkdtempSync(join(tmpdir(), 'histoscan-uri-')), 'big.png');
    writeFileSync(big, new Uint8Array((1 << 20) + 1));
    expect([thumbnail('e2e/fixtures/formats/clean.tif'), thumbnail(big), thumbnail('data/clean/missing.png')]).toEqual([
      { why: 'TIF: browsers do not show it' },
      { why: 'over 1 MB: not carried' },
      { why: 'unreadable' },
    ]);
  });
});

describe('score --json is written as results come', () => {
  const results = [
    line({}),
    { file: 'bad "name"\n.png', error: 'not an image', code: 'corrupt' as const },
    line({ file: 'b.png', q: NaN, verdict: 'uncalibrated', verdictReason: 'no calibration', flagged: false, topNodes: [{ layer: 'conv', index: 3, value: 1.5, p: 0.01 }], classes: [] }),
  ];
  const group: GroupLine = { score: 3.2, alpha: 0.05, images: ['a.png', 'b.png'], nodes: 2, layers: [{ layer: 'conv', indices: [3, 7] }, { layer: 'fc', indices: [] }] };

  it('each result before the batch ends, the same bytes as the whole document at the end', () => {
    for (const [given, g] of [[results, group], [results, null], [results.slice(0, 1), null], [[], group], [[], null]] as const) {
      let out = '';
      const sink = resultSink('json', (s) => void (out += s));
      for (const r of given) {
        const before = out.length;
        sink.add(r);
        expect(out.length).toBeGreaterThan(before);
      }
      sink.end(g);
      expect(out).toBe(`${JSON.stringify(g ? { results: given, group: g } : { results: given }, null, 2)}\n`);
    }
  });
});
