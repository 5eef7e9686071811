// The energy part only where the model is sure of its background (DEFAULTS.logits 'auto').
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { confidenceAboveChance, decodeProfile, ENERGY_MIN_CONFIDENCE, medianConfidence, rng, topProbability } from '../src/core/index.ts';
import { msp } from '../src/peers/msp.ts';
import { cli, MODEL, subset } from './fixtures/cli.ts';

// Random weights: a model that has learnt nothing is unsure of every image (median top-class probability 0.25 here).
const UNSURE = 'tests/fixtures/models/resnetish-nhwc-rgb.onnx';
// Random weights, two classes: its top class has 0.5 or more on every image, yet it is barely above chance.
const BINARY = 'tests/fixtures/models/gray-rank3.onnx';
const SINGLE = 'tests/fixtures/models/single-logit.onnx';
let dir = '';
let bg = '';
let cal = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'histoscan-energy-'));
  bg = subset(dir, 'background', 60);
  cal = subset(dir, 'calibration', 30);
});

describe('the model confidence the energy part rests on', () => {
  it('topProbability is the largest softmax probability, computed directly; msp is its complement', () => {
    const r = rng(7);
    for (let t = 0; t < 50; t++) {
      const z = Array.from({ length: 2 + Math.floor(r() * 19) }, () => (r() - 0.5) * 60); // a single output: tests/peers
      const e = z.map((v) => Math.exp(v - Math.max(...z)));
      const want = Math.max(...e) / e.reduce((a, b) => a + b, 0);
      expect(topProbability(z)).toBeCloseTo(want, 12);
      expect(msp(z)).toBeCloseTo(1 - want, 12);
    }
    expect(topProbability([1000, 1000])).toBeCloseTo(0.5, 12); // no overflow
  });

  it('confidenceAboveChance: 0 at chance (1/K), 1 when sure, whatever K; 0 for a single output', () => {
    for (const k of [2, 3, 10, 80]) {
      expect(confidenceAboveChance(Array(k).fill(3))).toBeCloseTo(0, 12);
      expect(confidenceAboveChance([200, ...Array(k - 1).fill(0)])).toBeCloseTo(1, 12);
      // halfway: top probability p = (1 + 1/K) / 2, the rest shared evenly
      const p = (1 + 1 / k) / 2;
      const z = [Math.log(p), ...Array(k - 1).fill(Math.log((1 - p) / (k - 1)))];
      expect(confidenceAboveChance(z)).toBeCloseTo(0.5, 12);
    }
    // a binary classifier's top class is never below 0.5: its probability alone would always look sure
    expect(topProbability([0.1, 0])).toBeGreaterThan(ENERGY_MIN_CONFIDENCE);
    expect(confidenceAboveChance([0.1, 0])).toBeLessThan(0.05);
    expect(confidenceAboveChance([5])).toBe(0);
  });

  it('medianConfidence: the middle value, or the mean of the middle two; 0 for none', () => {
    expect(medianConfidence([0.9, 0.1, 0.5])).toBe(0.5);
    expect(medianConfidence([0.9, 0.1, 0.4, 0.6])).toBe(0.5);
    expect(medianConfidence([])).toBe(0);
  });
});

describe('histoscan profile --logits auto (the default)', () => {
  const header = (f: string) => decodeProfile(readFileSync(f)).header;

  it('keeps the energy part for a model sure of its background (the default model), and says nothing', () => {
    const out = join(dir, 'sure.hsp');
    const r = cli(['profile', '--model', MODEL, '--images', bg, '--calibration', cal, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(header(out).scan.logits).toBe('energy');
    expect(header(out).calibration!.parts).toContain('energy');
    expect(r.stderr).not.toMatch(/energy part/);
  });

  it('leaves it out for a model unsure of its background, says why with the median, and the profile scores', () => {
    const out = join(dir, 'unsure.hsp');
    const r = cli(['profile', '--model', UNSURE, '--images', bg, '--calibration', cal, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const m = /note: the energy part is left out: on the background the model's top class stands a median ([\d.]+) of the way from chance \(1\/\d+\) to certainty/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(ENERGY_MIN_CONFIDENCE);
    expect(header(out).scan.logits).toBeUndefined();
    expect(header(out).calibration!.parts).not.toContain('energy');
    expect(header(out).calibration!.parts).toContain('gauss');
    const s = cli(['score', '--model', UNSURE, '--profile', out, '--json', cal]);
    expect(s.status, s.stderr).toBe(0);
    const parts = JSON.parse(s.stdout).results[0].parts.map((p: { name: string }) => p.name);
    expect(parts).toContain('gauss');
    expect(parts).not.toContain('energy');
  });

  it('--logits energy keeps it all the same, --logits none leaves it out without a note', () => {
    const forced = join(dir, 'forced.hsp');
    const f = cli(['profile', '--model', UNSURE, '--images', bg, '--logits', 'energy', '--out', forced]);
    expect(f.status, f.stderr).toBe(0);
    expect(header(forced).scan.logits).toBe('energy');
    expect(f.stderr).not.toMatch(/energy part/);
    const none = join(dir, 'none.hsp');
    const n = cli(['profile', '--model', MODEL, '--images', bg, '--logits', 'none', '--out', none]);
    expect(n.status, n.stderr).toBe(0);
    expect(header(none).scan.logits).toBeUndefined();
    expect(n.stderr).not.toMatch(/energy part/);
  });

  it('leaves it out for a binary classifier barely above chance, whose top class always has 0.5 or more', () => {
    const out = join(dir, 'binary.hsp');
    const r = cli(['profile', '--model', BINARY, '--images', bg, '--calibration', cal, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const m = /the model's top class stands a median ([\d.]+) of the way from chance \(1\/2\) to certainty/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(ENERGY_MIN_CONFIDENCE);
    expect(header(out).scan.logits).toBeUndefined();
  });

  it('leaves it out for a model with a single output, and says so', () => {
    const out = join(dir, 'single.hsp');
    const r = cli(['profile', '--model', SINGLE, '--images', bg, '--calibration', cal, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/the energy part is left out: the model has a single output, no classes for energy to weigh/);
    expect(header(out).scan.logits).toBeUndefined();
    // Every image is class 0: class histograms would be the pooled ones again (60 images would fill them).
    expect(header(out).classes).toBeUndefined();
    expect(r.stderr).toMatch(/no histograms per predicted class: the model has a single output/);
    expect(r.stderr).not.toMatch(/\(1 classes\)/);
    const s = cli(['score', '--model', SINGLE, '--profile', out, '--json', cal]);
    expect(s.status, s.stderr).toBe(0);
  });
});
