// The same input twice: a calibration image that the background holds ranks as more typical than new
// images, and a test image that either holds lifts an evaluation. Keyed by node values, so a copy
// under another name, or another file the model sees alike, is caught in Node and in the browser.
import { crc32 } from './hsp.ts';
import type { RgbaImage } from '../types.ts';

/** An image as the model sees it, by its node values: equal keys, the same input (the CRC and the sum together rule out chance). */
export const nodeKey = (x: Float32Array): string => `${crc32(new Uint8Array(x.buffer, x.byteOffset, x.byteLength))}:${x.reduce((a, v) => a + v, 0)}`;

/** The keys of every row of `values` ([rows, nodes]). */
export function rowKeys(values: Float32Array, nodes: number): string[] {
  return Array.from({ length: nodes ? values.length / nodes : 0 }, (_, r) => nodeKey(values.subarray(r * nodes, (r + 1) * nodes)));
}

/** Bytes of an image's pixels its key reads at most, evenly spread: a 12-megapixel photo costs no more to key than a small one. */
const KEY_BYTES = 1 << 16;
/**
 * Background images whose keys a profile keeps (4 bytes each, base64 in the header: about 5.3): beyond
 * this, a shard's or a large build's keys would take a megabyte of the budget, and the profile keeps none.
 */
export const MAX_PIXEL_KEYS = 50_000;

/**
 * An image by its decoded size and pixels (up to KEY_BYTES of them): what a profile keeps of each
 * background image, so that calibrating it later can leave the background's own images out. Pixels,
 * not node values: they are the same in Node and in the browser, on every execution provider.
 */
export function pixelKey(img: Pick<RgbaImage, 'width' | 'height' | 'data'>): number {
  const d = img.data;
  const step = Math.max(1, Math.floor(d.length / KEY_BYTES));
  const picked = step === 1 ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : Uint8Array.from({ length: Math.ceil(d.length / step) }, (_, i) => d[i * step]);
  return (crc32(picked) ^ Math.imul(img.width, 0x9e3779b1) ^ img.height) >>> 0;
}

