// The energy part only where the model is sure of its background (DEFAULTS.logits 'auto').
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeProfile, ENERGY_MIN_CONFIDENCE, medianConfidence, rng, topProbability } from '../src/core/index.ts';
import { msp } from '../src/peers/msp.ts';
import { cli, MODEL, subset } from './fixtures/cli.ts';

// Random weights: a model that has learnt nothing is unsure of every image (median top-class probability 0.25 here).
const UNSURE = 'tests/fixtures/models/resnetish-nhwc-rgb.onnx';
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
      const z = Array.from({ length: 1 + Math.floor(r() * 20) }, () => (r() - 0.5) * 60);
      const e = z.map((v) => Math.exp(v - Math.max(...z)));
      const want = Math.max(...e) / e.reduce((a, b) => a + b, 0);
      expect(topProbability(z)).toBeCloseTo(want, 12);
      expect(msp(z)).toBeCloseTo(1 - want, 12);
    }
    expect(topProbability([1000, 1000])).toBeCloseTo(0.5, 12); // no overflow
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
    const m = /note: the energy part is left out: the model gives its top class a median probability of ([\d.]+) on the background/.exec(r.stderr);
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
});
