import type { CalibrationTable, ClassBlocks, GaussStats, ProfileHeader, ScoringName } from '../types.ts';
import { fileBytes, ProfileError } from './errors.ts';
import { tailEntries } from './classes.ts';
import { gaussNumbers } from './gauss.ts';
import { validateHeader } from './hsp-header.ts';
import { edgesPerNode, type Profile } from './bins.ts';

/**
 * .hsp — histoscan profile file, little-endian:
 *
 *   0  "HSPF" magic            8  u32 header length L
 *   4  u16 version (1|2|3)    12  header: UTF-8 JSON (ProfileHeader), zero-padded to 4 bytes
 *   6  u8 count width (1|2|4)     payload: lo f32[nodes], hi f32[nodes], edges f32[nodes*E],
 *   7  u8 reserved (0)                     tails u{8|16|32}[nodes*B], zero-padded to 4 bytes,
 *                                          version ≥ 2: the Gaussian part's sums f64[classes*d] and
 *                                          scatter f64[d(d+1)/2] (its header entry keeps d, layers, counts)
 *                                          version 3: the calibration scores f64[count*parts] per scoring,
 *                                          in the order of the header's calibration.scorings
 *                                 last 4 bytes: CRC-32 of everything before
 *
 * E = 2 for uniform bins (e_0, e_B), B + 1 for tail bins. Tail counts use the narrowest unsigned
 * type that holds the background size. Bytes per node = 8 + 4E + width*B, e.g. uniform B = 16 at
 * n = 10k: 8 + 8 + 32 = 48 B (raw float32 background: 40,000 B); tail B = 32: 8 + 132 + 64 = 204 B.
 * Version 1 kept the Gaussian statistics, and version 2 the calibration scores, as JSON numbers in the
 * header (about 19 bytes each against 8). Both are still read, and a profile is written as the lowest
 * version that holds it (1 without either), so older readers take what they can.
 */
export const HSP_VERSION = 3;
const MAGIC = [0x48, 0x53, 0x50, 0x46]; // "HSPF"

/** Whether bytes start with a profile's signature (a .hsp given where something else belongs is said as such). */
export const isProfileBytes = (b: Uint8Array): boolean => b.length >= 4 && MAGIC.every((m, i) => b[i] === m);
const PREFIX = 12;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// In doubles, not 32-bit integers: a header claiming 2^30 more nodes wrapped back to the file's own size.
const pad4 = (n: number) => Math.ceil(n / 4) * 4;

export function countWidth(count: number): 1 | 2 | 4 {
  return count <= 0xff ? 1 : count <= 0xffff ? 2 : 4;
}

/** The float64 numbers of a Gaussian part's statistics (its sums and scatter): what version 2 keeps in the payload. */
const gaussCount = (g: Pick<GaussStats, 'd' | 'counts'> | undefined): number => (g ? gaussNumbers(g.d, g.counts.length) : 0);

/** Calibration scores as version 3 stores them: every scoring's table, in a fixed order. */
const calibrationArrays = (c: CalibrationTable | undefined): [ScoringName, number[]][] =>
  c ? (Object.entries(c.scores) as [ScoringName, number[]][]).sort(([a], [b]) => a.localeCompare(b)) : [];

/** Bytes a profile takes on disk, without the JSON header and its calibration table; `classes` adds class-conditional blocks, `gauss` the Gaussian statistics. */
export function payloadBytes(nodes: number, strategy: Profile['header']['strategy'], bins: number, count: number, classes?: ClassBlocks, gauss?: Pick<GaussStats, 'd' | 'counts'>): number {
  return pad4(4 * nodes * (2 + edgesPerNode(strategy, bins)) + countWidth(count) * tailEntries({ nodes, bins, classes })) + 8 * gaussCount(gauss);
}

