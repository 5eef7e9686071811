import { describe, expect, it } from 'vitest';
import {
  buildProfile,
  crc32,
  decodeProfile,
  encodeProfile,
  mergeProfiles,
  ProfileBuilder,
  ProfileError,
  type Profile,
} from '../../src/core/index.ts';
import { rng } from '../../src/core/rng.ts';
import { readFileSync } from 'node:fs';
import { payloadBytes, profileDigest } from '../../src/core/hsp.ts';
import { layers1, reluRows } from './helpers.ts';

const header = { fingerprint: 'abc123', reduction: 'element' as const, scan: { aMax: 0.5, tail: 'upper' as const, pointP: 'mid' as const } };

function sample(strategy: 'uniform' | 'tail', n = 300, nodes = 12): Profile {
  const rows = reluRows(n, nodes, 17);
  const p = buildProfile(rows, n, { layers: layers1(nodes), bins: 8, strategy }, header);
  p.header.calibration = { count: 3, parts: ['upper'], scores: { bj: [0.5, 1, 2] } };
  return p;
}

const withGauss = (p: Profile): Profile => ({ ...p, header: { ...p.header, gauss: { d: 3, counts: [p.header.count], sums: [1, 2, 3], scatter: [4, 5, 6, 7, 8, 9] } } });

/** The file with these fields added to its JSON header (how an older version wrote them), resealed. */
function withJson(bytes: Uint8Array, fields: object): Uint8Array {
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const json = new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + len))), ...fields }));
  const pad = (n: number) => (n + 3) & ~3;
  const payload = bytes.subarray(12 + pad(len));
  const out = new Uint8Array(12 + pad(json.length) + payload.length);
  out.set(bytes.subarray(0, 12));
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(payload, 12 + pad(json.length));
  return reseal(out);
}

