// The .hsp header's checks (core/hsp.ts reads the bytes): every field a profile's scoring relies on,
// with a message that names what is wrong. Apart from the byte layout, so each stays one job.
import type { Combination, LayerLayout, ProfileHeader, ScoringName } from '../types.ts';
import { ProfileError } from './errors.ts';
import { REDUCTIONS } from './layout.ts';
import { gaussDim, type GaussRead } from './gauss.ts';
import { SCORINGS } from './scan.ts';
import { COMBINATIONS } from './combine.ts';
import { decodeKeys } from './twins.ts';

const isInt = (v: unknown, min = 0): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

/** Throws a ProfileError ('header') unless `h` is a valid header of a file of this format version. */
export function validateHeader(h: unknown, version: number): asserts h is ProfileHeader {
  const bad = (what: string): never => {
    throw new ProfileError(`Profile header is invalid: ${what}.`, 'header');
  };
  if (!h || typeof h !== 'object' || Array.isArray(h)) bad('not an object');
  const o = h as Record<string, unknown>;
  // An empty fingerprint or digest would turn off the checks they exist for (another model's profile, a stale calibration).
  if (typeof o.fingerprint !== 'string' || !o.fingerprint) bad('missing model fingerprint');
  if (o.logitsFrom !== undefined && (typeof o.logitsFrom !== 'string' || !o.logitsFrom)) bad('logitsFrom must name a tensor');
  const global = o.reduction as string;
  if (!(REDUCTIONS as string[]).includes(global) && global !== 'mixed') bad(`unknown reduction ${JSON.stringify(o.reduction)}`);
  if (!['uniform', 'tail'].includes(o.strategy as string)) bad(`unknown bin strategy ${JSON.stringify(o.strategy)}`);
  if (!isInt(o.bins, 1) || (o.bins as number) > 65535) bad('bin count must be an integer in [1, 65535]');
  if (!isInt(o.nodes, 1)) bad('node count must be a positive integer');
  if (!isInt(o.count, 1)) bad('background size must be a positive integer');
  if (o.lossy !== undefined && !(isInt(o.lossy, 0) && (o.lossy as number) <= (o.count as number))) bad('lossy must count background images');
  if (o.pixelKeys !== undefined && !(typeof o.pixelKeys === 'string' && (decodeKeys(o.pixelKeys)?.length ?? Infinity) <= (o.count as number))) bad('pixelKeys must key background images');
  if (!Array.isArray(o.layers) || o.layers.length === 0) bad('no monitored layers');
  if (o.merged !== undefined && !(Array.isArray(o.merged) && o.merged.every((d) => typeof d === 'string'))) bad('merged must list shard digests');
  let sum = 0;
  for (const l of o.layers as unknown[]) {
    const layer = l as Record<string, unknown>;
    if (!layer || typeof layer.name !== 'string' || !isInt(layer.nodes, 1) || !Array.isArray(layer.shape)) bad('a layer entry lacks name, shape or node count');
    if (!(layer.shape as unknown[]).every((d) => isInt(d, 0))) bad(`layer ${String(layer.name)} has a bad shape`);
    if (layer.channelAxis !== undefined && !(isInt(layer.channelAxis, 1) && (layer.channelAxis as number) < (layer.shape as unknown[]).length)) bad(`layer ${String(layer.name)} has a bad channel axis`);
    // Per-layer reductions are newer than the global one: a layer without its own inherits the global (core/layout.ts layerReductions).
    if (layer.reduction === undefined) {
      if (global === 'mixed') bad(`layer ${String(layer.name)} has no reduction but the header says they are mixed`);
    } else if (!(REDUCTIONS as string[]).includes(layer.reduction as string)) bad(`layer ${String(layer.name)} has an unknown reduction ${JSON.stringify(layer.reduction)}`);
    else if (global !== 'mixed' && layer.reduction !== global) bad(`layer ${String(layer.name)} says ${String(layer.reduction)} but the header says ${global}`);
    sum += layer.nodes as number;
  }
  if (sum !== o.nodes) bad(`layers hold ${sum} nodes but the header says ${String(o.nodes)}`);
  const scan = o.scan as Record<string, unknown> | undefined;
  if (!scan || typeof scan.aMax !== 'number' || !(scan.aMax > 0 && scan.aMax <= 1) || !['upper', 'lower', 'two', 'both'].includes(scan.tail as string) || !['mid', 'max'].includes(scan.pointP as string)) {
    bad('scan settings missing or malformed');
  }
  if (scan && scan.conditional !== undefined && !['mixed', 'split', 'added'].includes(scan.conditional as string)) bad('class-conditional scan setting malformed');
  if (o.classes !== undefined) {
    const c = o.classes as Record<string, unknown>;
    const counts = c?.counts as unknown[];
    if (!c || !isInt(c.from) || !isInt(c.to, 1) || (c.from as number) >= (c.to as number) || (c.to as number) > (o.nodes as number)) bad('class-conditional node range malformed');
    if (!Array.isArray(counts) || counts.length === 0 || !counts.every((x) => isInt(x))) bad('class counts malformed');
    if (counts.reduce((a: number, x) => a + (x as number), 0) !== o.count) bad('class counts do not add up to the background size');
  }
  if (scan && scan.combine !== undefined && !COMBINATIONS.includes(scan.combine as Combination)) bad('part combination malformed');
  if (scan && scan.logits !== undefined && scan.logits !== 'energy') bad('logit part malformed');
  if (o.gauss !== undefined) {
    const g = o.gauss as Record<string, unknown>;
    if (!g || typeof g !== 'object' || Array.isArray(g)) bad('Gaussian part statistics malformed');
    const nums = (v: unknown, n: number) => Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));
    const d = g?.d as number;
    const classes = Array.isArray(g?.counts) ? g.counts.length : 0;
    // Version 2 keeps the sums and the scatter in the payload (read after the histograms).
    const inHeader = version === 1 ? nums(g.sums, classes * d) && nums(g.scatter, (d * (d + 1)) / 2) : g.sums === undefined && g.scatter === undefined;
    if (!isInt(d, 1) || classes === 0 || (g.groups !== undefined && g.groups !== 'prototypes') || !(g.counts as unknown[]).every((x) => isInt(x)) || !inHeader) bad('Gaussian part statistics malformed');
    if ((g.counts as number[]).reduce((a, x) => a + x, 0) !== o.count) bad('Gaussian part counts do not add up to the background size');
    const layers = (o.layers as LayerLayout[]).length;
    if (g.layers !== undefined && !(isInt(g.layers, 1) && (g.layers as number) <= layers)) bad('Gaussian part layer count malformed');
    if (g.first !== undefined && !(isInt(g.first, 1) && (g.first as number) + ((g.layers as number | undefined) ?? 1) < layers)) bad('Gaussian part first-layer count malformed');
    if (d > gaussDim(o.layers as LayerLayout[], g as GaussRead)) bad(`Gaussian part has ${d} features, more than the channels of the layers it reads`);
  }
  if (o.calibration !== undefined) {
    const c = o.calibration as Record<string, unknown>;
    // Version 3 names the scorings whose scores follow the histograms; earlier versions hold them here.
    const scorings = version >= 3 ? c?.scorings : c?.scores;
    if (!c || typeof c !== 'object' || !isInt(c.count) || !scorings || typeof scorings !== 'object') bad('calibration table malformed');
    // Tables of histoscan 0.1 (sorted per scoring, no parts) cannot be ranked without self-inclusion: drop them, so the
    // verdict says "not calibrated" and the user recalibrates.
    if (!Array.isArray(c.parts)) {
      delete o.calibration;
      return;
    }
    const parts = c.parts as unknown[];
    if (parts.length === 0 || !parts.every((x) => typeof x === 'string')) bad('calibration parts malformed');
    if (version >= 3) {
      const names = c.scorings as unknown[];
      if (c.scores !== undefined || !Array.isArray(names) || new Set(names).size !== names.length || !names.every((k) => SCORINGS.includes(k as ScoringName))) bad('calibration scorings malformed');
    } else {
      for (const [k, v] of Object.entries(c.scores as object)) {
        if (!SCORINGS.includes(k as ScoringName) || !Array.isArray(v) || v.length !== (c.count as number) * parts.length || !v.every((x) => typeof x === 'number')) {
          bad(`calibration scores for ${k} malformed`);
        }
      }
    }
    if (c.digest !== undefined && (typeof c.digest !== 'string' || !c.digest)) bad('calibration digest malformed');
    // The witness choices: absent, or a list of scorings on a table whose parts allow that choice.
    const choice = (v: unknown, allowed: boolean, what: string) => {
      if (v !== undefined && !(Array.isArray(v) && v.every((k) => SCORINGS.includes(k as ScoringName)) && allowed)) bad(`calibration ${what} malformed`);
    };
    choice(c.gaussAlone, parts.includes('gauss'), 'witness choice');
    choice(c.joint, parts.length > 1, 'joint look');
    choice(c.hedged, parts.includes('gauss'), 'hedge');
    const k = c.check as { by?: unknown; scores?: Record<string, unknown> } | undefined;
    const checked = (f: string, v: unknown) => SCORINGS.includes(f as ScoringName) && Array.isArray(v) && v.length > 0 && v.length % parts.length === 0 && v.every((x) => x === null || typeof x === 'number');
    if (k !== undefined && !(k && typeof k === 'object' && (k.by === undefined || typeof k.by === 'string') && k.scores && typeof k.scores === 'object' && Object.entries(k.scores).every(([f, v]) => checked(f, v)))) {
      bad('calibration check malformed');
    }
  }
}
