// Which image files the CLI reads: folders walked, what is left out said, and the shards of a list.
import { readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { extname, join } from 'node:path';
import { UsageError } from '../core/index.ts';
import { EXIT } from './exit.ts';
import { IMAGE_EXTENSIONS } from '../model/image-errors.ts';

const IMAGE_EXT = new Set(IMAGE_EXTENSIONS.map((e) => `.${e}`));

/**
 * Image files of the given paths: a file as given; a folder, the image files in it and in its
 * subfolders (a folder per class, as training sets are laid out), in sorted path order. Files a
 * folder holds that are not images by their name are left out and counted (`note`: on stderr by
 * default, so a user sees why they were not checked; a script may take the sentences itself).
 * `incomplete` marks a sentence about what could not be read, where images may be: the CLI fails
 * its run on it, a script decides for itself (this function never touches the process's exit code).
 */
export function listImages(paths: string[], note: (sentence: string, incomplete: boolean) => void = (s) => console.error(`note: ${s}`)): string[] {
  const out: string[] = [];
  const left: string[] = [];
  const broken: string[] = [];
  const brokenImages: string[] = [];
  const unreadable: string[] = [];
  const unnamed: string[] = [];
  const special: string[] = [];
  const twice: string[] = [];
  // An image named twice (a folder and a file in it, or a link to it) is checked once.
  const files = new Set<string>();
  const add = (p: string) => {
    const real = realpathSync(p);
    if (files.has(real)) twice.push(p);
    else {
      files.add(real);
      out.push(p);
    }
  };
  const seen = new Set<string>();
  const walk = (dir: string, top = false) => {
    let names: string[];
    try {
      const real = realpathSync(dir);
      if (seen.has(real)) return; // a link back up the tree
      seen.add(real);
      // As bytes: a name that is not UTF-8 (an old archive's Latin-1 "café.png") would come back with
      // U+FFFD in it, a path that names nothing; it is counted as unread instead of as a link to nothing.
      names = readdirSync(dir, { encoding: 'buffer' }).flatMap((b) => {
        const n = b.toString('utf8');
        if (Buffer.from(n, 'utf8').equals(b)) return [n];
        unnamed.push(join(dir, n));
        return [];
      });
      names.sort();
    } catch (e) {
      // A folder given is the user's to fix; one found inside is left out, and said so, so the rest is still checked.
      if (top) throw new UsageError(`Cannot read the folder ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      unreadable.push(dir);
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      if (n.startsWith('.')) continue;
      const st = statOf(p);
      const image = IMAGE_EXT.has(extname(n).toLowerCase());
      // A link to nothing named as an image (an annex's content never fetched) is an image not checked.
      if (!st) (image ? brokenImages : broken).push(p);
      else if (st === 'denied') unreadable.push(p);
      else if (st.isDirectory()) walk(p);
      // A pipe or a device (a link to /dev/zero) would be read for ever.
      else if (!st.isFile()) special.push(p);
      else if (image) add(p);
      else left.push(p);
    }
  };
  for (const p of paths) {
    const st = statOf(p);
    if (!st) throw new UsageError(`No such file or folder: ${p}`);
    if (st === 'denied') throw new UsageError(`Cannot read ${p}: permission denied`);
    if (st.isDirectory()) walk(p, true);
    else if (!st.isFile()) special.push(p);
    else add(p);
  }
  // What was left out, counted, with the first few named.
  const leftOut = (list: string[], what: string, why: string, incomplete = false) => {
    if (list.length) note(`left out ${list.length} ${what}${list.length > 1 ? 's' : ''} ${why}: ${list.slice(0, 3).join(', ')}${list.length > 3 ? ', …' : ''}`, incomplete);
  };
  leftOut(unreadable, 'folder', 'that could not be read', true);
  leftOut(special, 'special file', '(pipes, sockets or devices, never read)', true);
  leftOut(unnamed, 'file', 'whose name is not UTF-8 (rename it to read it)', true);
  leftOut(brokenImages, 'image', 'that is a link to nothing', true);
  leftOut(broken, 'link', 'to nothing');
  leftOut(twice, 'image', 'named twice (checked once)');
  leftOut(left, 'file', `not named as images (${[...IMAGE_EXT].join(' ')})`);
  return out;
}

/**
 * The CLI's listImages: notes on stderr; where what could not be read may hold images, `unread`
 * (by default the run ends with status 2: a run that gates on its exit code must not pass).
 */
export const listImageFiles = (paths: string[], unread: () => void = () => void (process.exitCode = EXIT.failed)): string[] =>
  listImages(paths, (s, incomplete) => {
    console.error(`note: ${s}`);
    if (incomplete) unread();
  });

/** Every `step`-th file starting at `k` (0-based) for `--shard K/N`. */
export function shard(files: string[], spec?: string): string[] {
  if (!spec) return files;
  const m = /^(\d+)\/(\d+)$/.exec(spec);
  if (!m || Number(m[1]) >= Number(m[2])) throw new UsageError(`--shard wants K/N with 0 <= K < N, got "${spec}"`);
  const [k, n] = [Number(m[1]), Number(m[2])];
  return files.filter((_, i) => i % n === k);
}

export const denied = (e: unknown) => ['EACCES', 'EPERM'].includes((e as NodeJS.ErrnoException).code ?? '');

/** A path's stat: null where nothing is there (or a link to nothing), 'denied' where a folder on the way may not be searched. */
export function statOf(p: string): Stats | 'denied' | null {
  try {
    return statSync(p);
  } catch (e) {
    if (denied(e)) return 'denied';
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return null;
    throw e;
  }
}
