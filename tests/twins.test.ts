// The same input in two sets (core/twins.ts): what `profile` leaves out of a calibration and `eval` warns about.
import { describe, expect, it } from 'vitest';
import { buildProfile, decodeKeys, decodeProfile, encodeKeys, encodeProfile, keysField, keysFieldBytes, mergeProfiles, MAX_PIXEL_KEYS, nodeKey, pixelKey, ProfileError, rowKeys } from '../src/core/index.ts';
import { layers1, reluRows } from './core/helpers.ts';
import { parseEvalFlags } from '../src/cli/eval.ts';
import { twinWarnings } from '../src/cli/eval-twins.ts';
import type { NodeSet } from '../src/node-sets.ts';

const set = (name: string, rows: number[][]): NodeSet => ({
  name,
  rows: rows.length,
  nodes: rows[0].length,
  values: Float32Array.from(rows.flat()),
  logits: rows.map(() => new Float32Array(2)),
  files: rows.map((_, i) => `${name}/${i}.png`),
  skipped: [],
});

describe('twins', () => {
  it('equal node values have equal keys; a change in any value, or the same values in another order, does not', () => {
    const x = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
    expect(nodeKey(x.slice())).toBe(nodeKey(x));
    const y = x.slice();
    y[500] += 1e-6;
    expect(nodeKey(y)).not.toBe(nodeKey(x));
    expect(nodeKey(x.slice().reverse())).not.toBe(nodeKey(x));
    expect(rowKeys(Float32Array.from([...x, ...y]), 1000)).toEqual([nodeKey(x), nodeKey(y)]);
  });

  it("a profile keeps a key of each background image's pixels: equal pixels and size, equal keys", () => {
    const img = (width: number, height: number, f: (i: number) => number) => ({ width, height, data: Uint8ClampedArray.from({ length: width * height * 4 }, (_, i) => f(i)) });
    const a = img(28, 28, (i) => (i * 7) % 251);
    expect(pixelKey(img(28, 28, (i) => (i * 7) % 251))).toBe(pixelKey(a));
    const b = img(28, 28, (i) => (i === 1000 ? 0 : (i * 7) % 251));
    expect(pixelKey(b)).not.toBe(pixelKey(a));
    expect(pixelKey({ ...a, width: 14, height: 56 })).not.toBe(pixelKey(a)); // the same bytes at another size
    // A large image is keyed on 64 KB of its pixels, evenly spread; a change at one of them is seen.
    const big = img(4000, 3000, (i) => (i * 13) % 253);
    const step = Math.floor(big.data.length / 65536);
    const changed = { ...big, data: big.data.slice() };
    changed.data[step * 1234] ^= 1;
    expect(pixelKey(changed)).not.toBe(pixelKey(big));

    // Kept sorted, each once, in base64; what is no such text is null.
    expect([...decodeKeys(encodeKeys([5, 0xffffffff, 5, 1]))!]).toEqual([1, 5, 0xffffffff]);
    expect([...decodeKeys(encodeKeys([]))!]).toEqual([]);
    expect(decodeKeys('not base64!')).toBeNull();
    expect(decodeKeys(btoa('abc'))).toBeNull(); // not whole keys

    // In the header: checked, and merged shards keep the union where every one keeps keys.
    const nodes = 6;
    const rows = reluRows(60, nodes, 3);
    const header = { fingerprint: 'f', reduction: 'element' as const, scan: { aMax: 0.5, tail: 'upper' as const, pointP: 'mid' as const } };
    const built = (from: number, keys?: number[]) => {
      const p = buildProfile(rows.subarray(from * nodes, (from + 20) * nodes), 20, { layers: layers1(nodes), bins: 4, strategy: 'uniform' }, header);
      return { ...p, header: { ...p.header, ...(keys ? { pixelKeys: encodeKeys(keys) } : {}) } };
    };
    const one = built(0, [1, 2]);
    expect(decodeProfile(encodeProfile(one)).header.pixelKeys).toBe(encodeKeys([1, 2]));
    const many = built(0, Array.from({ length: 21 }, (_, i) => i));
    expect(() => decodeProfile(encodeProfile(many))).toThrow(ProfileError);
    expect(() => decodeProfile(encodeProfile({ ...one, header: { ...one.header, pixelKeys: '%%' } }))).toThrow(/pixelKeys must key background images/);
    const edges = built(0);
    const shard = (from: number, keys?: number[]) => ({ ...built(from, keys), edges: edges.edges, lo: edges.lo, hi: edges.hi });
    expect(decodeKeys(mergeProfiles([shard(0, [1, 2]), shard(20, [3, 2])]).header.pixelKeys!)).toEqual(Uint32Array.from([1, 2, 3]));
    expect(mergeProfiles([shard(0, [1, 2]), shard(20)]).header.pixelKeys).toBeUndefined();
    expect(MAX_PIXEL_KEYS).toBeGreaterThanOrEqual(10_000);
  });

  it('the plan counts the key field as many bytes as it takes, and neither beyond the cap', () => {
    for (const n of [0, 1, 2, 3, 4, 10, 1_000, MAX_PIXEL_KEYS]) {
      const keys = Array.from({ length: n }, (_, i) => i * 7919);
      expect(keysField(keys, n).pixelKeys!.length).toBe(keysFieldBytes(n));
    }
    expect(keysField([1], MAX_PIXEL_KEYS + 1)).toEqual({});
    expect(keysFieldBytes(MAX_PIXEL_KEYS + 1)).toBe(0);
  });

  it('eval warns about test images that the background, the calibration or the clean set also hold, and calibration images the background holds', () => {
    const bg = set('background', [[1, 2], [3, 4], [5, 6]]);
    const cal = set('calibration', [[7, 8], [9, 10], [5, 6]]);
    const clean = set('clean', [[3, 4], [11, 12], [9, 10], [13, 14]]);
    const attacked = set('attacked', [[11, 12], [15, 16]]);
    const also = (n: string, of: string, b: string, e: string) => `1 of the ${n} ${of} images are also among the ${b} images (the same input to the model, e.g. ${e}): the figures they enter are not those of new images.`;
    expect(twinWarnings(clean, [attacked], bg, cal)).toEqual([
      also('4', 'clean', 'background', 'clean/0.png'),
      also('4', 'clean', 'calibration', 'clean/2.png'),
      also('2', 'attacked', 'clean', 'attacked/0.png'),
      also('3', 'calibration', 'background', 'calibration/2.png'),
    ]);
    expect(twinWarnings(set('clean', [[20, 21]]), [attacked], bg, set('calibration', [[7, 8]]))).toEqual([]);
    expect(twinWarnings(clean, [], null, null)).toEqual([]);
    // The same folder given as two anomalous sets: each image would be compared with itself.
    const again = set('again', [[15, 16], [17, 18]]);
    expect(twinWarnings(set('clean', [[20, 21]]), [attacked, again], null, null)).toEqual([also('2', 'again', 'attacked', 'again/0.png')]);
  });

  it("eval refuses an anomalous set named as one of its own sets, or given without a folder", () => {
    const flags = (...anomalous: string[]) => ({ anomalous, methods: 'histogram' }) as Parameters<typeof parseEvalFlags>[0];
    expect(() => parseEvalFlags(flags('clean=x'))).toThrow(/"clean" names one of eval's own sets/);
    expect(() => parseEvalFlags(flags('calibration=x'))).toThrow(/"calibration" names one of eval's own sets/);
    expect(() => parseEvalFlags(flags('x='))).toThrow(/--anomalous wants NAME=DIR, got "x="/);
    expect(() => parseEvalFlags(flags('a=x', 'a=y'))).toThrow(/names "a" twice/);
    expect(parseEvalFlags(flags('k=v=dir')).sets).toEqual([{ name: 'k', dir: 'v=dir' }]);
  });
});
