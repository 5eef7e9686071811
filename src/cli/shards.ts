// Shards of one background (`profile --edges-from E --shard K/N`, then `merge`): what a shard takes from its
// edges profile, said before any work, and which shards a merge holds.
import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { relative } from 'node:path';
import { UsageError, type Profile } from '../core/index.ts';
import { counted } from '../core/words.ts';

/** Flags a shard takes from its edges profile whatever they say (its layers, reductions and class layers). */
const IGNORED = ['layers', 'reduce', 'classes', 'budget', 'force'];

/**
 * The scan settings of a shard: its edges profile's, so that the shards merge. A flag left out takes the
 * edges profile's value; one given otherwise is refused here, before the shard's run, not by the merge
 * after every job ran. Flags that choose layers are noted as not used.
 */
export function shardSettings(opts: Record<string, unknown>, cmd: Command, edges: Profile, edgesPath: string): { settings: Record<string, unknown>; notes: string[] } {
  const scan = edges.header.scan;
  const follow: Record<string, unknown> = { tail: scan.tail, combine: scan.combine, conditional: scan.conditional, point: scan.pointP, gauss: !!edges.header.gauss, logits: scan.logits === 'energy' ? 'energy' : 'none' };
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(follow)) {
    if (value === undefined) continue; // a profile older than the setting: the flag decides, as it did
    const given = cmd.getOptionValueSource(key) === 'cli';
    // auto chooses the energy part from the images; a shard follows the edges profile's choice (build.ts).
    if (given && opts[key] !== value && !(key === 'logits' && opts[key] === 'auto')) {
      const flag = key === 'gauss' ? '--no-gauss' : `--${key} ${String(opts[key])}`;
      const theirs = key === 'gauss' ? 'a Gaussian part' : `${key} ${String(value)}`;
      throw new UsageError(`${flag} differs from the edges profile (${theirs}, ${edgesPath}): a shard scans as its edges profile does, or the shards would not merge; leave the flag out.`);
    }
    settings[key] = value;
  }
  const ignored = IGNORED.filter((k) => cmd.getOptionValueSource(k) === 'cli');
  const notes = ignored.length ? [`${ignored.map((k) => `--${k}`).join(', ')} not used: a shard monitors the layers of its edges profile, reduced as they are there (${edgesPath}).`] : [];
  return { settings, notes };
}

/** A folder as shards name it: without a trailing slash ("bg/" and "bg" are one folder). */
const folderName = (dir: string) => dir.replace(/(.)\/+$/, '$1');

/**
 * What a profile says of the images it was built from: how many, not the folder's path or name, which
 * often name a patient, a study or a user, and would travel with every copy of the profile.
 */
export const sourceOf = (all: readonly string[]): string => `a folder of ${counted(all.length, 'image')}`;

/**
 * A shard's source as its profile names it: the images of the whole list, a key of that list (the
 * images' paths within the folder: a hash, which names no file), and K/N. The key is what a merge
 * compares, so one folder named two ways ("data/bg/" here, "/srv/data/bg" on another job) is one
 * list, and two folders of one name two.
 */
export function shardSource(dir: string, all: string[], spec: string): string {
  const key = createHash('sha256').update(all.map((f) => relative(dir, f)).join('\n')).digest('hex').slice(0, 12);
  return `${sourceOf(all)} [list ${key}] shard ${spec}`;
}

/**
 * The shards (`profile --shard K/N`, named in each profile's source) that a merge of these leaves out,
 * in words, or '' where every shard of each folder is there. Shards of one folder cut into another N
 * overlap (their images would count twice): refused.
 */
export function shardCoverage(sources: string[], paths: string[]): string {
  const folders = new Map<string, { folder: string; n: number; path: string; ks: Set<number> }>();
  sources.forEach((source, i) => {
    // A merged profile's source joins its shards' with " + ".
    for (const part of source.split(' + ')) {
      const m = /^(.*?)(?: \[list ([0-9a-f]+)\])? shard (\d+)\/(\d+)$/.exec(part);
      if (!m) continue;
      const [folder, k, n] = [m[1], Number(m[3]), Number(m[4])];
      // Shards of 0.4.13 and before name the folder only, as it was typed.
      const list = m[2] ?? folderName(folder);
      const seen = folders.get(list) ?? { folder, n, path: paths[i], ks: new Set<number>() };
      if (seen.n !== n) throw new UsageError(`${paths[i]} is shard ${k}/${n} of ${folder}, and ${seen.path} a shard of ${seen.n}: shards cut ${n} and ${seen.n} ways share images, which would count twice. Merge the shards of one --shard K/N.`);
      seen.ks.add(k);
      folders.set(list, seen);
    }
  });
  const gaps = [...folders.values()].map(({ folder, n, ks }) => [folder, n, Array.from({ length: n }, (_, k) => k).filter((k) => !ks.has(k))] as const).filter(([, , left]) => left.length);
  return gaps.map(([folder, n, left]) => `no shard ${left.slice(0, 5).map((k) => `${k}/${n}`).join(', ')}${left.length > 5 ? ', …' : ''} of ${folder}: the merged profile holds ${n - left.length} of its ${n} shards' images (merge it again with the others once they are built).`).join(' ');
}
