import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeProfile, layerReductions, payloadBytes } from '../src/core/index.ts';
import { cli, MODEL, PROFILE, subset as copySet } from './fixtures/cli.ts';
import { readWitnessNote, witnessNoteAgrees } from './fixtures/witness-note.ts';

const LAYERS = '/relu1/Relu_output_0,/relu2/Relu_output_0,/relu3/Relu_output_0';
let dir = '';
const subset = (count: number, from: number) => copySet(dir, 'background', count, from);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'histoscan-plan-'));
});

describe('the byte budget on the command line (default model)', () => {
  it('inspect prints the plan before any build: per element, 18,944 nodes, 2,045,952 bytes at n = 10,000', () => {
    const j = cli(['inspect', '--model', MODEL, '--json']);
    expect(j.status, j.stderr).toBe(0);
    const { plan } = JSON.parse(j.stdout);
    expect(plan.layers.map((l: { reduction: string }) => l.reduction)).toEqual(['element', 'element', 'element']);
    expect(plan.layers.map((l: { shape: number[] }) => l.shape)).toEqual([[16, 28, 28], [32, 14, 14], [128]]);
    expect(plan.nodes).toBe(18_944);
    expect(plan.bytes).toBe(2_045_952);
    expect(plan.fits).toBe(true);
    const t = cli(['inspect', '--model', MODEL, '--budget', '0.1', '--plan-count', '60']);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/layer\s+shape\s+reduction\s+nodes\s+bytes/);
    expect(t.stdout).toMatch(/\/relu1\/Relu_output_0\s+16x28x28\s+pool4\s+256\s+23,552/);
    // Class-conditional histograms (10 classes x 16 bins x 1 byte per node) come on top, for the last
    // layer and, latest first, the earlier ones that fit the room left: here relu2 pooled (128 + 128 nodes).
    expect(t.stdout).toMatch(/total\s+512\s+47,104/);
    expect(t.stdout).toMatch(/histograms per predicted class \(10 classes\) for the last 2 layers \("\/relu2\/Relu_output_0", "\/relu3\/Relu_output_0"\): 40,960 bytes more/);
    // The file: the table and every part the notes add (47,104 + 40,960 + 5,492 + 2,650, with 320 for the 60 images' keys).
    expect(t.stdout).toContain('profile file: about 96,206 bytes (96.2 kB)');
    const last = cli(['inspect', '--model', MODEL, '--budget', '0.1', '--plan-count', '60', '--classes', 'last']);
    expect(last.stdout).toMatch(/for the last layer \("\/relu3\/Relu_output_0"\): 20,480 bytes more/);
  });

  it('inspect --profile says what a profile holds: writer, model, images, calibration, layers and parts; --json the same as data', () => {
    const t = cli(['inspect', '--profile', PROFILE]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/^profile \S+fashion-cnn\.hsp: [\d,]+ bytes \([\d.]+ MB\), written by histoscan [\d.]+ on \d{4}-\d\d-\d\d for fashion-cnn\.onnx\n/);
    expect(t.stdout).toContain('background 10,000 images');
    expect(t.stdout).toMatch(/calibrated on 2,000 images \(checked: this version scores its parts as histoscan [\d.]+ did\), so it can flag at FPR 0\.0005 or more/);
    expect(t.stdout).toMatch(/\/relu1\/Relu_output_0 {2}16x28x28 {2}element {2}12,544 nodes/);
    // The preprocessing it holds a model to (score refuses other preprocessing).
    expect(t.stdout).toMatch(/\n {2}preprocessing \{"inputName":"input",.*"height":28,"width":28,"channels":1,.*"scale":255,.*\}, 10 class names\n/);
    const j = JSON.parse(cli(['inspect', '--profile', PROFILE, '--json']).stdout).profile;
    expect(j.spec).toMatchObject({ height: 28, width: 28, channels: 1, classNames: expect.arrayContaining(['Sandal']) });
    expect([j.background, j.calibration, j.histograms.nodes, j.layers.length]).toEqual([10_000, 2_000, 18_944, 3]);
    expect(j.flagsFrom).toBe(1 / 2001);
    // The bundled profile is older than the background's keys: calibrate cannot tell its images from new ones, and says so.
    expect(j.backgroundKeys).toBe(false);
    expect(t.stdout).toContain('not keyed (calibrate cannot tell them from new images)');
    expect(j.check).toMatchObject({ scoredBy: expect.stringMatching(/^histoscan /), agrees: true });
    // With the model, one JSON document holds both.
    const both = JSON.parse(cli(['inspect', '--model', MODEL, '--profile', PROFILE, '--json']).stdout);
    expect([both.profile.modelName, both.plan.nodes]).toEqual(['fashion-cnn.onnx', 18_944]);
    const none = cli(['inspect']);
    expect([none.status, none.stderr]).toEqual([1, 'histoscan: inspect needs --model (the model and its plan) or --profile (what a profile holds), or both.\n']);
  });

  it('profile with a small --budget gets coarser reductions that fit, and scores', () => {
    const bg = subset(60, 0);
    const out = join(dir, 'small.hsp');
    const p = cli(['profile', '--model', MODEL, '--images', bg, '--no-calibration', '--budget', '0.1', '--out', out]);
    expect(p.status, p.stderr).toBe(0);
    const h = decodeProfile(readFileSync(out)).header;
    expect(layerReductions(h)).toEqual(['pool4', 'pool2', 'element']);
    expect(h.nodes).toBe(512);
    expect(payloadBytes(h.nodes, h.strategy, h.bins, h.count, h.classes)).toBeLessThanOrEqual(100_000);
    expect(p.stderr).toMatch(/wrote .*512 nodes in 3 layers \(pool4, pool2, element\).*bytes/);
    // The plan named class histograms for relu2 (pooled, 128 nodes) and relu3; with 60 images in 10 classes none has
    // the 50 its histograms need, so the build leaves them out and says so.
    expect(p.stderr).toMatch(/histograms per predicted class \(10 classes\) for the last 2 layers/);
    expect(p.stderr).toMatch(/no histograms per predicted class: no class has the 50 background images its histograms need \(the most: \d+\), so every image is scored against the pooled histograms; 40,960 bytes saved/);
    expect(h.classes).toBeUndefined();
    // The Gaussian part's share of 100 kB holds the scatter of 31 features: relu3's 128 channel means and, from the
    // other end, relu1's and relu2's: every layer, projected; 60 background images make 6 prototypes.
    expect(p.stderr).toMatch(/Gaussian part \(176 channel means of all layers, projected to 31; 6 prototypes\)/);
    expect([h.gauss?.layers, h.gauss?.first, h.gauss?.d, h.gauss?.groups, h.gauss?.counts.length]).toEqual([3, undefined, 31, 'prototypes', 6]);
    const s = cli(['score', '--model', MODEL, '--profile', out, '--json', join(subset(2, 100), '00100.png')]);
    expect(s.status, s.stderr).toBe(0);
    const parts = JSON.parse(s.stdout).results[0].parts.map((x: { name: string }) => x.name);
    expect(parts.at(-1)).toBe('gauss');
  });

  it('the whole file fits --budget: the plan keeps room for the header and the calibration table it will hold', () => {
    const out = join(dir, 'calibrated.hsp');
    const p = cli(['profile', '--model', MODEL, '--images', subset(60, 0), '--calibration', subset(60, 300), '--budget', '0.05', '--out', out]);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stderr).toMatch(/bytes of header and calibration \(settings, layer list, a 4-byte key of each background image; the calibration table of 60 images\)/);
    const cal = decodeProfile(readFileSync(out)).header.calibration;
    expect(cal?.count).toBe(60);
    expect(readFileSync(out).length).toBeLessThanOrEqual(50_000);
    // The calibration also chose the witnesses, on 6 kinds of pseudo-anomaly made from 59 of its images, and says so.
    const said = readWitnessNote(p.stderr);
    expect(said, p.stderr).not.toBeNull();
    expect(said!.count).toBe(354);
    expect(witnessNoteAgrees(said!, cal)).toEqual([]);
  });

  it('a budget with no room for class histograms builds pooled histograms only, within it, as the plan says', () => {
    const out = join(dir, 'tiny.hsp');
    const p = cli(['profile', '--model', MODEL, '--images', subset(60, 0), '--no-calibration', '--budget', '0.02', '--out', out]);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stderr).toMatch(/no room for histograms per predicted class/);
    const h = decodeProfile(readFileSync(out)).header;
    expect(h.classes).toBeUndefined();
    expect(payloadBytes(h.nodes, h.strategy, h.bins, h.count, h.classes)).toBeLessThanOrEqual(20_000);
  });

  it('explicit --layers/--reduce over 4x the budget are refused with their size, unless --force', () => {
    const bg = subset(10, 200);
    const out = join(dir, 'big.hsp');
    for (const flags of [['--layers', LAYERS], ['--reduce', 'element']]) {
      const r = cli(['profile', '--model', MODEL, '--images', bg, '--budget', '0.1', ...flags, '--out', out]);
      expect(r.status).toBe(1); // a usage error (see src/cli/exit.ts)
      expect(r.stderr).toMatch(/18,944 nodes in 3 layers would take 1,742,848 bytes.*hard cap of 400\.0 kB.*--force/);
    }
    const forced = cli(['profile', '--model', MODEL, '--images', bg, '--budget', '0.1', '--layers', LAYERS, '--force', '--out', out]);
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(/warning: .*over the budget/);
    expect(decodeProfile(readFileSync(out)).header.nodes).toBe(18_944);
    // Under the cap an explicit choice is the user's: no refusal.
    const mean = cli(['profile', '--model', MODEL, '--images', bg, '--budget', '0.1', '--reduce', 'channel-mean', '--out', out]);
    expect(mean.status, mean.stderr).toBe(0);
  });
});

describe('a transformer on the command line', () => {
  it('inspect plans a Hugging Face export with a symbolic size from its preprocessor_config.json: the GELU read per feature', () => {
    const j = cli(['inspect', '--model', 'tests/fixtures/models/tiny-vit-dynamic.onnx', '--spec', 'tests/fixtures/models/tiny-vit-hf/preprocessor_config.json', '--json']);
    expect(j.status, j.stderr).toBe(0);
    const { spec, plan, featureAxis } = JSON.parse(j.stdout);
    expect([spec.height, spec.width, spec.mean, spec.std]).toEqual([12, 12, [0.5], [0.5]]);
    // The class names from the config.json beside it (id2label).
    expect(spec.classNames).toEqual(['circle', 'square', 'triangle']);
    expect(featureAxis['/act/Mul_1_output_0']).toBe('last');
    expect(plan.layers.map((l: { name: string; channelAxis?: number; nodes: number }) => [l.name, l.channelAxis, l.nodes])).toEqual([
      ['/act/Mul_1_output_0', 1, 160],
      ['/Gather_1_output_0', undefined, 8],
    ]);
  });
});