/** Keys as a profile header keeps them: sorted, each once, 4 bytes little-endian, base64. */
export function encodeKeys(keys: Iterable<number>): string {
  const sorted = Uint32Array.from(new Set(keys)).sort();
  const view = new DataView(new ArrayBuffer(sorted.length * 4));
  sorted.forEach((k, i) => view.setUint32(i * 4, k, true));
  const bytes = new Uint8Array(view.buffer);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/**
 * The header field that keys a background of `images` images: none beyond MAX_PIXEL_KEYS. Where
 * images repeat, `keys` holds fewer than `images`; the cap is on images, as the plan counts it.
 */
export const keysField = (keys: Iterable<number>, images: number): { pixelKeys?: string } => (images <= MAX_PIXEL_KEYS ? { pixelKeys: encodeKeys(keys) } : {});

/** The header bytes keysField takes for `images` distinct images: base64 of 4 bytes each. */
export const keysFieldBytes = (images: number): number => (images <= MAX_PIXEL_KEYS ? 4 * Math.ceil((4 * images) / 3) : 0);

/** The keys of encodeKeys' text, or null where it is not such a text. */
export function decodeKeys(text: string): Uint32Array | null {
  let raw: string;
  try {
    raw = atob(text);
  } catch {
    return null;
  }
  if (raw.length % 4) return null;
  const view = new DataView(Uint8Array.from(raw, (c) => c.charCodeAt(0)).buffer);
  return Uint32Array.from({ length: raw.length / 4 }, (_, i) => view.getUint32(i * 4, true));
}

/** Nodes a near-copy is judged on: a stride through all of them, so every layer has a say. */
const NEAR_DIMS = 64;
/**
 * Nearer than this share of the median distance between background images is another coding of the
 * same picture, not another picture: on the photo model a PNG and a JPEG (q 90) of one photo sat at
 * 0.04-0.08 of it, crops of one photo at 0.55 or more, and the default model's nearest Fashion-MNIST
 * images at 0.15 or more.
 */
export const NEAR_SHARE = 0.1;
/** Near-copies are said where they are this share of a set or more: a few move a rate little, and nearness is judged, not exact. */
export const NEAR_COPIES_SAID = 0.1;

/** Rows of a sample nearerWithin reads at most. */
const NEARER_ROWS = 1000;

/**
 * The background as the exact-twin check sees it (`has`: nodeKey of every image) and, for near-copies
 * (`near`), each image's NEAR_DIMS strided nodes, standardised by the background's own spread. A
 * sample folder often holds one picture in several codings or sizes; a calibration image whose copy
 * the background holds ranks as more typical than new images do (a probe: 100% of new photos flagged).
 */
export class BackgroundIndex {
  private readonly keys = new Set<string>();
  private readonly rows: Float32Array[] = [];
  private readonly idx: number[];
  private fitted?: { mean: Float64Array; inv: Float64Array; z: Float64Array[]; limit: number };
  constructor(nodes: number) {
    const d = Math.min(NEAR_DIMS, nodes);
    this.idx = Array.from({ length: d }, (_, i) => Math.round(d > 1 ? (i * (nodes - 1)) / (d - 1) : 0));
  }

  /** Rows of `values` ([rows, nodes]). */
  add(values: Float32Array, nodes: number): void {
    for (let r = 0; r * nodes < values.length; r++) {
      const x = values.subarray(r * nodes, (r + 1) * nodes);
      this.keys.add(nodeKey(x));
      this.rows.push(Float32Array.from(this.idx, (j) => x[j]));
    }
    this.fitted = undefined;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** The background row that `x` is a near-copy of, or -1 (fewer than 3 rows: -1). */
  near(x: Float32Array): number {
    const f = this.fit();
    if (!f) return -1;
    const z = this.standardised(Float32Array.from(this.idx, (j) => x[j]), f);
    return f.z.findIndex((row) => within(row, z, f.limit));
  }

  /**
   * Rows that are a near-copy (or the same input) of an earlier row, judged on this set's own spread:
   * a calibration holding one picture twice ranks each copy against its twin in the bag, as a new image
   * never is (a probe: 10 pictures in two codings flagged 37.3% of new photos at FPR 5%, 20 pictures 17.3%).
   */
  repeats(): number[] {
    const f = this.fit();
    if (!f) return [];
    return f.z.flatMap((row, a) => (f.z.some((earlier, b) => b < a && within(row, earlier, f.limit)) ? [a] : []));
  }

  /**
   * Of the rows of `sample` (another set, e.g. the calibration), the share whose nearest other row of the
   * sample is nearer than their nearest of as many rows of this index, spread through it; both on this
   * index's standardisation. Drawn alike, the two sets are exchangeable and the share is near 1/2; a
   * sample of a few scenes (crops, frames, shots of one subject) finds its siblings first. `compared`:
   * the rows of each set a row was compared with. Null where either set has fewer than 3 rows.
   */
  nearerWithin(sample: BackgroundIndex): { share: number; compared: number } | null {
    const f = this.fit();
    // Its cost grows with the square of the rows: up to NEARER_ROWS of them, spread through the sample.
    const m = Math.min(sample.rows.length, NEARER_ROWS);
    const k = Math.min(m - 1, this.rows.length);
    if (!f || m < 3 || k < 2) return null;
    const spread = <T>(rows: readonly T[], n: number) => Array.from({ length: n }, (_, j) => rows[Math.floor((j * rows.length) / n)]);
    const zs = spread(sample.rows, m).map((row) => this.standardised(row, f));
    const ref = spread(f.z, k);
    const nearest = (z: Float64Array, among: (j: number) => Float64Array) => {
      let best = Infinity;
      for (let j = 0; j < k; j++) best = Math.min(best, squaredDistance(z, among(j), best));
      return best;
    };
    let nearer = 0;
    zs.forEach((z, i) => {
      // As many rows of the sample as of this index, spread through the m - 1 others after it in a ring (not the next in folder order).
      const other = (j: number) => zs[(i + 1 + Math.floor((j * (m - 1)) / k)) % m];
      if (nearest(z, other) < nearest(z, (j) => ref[j])) nearer++;
    });
    return { share: nearer / m, compared: k };
  }

  private standardised(row: Float32Array, f: { mean: Float64Array; inv: Float64Array }): Float64Array {
    return Float64Array.from(row, (v, i) => (v - f.mean[i]) * f.inv[i]);
  }

  /** Standardisation (each row standardised once), and the squared-sum limit from the median distance of (up to 2,000) background pairs. */
  private fit() {
    const n = this.rows.length;
    const d = this.idx.length;
    if (this.fitted || n < 3) return this.fitted;
    const mean = new Float64Array(d);
    const inv = new Float64Array(d);
    for (const row of this.rows) for (let i = 0; i < d; i++) mean[i] += row[i] / n;
    for (const row of this.rows) for (let i = 0; i < d; i++) inv[i] += (row[i] - mean[i]) ** 2 / n;
    for (let i = 0; i < d; i++) inv[i] = inv[i] > 0 ? 1 / Math.sqrt(inv[i]) : 0; // a constant node says nothing
    const z = this.rows.map((row) => this.standardised(row, { mean, inv }));
    const pairs = Math.min(2000, (n * (n - 1)) / 2);
    const sums: number[] = [];
    for (let p = 0; p < pairs; p++) {
      const a = p % n;
      const b = (a + 1 + ((p * 7919) % (n - 1))) % n; // spread, never a itself
      sums.push(squaredDistance(z[a], z[b], Infinity));
    }
    sums.sort((x, y) => x - y);
    const median = sums[Math.floor(sums.length / 2)];
    this.fitted = { mean, inv, z, limit: NEAR_SHARE ** 2 * median };
    return this.fitted;
  }
}

/** The squared distance of two standardised rows, stopped once past `limit` (a row far off is known early). */
function squaredDistance(a: Float64Array, b: Float64Array, limit: number): number {
  let s = 0;
  for (let i = 0; i < a.length && s <= limit; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

const within = (a: Float64Array, b: Float64Array, limit: number): boolean => squaredDistance(a, b, limit) <= limit;
