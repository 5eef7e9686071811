// Class histograms where the model puts every background image in one class (a text recogniser's per-position
// scores, led by the CTC blank in every line, do so): that class's histograms are the pooled ones again.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeProfile } from '../src/core/index.ts';
import { cli, MODEL } from './fixtures/cli.ts';

describe('a background the model puts all in one class', () => {
  it('gets no class histograms, and the build says why', () => {
    const dir = mkdtempSync(join(tmpdir(), 'histoscan-one-class-'));
    const bg = join(dir, 'bg');
    mkdirSync(bg);
    // 60 copies of one image: one predicted class, with more than the 50 images its histograms need.
    for (let i = 0; i < 60; i++) copyFileSync('data/background/00000.png', join(bg, `${String(i).padStart(2, '0')}.png`));
    const out = join(dir, 'one.hsp');
    const r = cli(['profile', '--model', MODEL, '--images', bg, '--no-calibration', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(decodeProfile(readFileSync(out)).header.classes).toBeUndefined();
    expect(r.stderr).toMatch(/no histograms per predicted class: the model puts every background image in one class, whose histograms are the pooled ones, so every image is scored against the pooled histograms; [\d,]+ bytes saved/);
  });
});
