// Merging shard profiles built on shared edges: counts add and extremes take min/max, which equals
// the profile built on the union (the scale-out recipe in docs/cli.md).
import type { ProfileHeader, ScanHeader } from '../types.ts';
import { ProfileError } from './errors.ts';
import { gaussReads, mergeGauss } from './gauss.ts';
import { profileDigest } from './hsp.ts';
import type { Profile } from './bins.ts';
import { preprocessingChanges } from './spec-diff.ts';
import { decodeKeys, keysField } from './twins.ts';

function sameEdges(a: Profile, b: Profile): boolean {
  if (a.header.strategy !== b.header.strategy || a.header.bins !== b.header.bins) return false;
  if (a.edges.length !== b.edges.length) return false;
  for (let i = 0; i < a.edges.length; i++) if (!Object.is(a.edges[i], b.edges[i])) return false;
  return true;
}

/** Where two shards' writers differ, which ones: a shard of another version is the likely cause. */
const shardHint = (p: Profile, first: Profile) =>
  p.header.generator !== first.header.generator ? ` (written by ${p.header.generator ?? 'an unnamed writer'}, profile 1 by ${first.header.generator ?? 'an unnamed writer'})` : '';

/**
 * Merge shard profiles built on the same edges: counts add and extremes take min/max, which
 * equals the profile built on the union. Different edges cannot merge exactly and are refused.
 */
export function mergeProfiles(profiles: Profile[], generator?: string): Profile {
  if (profiles.length === 0) throw new ProfileError('Nothing to merge: give at least one profile.', 'merge');
  const [first] = profiles;
  const shards = profiles.map((p) => p.header.merged ?? [profileDigest(p)]);
  for (const [i, p] of profiles.entries()) {
    if (p.header.fingerprint !== first.header.fingerprint) {
      throw new ProfileError(`Profile ${i + 1} was built for another model (fingerprint differs); cannot merge.`, 'merge');
    }
    if (p.header.logitsFrom !== first.header.logitsFrom) {
      throw new ProfileError(`Profile ${i + 1} read the model's logits from another tensor (${p.header.logitsFrom ?? 'its output'} vs ${first.header.logitsFrom ?? 'its output'}); cannot merge.`, 'merge');
    }
    const spec = preprocessingChanges(first.header.spec, p.header.spec, ['in profile 1', `in profile ${i + 1}`]);
    if (spec.length) throw new ProfileError(`Profile ${i + 1} was built from images preprocessed otherwise than profile 1 (${spec.join('; ')}); cannot merge.`, 'merge');
    const scan = (Object.keys({ ...first.header.scan, ...p.header.scan }) as (keyof ScanHeader)[]).filter((k) => first.header.scan[k] !== p.header.scan[k]);
    if (scan.length) {
      const show = (h: ProfileHeader) => scan.map((k) => `${k} ${h.scan[k] ?? '(none)'}`).join(', ');
      throw new ProfileError(`Profile ${i + 1} scans otherwise than profile 1 (${show(p.header)}, against ${show(first.header)}); build every shard with the same settings.`, 'merge');
    }
    // A shard given twice, or given beside a profile merged from it: its images would count twice.
    const twin = shards.findIndex((s) => s.some((d) => shards[i].includes(d)));
    if (twin < i) {
      const again = !profiles[i].header.merged && !profiles[twin].header.merged;
      throw new ProfileError(
        again
          ? `Profile ${i + 1} is profile ${twin + 1} again (the same counts); merging it twice would count its images twice.`
          : `Profiles ${twin + 1} and ${i + 1} hold the same shard's images (a merged profile holds the shards it was merged from); merging them would count those images twice.`,
        'merge',
      );
    }
    if (p.header.nodes !== first.header.nodes || p.header.reduction !== first.header.reduction) {
      throw new ProfileError(`Profile ${i + 1} monitors different nodes (${p.header.nodes} vs ${first.header.nodes}); cannot merge.`, 'merge');
    }
    const ca = p.header.classes;
    const cb = first.header.classes;
    if (Boolean(ca) !== Boolean(cb) || (ca && cb && (ca.from !== cb.from || ca.to !== cb.to || ca.counts.length !== cb.counts.length))) {
      throw new ProfileError(`Profile ${i + 1} has other class-conditional nodes or classes than profile 1${shardHint(p, first)}; cannot merge. Shards merge where each was built with --edges-from the same profile.`, 'merge');
    }
    const ga = p.header.gauss;
    const gb = first.header.gauss;
    if (Boolean(ga) !== Boolean(gb) || (ga && gb && (ga.d !== gb.d || ga.groups !== gb.groups || ga.counts.length !== gb.counts.length || String(gaussReads(p.header.layers.length, ga)) !== String(gaussReads(p.header.layers.length, gb))))) {
      throw new ProfileError(`Profile ${i + 1} has another Gaussian part than the first, or none where it has one${shardHint(p, first)}; cannot merge. Shards merge where each was built with --edges-from the same profile.`, 'merge');
    }
    if (!sameEdges(p, first)) {
      throw new ProfileError(
        `Profile ${i + 1} has different bin edges; only shards built with shared edges merge exactly. Rebuild the shards with --edges-from the same profile.`,
        'merge',
      );
    }
  }
  const nodes = first.header.nodes;
  const lo = first.lo.slice();
  const hi = first.hi.slice();
  const tails = new Uint32Array(first.tails.length);
  let count = 0;
  for (const p of profiles) {
    count += p.header.count;
    for (let j = 0; j < nodes; j++) {
      if (p.lo[j] < lo[j]) lo[j] = p.lo[j];
      if (p.hi[j] > hi[j]) hi[j] = p.hi[j];
    }
    for (let i = 0; i < tails.length; i++) tails[i] += p.tails[i];
  }
  // The merged profile is this version's writing (`generator`), whoever wrote its shards.
  const header: ProfileHeader = { ...first.header, count, calibration: undefined, merged: shards.flat(), ...(generator ? { generator } : {}) };
  delete header.calibration;
  if (first.header.classes) {
    const counts = first.header.classes.counts.map((_, c) => profiles.reduce((a, p) => a + p.header.classes!.counts[c], 0));
    header.classes = { ...first.header.classes, counts };
  }
  if (first.header.gauss) header.gauss = mergeGauss(profiles.map((p) => p.header.gauss!));
  // Known for the whole only where every shard knows it.
  delete header.lossy;
  if (profiles.every((p) => p.header.lossy !== undefined)) header.lossy = profiles.reduce((a, p) => a + p.header.lossy!, 0);
  delete header.pixelKeys;
  if (profiles.every((p) => p.header.pixelKeys !== undefined)) Object.assign(header, keysField(profiles.flatMap((p) => [...decodeKeys(p.header.pixelKeys!)!]), count));
  const sources = profiles.map((p) => p.header.source).filter(Boolean);
  if (sources.length) header.source = sources.join(' + ');
  return { header, lo, hi, edges: first.edges.slice(), tails };
}