export function encodeProfile(p: Profile): Uint8Array {
  const { nodes, bins, strategy, count, classes, gauss } = p.header;
  const width = countWidth(count);
  // The Gaussian statistics go to the payload; the header keeps what sizes them.
  if (gauss && gauss.sums.length + gauss.scatter.length !== gaussCount(gauss)) throw new ProfileError('Gaussian part statistics malformed: their sizes do not fit d.', 'header');
  // So do the calibration scores; the header keeps the table's size, parts and digest, and which scorings follow.
  const cal = calibrationArrays(p.header.calibration);
  const calibration = p.header.calibration && { ...p.header.calibration, scores: undefined, scorings: cal.map(([k]) => k) };
  const header = { ...p.header, ...(gauss ? { gauss: { ...gauss, sums: undefined, scatter: undefined } } : {}), ...(calibration ? { calibration } : {}) };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerEnd = PREFIX + pad4(json.length);
  const total = headerEnd + payloadBytes(nodes, strategy, bins, count, classes, gauss) + 8 * cal.reduce((a, [, v]) => a + v.length, 0) + 4;
  const buf = new ArrayBuffer(total);
  const bytes = new Uint8Array(buf);
  const view = new DataView(buf);
  bytes.set(MAGIC, 0);
  view.setUint16(4, calibration ? 3 : gauss ? 2 : 1, true);
  view.setUint8(6, width);
  view.setUint32(8, json.length, true);
  bytes.set(json, PREFIX);
  let off = headerEnd;
  for (const arr of [p.lo, p.hi, p.edges]) {
    for (let i = 0; i < arr.length; i++, off += 4) view.setFloat32(off, arr[i], true);
  }
  const tails = p.tails;
  for (let i = 0; i < tails.length; i++, off += width) {
    if (width === 1) view.setUint8(off, tails[i]);
    else if (width === 2) view.setUint16(off, tails[i], true);
    else view.setUint32(off, tails[i], true);
  }
  off = pad4(off);
  for (const arr of [...(gauss ? [gauss.sums, gauss.scatter] : []), ...cal.map(([, v]) => v)]) {
    for (let i = 0; i < arr.length; i++, off += 8) view.setFloat64(off, arr[i], true);
  }
  view.setUint32(total - 4, crc32(bytes.subarray(0, total - 4)), true);
  return bytes;
}

/** Calibration numbers a version 3 file holds after the histograms: count × parts per scoring named. */
const calibrationNumbers = (h: ProfileHeader): number => {
  const c = h.calibration as (CalibrationTable & { scorings?: unknown[] }) | undefined;
  return c?.scorings ? c.count * c.parts.length * c.scorings.length : 0;
};

/** Digest of what a calibration table depends on: the histograms and the scan settings. */
export function profileDigest(p: Profile): string {
  const arrays = [p.lo, p.hi, p.edges, p.tails].map((a) => crc32(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).toString(16).padStart(8, '0'));
  const h = p.header;
  const fields: unknown[] = [h.scan.tail, h.scan.pointP, h.scan.aMax, h.scan.conditional ?? 'mixed', h.scan.combine ?? 'fisher', h.count, h.classes ?? null];
  // Appended only when set, so the digests of profiles from before these parts are unchanged.
  if (h.scan.logits) fields.push(h.scan.logits);
  if (h.gauss) fields.push(crc32(new TextEncoder().encode(JSON.stringify(h.gauss))));
  const scan = new TextEncoder().encode(JSON.stringify(fields));
  return [...arrays, crc32(scan).toString(16).padStart(8, '0')].join('');
}

