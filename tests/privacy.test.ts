import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProfile, decodeProfile, encodeProfile, rng } from '../src/core/index.ts';
import { Detector } from '../src/detector/index.ts';
import { fewImagesWarning } from '../src/detector/build-notes.ts';
import { decodeImage } from '../src/model/decode-node.ts';
import { parseSpec } from '../src/model/spec.ts';

const includes = (hay: Uint8Array, needle: Uint8Array) => Buffer.from(hay).indexOf(Buffer.from(needle)) >= 0;

describe('a profile holds per-node histograms, not inputs', () => {
  it('is unchanged when each node\u2019s values are shuffled across images, and no image or activation vector is in its bytes', async () => {
    const files = readdirSync('data/background').filter((f) => f.endsWith('.png')).sort().slice(0, 60).map((f) => `data/background/${f}`);
    const images = await Promise.all(files.map((f) => decodeImage(readFileSync(f))));
    const d = await Detector.create({
      model: new Uint8Array(readFileSync('public/models/fashion-cnn.onnx')),
      spec: parseSpec(JSON.parse(readFileSync('public/models/fashion-cnn.json', 'utf8'))),
    });
    const { nodes } = await d.features.nodeValues(images);
    const N = d.features.nodes;
    const n = images.length;
    // Independently permute every node's column across images: any per-image (joint) information is destroyed.
    const shuffled = new Float32Array(nodes.length);
    const r = rng(5);
    for (let j = 0; j < N; j++) {
      const order = Array.from({ length: n }, (_, i) => i).sort(() => r() - 0.5);
      for (let i = 0; i < n; i++) shuffled[i * N + j] = nodes[order[i] * N + j];
    }
    for (const strategy of ['uniform', 'tail'] as const) {
      const opts = { layers: d.features.layers, bins: 16, strategy, tail: 'two' as const };
      const a = buildProfile(nodes, n, opts, { fingerprint: d.features.fingerprint });
      const b = buildProfile(shuffled, n, opts, { fingerprint: d.features.fingerprint });
      expect(encodeProfile(a)).toEqual(encodeProfile(b)); // byte-identical: only marginals are stored
      const bytes = encodeProfile(a);
      // Look for every image's most distinctive runs: 24 non-zero pixels, 8 non-zero activations.
      const run = (v: ArrayLike<number>, len: number) => {
        for (let k = 0; k + len <= v.length; k++) if (Array.from({ length: len }, (_, t) => v[k + t]).every((x) => x !== 0)) return k;
        return -1;
      };
      let checked = 0;
      for (let i = 0; i < n; i++) {
        const pixels = Uint8Array.from({ length: 28 * 28 }, (_, k) => images[i].data[4 * k]);
        const pk = run(pixels, 24);
        if (pk >= 0) expect(includes(bytes, pixels.subarray(pk, pk + 24))).toBe(false);
        // An image may legitimately hold a node's extreme or an edge (a marginal statistic);
        // look for runs of its other values.
        const row = nodes.subarray(i * N, (i + 1) * N);
        const E = a.header.strategy === 'uniform' ? 2 : a.header.bins + 1;
        const marginal = (j: number, v: number) => v === a.lo[j] || v === a.hi[j] || a.edges.subarray(j * E, (j + 1) * E).includes(v);
        const own = row.map((v, j) => (v === 0 || marginal(j, v) ? 0 : v));
        const ak = run(own, 8);
        if (ak >= 0) expect(includes(bytes, new Uint8Array(row.buffer, row.byteOffset + 4 * ak, 32))).toBe(false);
        if (pk >= 0 && ak >= 0) checked++;
      }
      expect(checked).toBeGreaterThan(10);
    }
    d.release();
  });
});

describe('the CLI keeps to the machine', () => {
  it('writes nothing to HOME or the temp folder and sends no telemetry (onnxruntime-node keeps a device id and a queue of events unless told not to)', () => {
    const home = mkdtempSync(join(tmpdir(), 'hs-home-'));
    const tmp = mkdtempSync(join(tmpdir(), 'hs-tmp-'));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, TMPDIR: tmp };
    delete env.ORT_DISABLE_TELEMETRY;
    const r = spawnSync(process.execPath, ['bin/histoscan.js', 'score', '--model', 'public/models/fashion-cnn.onnx', '--profile', 'public/profiles/fashion-cnn.hsp', 'data/clean/00000.png'], { encoding: 'utf8', env });
    expect(r.status, r.stderr).toBe(0);
    const written = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    expect(written(home)).toEqual([]);
    expect(written(tmp).filter((f) => !/[\\/]tsx-\d/.test(f))).toEqual([]); // tsx's compile cache: a checkout's, not the package's
  });
});

describe('a profile of a few private images', () => {
  it('names no folder, and its build says it keeps much of the images', () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'hs-private-')), 'PATIENT_JANE_DOE_MRN1234');
    mkdirSync(folder);
    for (const f of readdirSync('data/background').filter((f) => f.endsWith('.png')).slice(0, 12)) copyFileSync(join('data/background', f), join(folder, f));
    const out = join(folder, '..', 'p.hsp');
    const r = spawnSync(process.execPath, ['bin/histoscan.js', 'profile', '--model', 'public/models/fashion-cnn.onnx', '--images', folder, '--no-calibration', '--out', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning: this profile keeps much of its 12 background images: every activation value of them, node by node, as its histograms\' bin edges');
    const bytes = new Uint8Array(readFileSync(out));
    expect(Buffer.from(bytes).includes('PATIENT')).toBe(false);
    expect(decodeProfile(bytes).header.source).toBe('a folder of 12 images');
  });

  it('says what its bins keep: tail edges are the images\' values, uniform ones each node\'s lowest and highest; from 100 images, nothing', () => {
    expect(fewImagesWarning(40, 16, 'tail')[0]).toContain("up to 17 of each node's 40 values");
    expect(fewImagesWarning(40, 16, 'uniform')[0]).toContain("each node's lowest and highest value");
    expect(fewImagesWarning(2, 16, 'uniform')[0]).toContain('every activation value of them');
    expect(fewImagesWarning(100, 16, 'tail')).toEqual([]);
  });
});