/** Re-seal a modified file with a valid checksum, to reach the checks behind it. */
function reseal(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

function expectProfileError(bytes: Uint8Array, code?: string): void {
  let err: unknown;
  try {
    decodeProfile(bytes);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ProfileError);
  if (code) expect((err as ProfileError).code).toBe(code);
}

describe('.hsp profile file', () => {
  it('round-trips encode -> decode for both strategies and count widths', () => {
    for (const strategy of ['uniform', 'tail'] as const) {
      for (const n of [100, 1000, 70000]) {
        const p = n === 70000 ? (() => {
          const q = sample(strategy);
          q.header.count = n;
          q.tails = q.tails.map((t) => Math.round((t * n) / 300));
          for (let j = 0; j < q.header.nodes; j++) q.tails[j * 8] = n;
          return q;
        })() : buildProfile(reluRows(n, 5, 1), n, { layers: layers1(5), bins: 16, strategy }, header);
        const back = decodeProfile(encodeProfile(p));
        expect(back.header).toEqual(p.header);
        expect(back.lo).toEqual(p.lo);
        expect(back.hi).toEqual(p.hi);
        expect(back.edges).toEqual(p.edges);
        expect(back.tails).toEqual(p.tails);
      }
    }
  });

  it('merging shards built on shared edges equals the profile built on the union', () => {
    const n = 900;
    const nodes = 10;
    const rows = reluRows(n, nodes, 31);
    for (const strategy of ['uniform', 'tail'] as const) {
      const edgeSample = buildProfile(rows.subarray(0, 200 * nodes), 200, { layers: layers1(nodes), bins: 16, strategy }, header);
      const shard = (from: number, to: number) => {
        const b = new ProfileBuilder({ layers: layers1(nodes), bins: 16, strategy, edgesFrom: edgeSample });
        b.add(rows.subarray(from * nodes, to * nodes), to - from);
        return b.finish(header);
      };
      const merged = mergeProfiles([shard(0, 250), shard(250, 600), shard(600, 900)]);
      const whole = shard(0, 900);
      expect(merged.tails).toEqual(whole.tails);
      expect(merged.lo).toEqual(whole.lo);
      expect(merged.hi).toEqual(whole.hi);
      expect(merged.edges).toEqual(whole.edges);
      expect(merged.header.count).toBe(900);
      // The same profile byte for byte, but for the list of the shards it holds.
      expect(merged.header.merged).toEqual([shard(0, 250), shard(250, 600), shard(600, 900)].map(profileDigest));
      expect(encodeProfile({ ...merged, header: { ...merged.header, merged: undefined } })).toEqual(encodeProfile(whole));
      expect(decodeProfile(encodeProfile(merged)).header.merged).toEqual(merged.header.merged);
      // A shard merged again beside a profile that holds it, in any order, is refused; the rest merge.
      const some = mergeProfiles([shard(0, 250), shard(250, 600)]);
      for (const pair of [[some, shard(250, 600)], [shard(0, 250), some], [some, some]]) {
        expect(() => mergeProfiles(pair)).toThrowError(/Profiles 1 and 2 hold the same shard's images \(a merged profile holds the shards it was merged from\)/);
      }
      expect(mergeProfiles([some, shard(600, 900)]).header.merged).toEqual(merged.header.merged);
    }
  });

  it('refuses to merge profiles with different edges or models', () => {
    const a = sample('tail', 300);
    const b = buildProfile(reluRows(200, 12, 99), 200, { layers: layers1(12), bins: 8, strategy: 'tail' }, header);
    expect(() => mergeProfiles([a, b])).toThrowError(/different bin edges/);
    const c = { ...a, header: { ...a.header, fingerprint: 'other' } };
    expect(() => mergeProfiles([a, c])).toThrowError(/another model/);
  });

  it('refuses shards built otherwise (preprocessing, scan settings) and the same shard twice, naming what differs', () => {
    const a = sample('tail', 300);
    const spec = { inputName: 'x', height: 28, width: 28, channels: 1 as const, layout: 'nchw' as const, scale: 255, mean: [0], std: [1], resize: 'stretch' as const };
    const other = { ...a.header, count: a.header.count + 1 }; // another shard of the same statistics
    const withSpec = (h: typeof a.header, mean: number) => ({ ...a, header: { ...h, spec: { ...spec, mean: [mean] } } });
    expect(() => mergeProfiles([withSpec(a.header, 0), withSpec(other, 0.5)])).toThrowError(/Profile 2 was built from images preprocessed otherwise than profile 1 \(mean 0 in profile 1, 0.5 in profile 2\)/);
    expect(() => mergeProfiles([a, { ...a, header: { ...other, scan: { ...a.header.scan, tail: 'lower' as const } } }])).toThrowError(/Profile 2 scans otherwise than profile 1 \(tail lower, against tail upper\)/);
    expect(() => mergeProfiles([a, a])).toThrowError(/Profile 2 is profile 1 again/);
    expect(mergeProfiles([a, { ...a, header: other }]).header.count).toBe(2 * a.header.count + 1);
  });

  it('a truncation at every byte gives ProfileError', () => {
    const bytes = encodeProfile(sample('tail'));
    for (let len = 0; len < bytes.length; len++) expectProfileError(bytes.subarray(0, len));
    // Version 2, with Gaussian statistics after the histograms.
    const g = sample('tail');
    g.header.gauss = { d: 3, counts: [300], sums: [1, 2, 3], scatter: [4, 5, 6, 7, 8, 9] };
    const v2 = encodeProfile(g);
    expect(decodeProfile(v2).header.gauss).toEqual(g.header.gauss);
    for (let len = 0; len < v2.length; len++) expectProfileError(v2.subarray(0, len));
  });

  it('version 1 (Gaussian statistics and calibration scores as JSON in the header) still reads: written again, as version 3, it is the same profile', () => {
    const p = withGauss(sample('tail'));
    const { gauss, calibration } = p.header;
    const v1 = withJson(encodeProfile({ ...p, header: { ...p.header, gauss: undefined, calibration: undefined } }), { gauss, calibration });
    expect(new DataView(v1.buffer).getUint16(4, true)).toBe(1);
    expect(decodeProfile(v1).header).toEqual(p.header);
    const v3 = encodeProfile(decodeProfile(v1));
    expect(new DataView(v3.buffer).getUint16(4, true)).toBe(3);
    expect(decodeProfile(v3).header).toEqual(p.header);
    expect(profileDigest(decodeProfile(v3))).toBe(profileDigest(p)); // a calibration table still belongs to it
    // The shipped profile is version 3, and its table is its own.
    const shipped = new Uint8Array(readFileSync('public/profiles/fashion-cnn.hsp'));
    const sp = decodeProfile(shipped);
    expect(new DataView(shipped.buffer, shipped.byteOffset).getUint16(4, true)).toBe(3);
    expect(profileDigest(sp)).toBe(sp.header.calibration!.digest);
  });

  it('version 3 keeps the calibration scores as float64 after the histograms: exact, and a profile without a table is written as before', () => {
    const p = sample('tail');
    // Scores that JSON would also keep, and ones it shows with 17 digits: both come back bit for bit.
    p.header.calibration = { count: 3, parts: ['upper', 'lower'], scores: { hc: [0.1 + 0.2, 1e-300, -0, 5, Math.PI, 2 ** -40], bj: [1, 2, 3, 4, 5, 6] }, digest: 'd' };
    const bytes = encodeProfile(p);
    expect(new DataView(bytes.buffer).getUint16(4, true)).toBe(3);
    expect(decodeProfile(bytes).header.calibration).toEqual(p.header.calibration);
    const json = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + new DataView(bytes.buffer).getUint32(8, true))));
    expect(json.calibration).toEqual({ count: 3, parts: ['upper', 'lower'], digest: 'd', scorings: ['bj', 'hc'] });
    const bare = { ...p, header: { ...p.header, calibration: undefined } };
    expect(new DataView(encodeProfile(bare).buffer).getUint16(4, true)).toBe(1);
    expect(bytes.length - encodeProfile(bare).length).toBeLessThan(8 * 12 + 120);
    // A score that is not a number is refused, with the file's checksum intact.
    const bad = bytes.slice();
    new DataView(bad.buffer).setFloat64(bad.length - 4 - 8, NaN, true);
    expectProfileError(reseal(bad), 'header');
  });

  it('version 2 (calibration scores as JSON, Gaussian statistics after the histograms) still reads', () => {
    const p = withGauss(sample('tail'));
    const v2 = encodeProfile({ ...p, header: { ...p.header, calibration: undefined } });
    expect(new DataView(v2.buffer).getUint16(4, true)).toBe(2);
    expect(decodeProfile(withJson(v2, { calibration: p.header.calibration })).header).toEqual(p.header);
  });

  it('random byte flips always give ProfileError, never another exception', () => {
    const r = rng(5);
    for (const strategy of ['uniform', 'tail'] as const) {
      const bytes = encodeProfile(sample(strategy));
      for (let t = 0; t < 2000; t++) {
        const bad = bytes.slice();
        const flips = 1 + Math.floor(r() * 4);
        for (let f = 0; f < flips; f++) bad[Math.floor(r() * bad.length)] ^= 1 + Math.floor(r() * 255);
        expectProfileError(bad);
      }
    }
  });

  it('names the problem: magic, future version, sizes, edges, counts, header', () => {
    const p = sample('tail');
    const bytes = encodeProfile(p);
    expectProfileError(new TextEncoder().encode('PK\x03\x04 this is a zip file, not a profile'), 'magic');
    const future = bytes.slice();
    new DataView(future.buffer).setUint16(4, 9, true);
    expect(() => decodeProfile(future)).toThrowError(/version 9 is newer/);
    // Extra bytes with a valid checksum: sizes do not add up.
    const longer = new Uint8Array(bytes.length + 8);
    longer.set(bytes.subarray(0, bytes.length - 4));
    expectProfileError(reseal(longer), 'size');
    // Non-monotone edges behind a valid checksum.
    const q = sample('tail');
    q.edges[3] = q.edges[4] + 100;
    expectProfileError(reseal(encodeProfile(q)), 'edges');
    const r2 = sample('uniform');
    r2.tails[1] = r2.tails[0] + 1;
    expectProfileError(reseal(encodeProfile(r2)), 'counts');
    const h = sample('uniform');
    (h.header as { reduction: string }).reduction = 'median';
    expectProfileError(encodeProfile(h), 'header');
  });

  it('a header made to fool the size check, or to turn other checks off, is a ProfileError too (a probe fuzzed them)', () => {
    const p = sample('tail');
    const bytes = encodeProfile(p);
    const { nodes, layers } = p.header;
    const more = (n: number) => withJson(bytes, { nodes: nodes + n, layers: layers.map((l, i) => (i === 0 ? { ...l, nodes: l.nodes + n } : l)) });
    // 2^30 more nodes add a multiple of 2^32 bytes: in 32-bit arithmetic the file's own size again, and then a RangeError.
    expect(((payloadBytes(nodes + 2 ** 30, p.header.strategy, p.header.bins, p.header.count) - payloadBytes(nodes, p.header.strategy, p.header.bins, p.header.count)) % 2 ** 32)).toBe(0);
    expectProfileError(more(2 ** 30), 'truncated');
    expectProfileError(more(2 ** 32), 'truncated');
    expectProfileError(more(1e300), 'truncated');
    // A null Gaussian part, an empty fingerprint or calibration digest, an aMax outside (0, 1].
    expectProfileError(withJson(bytes, { gauss: null }), 'header');
    expectProfileError(withJson(bytes, { fingerprint: '' }), 'header');
    expectProfileError(withJson(bytes, { scan: { ...p.header.scan, aMax: 0 } }), 'header');
    expectProfileError(withJson(bytes, { scan: { ...p.header.scan, aMax: -1 } }), 'header');
  });
});