/** Decode and validate a .hsp file. Every problem is a ProfileError with a message for users. */
export function decodeProfile(input: Uint8Array | ArrayBuffer): Profile {
  const bytes = fileBytes(input, 'profile', '.hsp');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < PREFIX + 4) {
    if (bytes.length >= 4 && !isProfileBytes(bytes)) throw new ProfileError('Not a histoscan profile (.hsp): the file does not start with the HSPF signature.', 'magic');
    throw new ProfileError(`Profile file is truncated: only ${bytes.length} bytes.`, 'truncated');
  }
  if (!isProfileBytes(bytes)) {
    throw new ProfileError('Not a histoscan profile (.hsp): the file does not start with the HSPF signature.', 'magic');
  }
  const version = view.getUint16(4, true);
  if (version < 1 || version > HSP_VERSION) {
    throw new ProfileError(
      version > HSP_VERSION
        ? `Profile format version ${version} is newer than this histoscan understands (${HSP_VERSION}); update histoscan.`
        : `Unknown profile format version ${version}.`,
      'version',
    );
  }
  const width = view.getUint8(6);
  const jsonLen = view.getUint32(8, true);
  const headerEnd = PREFIX + pad4(jsonLen);
  if (headerEnd + 4 > bytes.length) {
    throw new ProfileError(`Profile file is truncated: the header needs ${headerEnd + 4} bytes, the file has ${bytes.length}.`, 'truncated');
  }
  const crcOk = view.getUint32(bytes.length - 4, true) === crc32(bytes.subarray(0, bytes.length - 4));
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX, PREFIX + jsonLen)));
  } catch {
    if (!crcOk) throw new ProfileError('Profile file is corrupt: checksum mismatch.', 'checksum');
    throw new ProfileError('Profile header is not valid JSON.', 'header');
  }
  let expected = -1;
  try {
    validateHeader(header, version);
    expected = headerEnd + payloadBytes(header.nodes, header.strategy, header.bins, header.count, header.classes, version >= 2 ? header.gauss : undefined) + 8 * (version >= 3 ? calibrationNumbers(header) : 0) + 4;
  } catch (e) {
    if (crcOk) throw e;
  }
  if (expected > bytes.length) {
    throw new ProfileError(`Profile file is truncated: expected ${expected.toLocaleString('en')} bytes, got ${bytes.length.toLocaleString('en')}.`, 'truncated');
  }
  if (!crcOk) throw new ProfileError('Profile file is corrupt: checksum mismatch (the file was altered or damaged).', 'checksum');
  const h = header as ProfileHeader;
  if (expected !== bytes.length) {
    throw new ProfileError(`Profile sizes do not add up: header describes ${expected} bytes, file has ${bytes.length}.`, 'size');
  }
  if (width !== countWidth(h.count)) {
    throw new ProfileError(`Profile count width ${width} does not fit a background of ${h.count}.`, 'size');
  }

  const { nodes, bins, strategy, count } = h;
  const E = edgesPerNode(strategy, bins);
  let off = headerEnd;
  const readF32 = (n: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++, off += 4) a[i] = view.getFloat32(off, true);
    return a;
  };
  const lo = readF32(nodes);
  const hi = readF32(nodes);
  const edges = readF32(nodes * E);
  const tails = new Uint32Array(tailEntries(h));
  for (let i = 0; i < tails.length; i++, off += width) {
    tails[i] = width === 1 ? view.getUint8(off) : width === 2 ? view.getUint16(off, true) : view.getUint32(off, true);
  }
  off = pad4(off);
  const readF64 = (n: number) => {
    const a = Array.from({ length: n }, (_, i) => view.getFloat64(off + 8 * i, true));
    off += 8 * n;
    return a;
  };
  if (version >= 2 && h.gauss) {
    const sums = readF64(h.gauss.counts.length * h.gauss.d);
    const scatter = readF64((h.gauss.d * (h.gauss.d + 1)) / 2);
    if (![...sums, ...scatter].every(Number.isFinite)) throw new ProfileError('Profile Gaussian part statistics are not finite.', 'header');
    h.gauss = { ...h.gauss, sums, scatter };
  }
  if (version >= 3 && h.calibration) {
    const { scorings, ...table } = h.calibration as CalibrationTable & { scorings: ScoringName[] };
    const n = table.count * table.parts.length;
    table.scores = Object.fromEntries(scorings.map((k) => [k, readF64(n)]));
    if (Object.values(table.scores).some((v) => v.some(Number.isNaN))) throw new ProfileError('Profile calibration scores are not numbers.', 'header');
    h.calibration = table;
  }
  for (let j = 0; j < nodes; j++) {
    if (!(Number.isFinite(lo[j]) && Number.isFinite(hi[j]) && lo[j] <= hi[j])) {
      throw new ProfileError(`Profile node ${j} has an invalid range [${lo[j]}, ${hi[j]}].`, 'edges');
    }
    for (let k = 0; k < E; k++) {
      const e = edges[j * E + k];
      if (!Number.isFinite(e) || (k > 0 && e < edges[j * E + k - 1])) {
        throw new ProfileError(`Profile node ${j} has non-monotone or non-finite bin edges.`, 'edges');
      }
    }
  }
  // Every histogram (pooled, then each class block): T_0 = its background size, T_k non-increasing.
  const c = h.classes;
  for (let start = 0, hist = 0; start < tails.length; start += bins, hist++) {
    const inClass = hist >= nodes;
    const n = inClass ? c!.counts[Math.floor((hist - nodes) / (c!.to - c!.from))] : count;
    if (tails[start] !== n) {
      throw new ProfileError(`Profile histogram ${hist} counts ${tails[start]} values, the header says ${n}.`, 'counts');
    }
    for (let k = 1; k < bins; k++) {
      if (tails[start + k] > tails[start + k - 1]) throw new ProfileError(`Profile histogram ${hist} has inconsistent tail counts.`, 'counts');
    }
  }
  return { header: h, lo, hi, edges, tails };
}
