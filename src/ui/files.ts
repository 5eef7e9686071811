// Turning what a user drops, picks, pastes or names (a URL) into files and addresses the element can use.

import { IMAGE_EXTENSIONS } from '../model/image-errors.ts';

// A folder may hold other files (manifests, notes): keep what looks like an image, and count the rest.
const IMAGE_NAME = new RegExp(`\\.(${IMAGE_EXTENSIONS.join('|')})$`, 'i');

// Names in the order the CLI lists a folder (sort() by UTF-16 code units, folder by folder), not the browser's pick order.
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byPath = (a: string, b: string) => {
  const [x, y] = [a.split('/'), b.split('/')];
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return byName(x[i], y[i]);
  return x.length - y.length;
};

// Hidden files and folders inside a folder are passed over, as the CLI does (macOS's "._x.jpg" is no image).
const hidden = (name: string) => name.startsWith('.');

/** A file with the path it has in what was picked or dropped ("tree/cat/001.png"), which names its row. */
export interface PathedFile {
  file: File;
  path: string;
}

/** A picked folder's files with their paths (<input webkitdirectory>); a file without one keeps its name. */
export const withPaths = (all: File[]): PathedFile[] => all.map((file) => ({ file, path: file.webkitRelativePath || file.name }));

/** The images of a folder and how many other files it held, in path order as the CLI lists a folder. */
export function imagesOnly(all: PathedFile[]): { files: PathedFile[]; skipped: number } {
  const shown = all.filter((f) => !f.path.split('/').slice(1).some(hidden));
  const files = shown.filter(({ file }) => IMAGE_NAME.test(file.name) || file.type.startsWith('image/'));
  files.sort((a, b) => byPath(a.path, b.path));
  return { files, skipped: shown.length - files.length };
}

export const skippedNote = (n: number, how: 'dropped' | 'chosen') => `Skipped ${n} non-image file${n > 1 ? 's' : ''} in the ${how} folder.`;

/**
 * What code handed addFiles, split into the Blobs to check (with their names, where given) and, for
 * anything else (plain JS passes anything), the error to report under the name it can be known by.
 */
export function blobsOf(given: readonly unknown[], names?: readonly string[]): { blobs: Blob[]; names?: string[]; refused: { file: string; error: string }[] } {
  const kept = given.flatMap((f, i) => (f instanceof Blob ? [{ f, name: names?.[i] ?? '' }] : []));
  const refused = given.flatMap((f, i) => {
    if (f instanceof Blob) return [];
    const file = names?.[i] ?? (typeof f === 'string' ? f : String((f as { name?: unknown } | null)?.name ?? f));
    const what = f === null ? 'null' : typeof f === 'object' ? 'a plain object' : typeof f;
    return [{ file, error: `${file}: addFiles takes File or Blob objects (from an input, a drop or fetch), not ${what}.` }];
  });
  return { blobs: kept.map((k) => k.f), names: names && kept.map((k) => k.name), refused };
}

const fileOf = (entry: FileSystemEntry) => new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));

/** Files of a dropped folder tree (webkitGetAsEntry) with their paths in the drop; returns how many entries could not be read. */
async function entryFiles(entry: FileSystemEntry, out: PathedFile[]): Promise<number> {
  try {
    if (entry.isFile) {
      out.push({ file: await fileOf(entry), path: entry.fullPath.replace(/^\//, '') });
      return 0;
    }
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    const children: FileSystemEntry[] = [];
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
      if (!batch.length) break;
      children.push(...batch);
    }
    let unread = 0;
    for (const c of children) if (!hidden(c.name)) unread += await entryFiles(c, out);
    return unread;
  } catch {
    return 1; // moved, removed or not allowed since the drop: counted and said, the rest goes on
  }
}

/** What a drop brought: the files to check with their row names, and what the note says of the rest. */
export interface Dropped {
  files: File[];
  names: string[];
  /** Non-image files inside dropped folders, left out. */
  skipped: number;
  /** Files or folders of the drop that could not be read. */
  unreadable: number;
  /** How many folders were dropped, and how many images they held. */
  folders: number;
  folderImages: number;
}

/**
 * The files of a drop: a folder is walked and filtered to images (`skipped` counts the rest), each
 * named by its path in the drop; files dropped as they are are kept, so a bad one gets its own error row.
 */
export async function droppedFiles(dt: DataTransfer): Promise<Dropped> {
  // Entries must be taken synchronously, before the first await ends the drop's data access.
  const entries = [...dt.items].map((it) => it.webkitGetAsEntry?.()).filter((x): x is FileSystemEntry => !!x);
  const folders = entries.filter((en) => en.isDirectory);
  if (!folders.length) return { files: [...dt.files], names: [...dt.files].map((f) => f.name), skipped: 0, unreadable: 0, folders: 0, folderImages: 0 };
  const loose: PathedFile[] = [];
  const walked: PathedFile[] = [];
  let unreadable = 0;
  for (const en of entries) unreadable += await entryFiles(en, en.isDirectory ? walked : loose);
  const { files, skipped } = imagesOnly(walked);
  const kept = [...loose, ...files];
  return { files: kept.map((f) => f.file), names: kept.map((f) => f.path), skipped, unreadable, folders: folders.length, folderImages: files.length };
}

/** What to say of a drop's folders, if anything: files left out, entries that could not be read, folders with no image. */
export function dropNote(d: Dropped): string {
  const words: string[] = [];
  if (d.folders && !d.folderImages && !d.unreadable) words.push(`The dropped folder${d.folders > 1 ? 's hold' : ' holds'} no images.`);
  if (d.skipped) words.push(skippedNote(d.skipped, 'dropped'));
  if (d.unreadable) words.push(`${d.unreadable} file${d.unreadable > 1 ? 's or folders' : ' or folder'} of the drop could not be read (moved, removed or not allowed) and ${d.unreadable > 1 ? 'are' : 'is'} not checked.`);
  return words.join(' ');
}

/**
 * The links of a drop (text/uri-list: one per line, "#" lines are comments), split into those of this
 * page's origin (a sample or a row's thumbnail dragged) and how many point elsewhere or do not parse.
 * Read while the drop event runs: its data is gone after.
 */
export function droppedLinks(dt: DataTransfer, base: string): { own: string[]; other: number } {
  const lines = dt.getData('text/uri-list').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const origin = new URL(base).origin;
  const own: string[] = [];
  for (const line of lines) {
    try {
      const u = new URL(line, base);
      if (/^(https?|blob):$/.test(u.protocol) && u.origin === origin) own.push(u.href);
    } catch {
      // not a URL: counted with the links of other sites
    }
  }
  return { own, other: lines.length - own.length };
}

/** Images on the clipboard; the browser names every pasted image "image.png", so give each its own name. */
export function pastedFiles(e: ClipboardEvent, now = Date.now()): File[] {
  return [...(e.clipboardData?.files ?? [])].map((f, i) => (f.name && f.name !== 'image.png' ? f : new File([f], `pasted-${now}-${i}.png`, { type: f.type })));
}

/** The files of an <input type=file> change event; the input is reset so the same file can be picked again. */
export function inputFiles(e: Event): File[] {
  const input = e.target as HTMLInputElement;
  const files = [...(input.files ?? [])];
  input.value = '';
  return files;
}

/**
 * A model picked from this device, read into bytes for the worker (never uploaded): one .onnx, its .hsp
 * profile and, optionally, a spec .json (or a Hugging Face folder's preprocessor_config.json with its
 * config.json). What cannot be used is said, naming the files; a model without a profile starts, with
 * a note on how to get one.
 */
export async function localModel(files: File[]): Promise<{ options: { model: ArrayBuffer; profile: ArrayBuffer | null; spec: object | null }; names: string; note: string } | { error: string }> {
  const all = (ext: string) => files.filter((f) => f.name.toLowerCase().endsWith(ext));
  // A Hugging Face model folder has two: preprocessor_config.json (the spec) and config.json (class names, id2label).
  const config = files.find((f) => f.name.toLowerCase() === 'config.json');
  const [models, profiles, specs] = [all('.onnx'), all('.hsp'), all('.json').filter((f) => f !== config)];
  if (!models.length) return { error: 'Choose an .onnx model, with its .hsp profile (and a spec .json if the model needs one).' };
  for (const [list, what] of [[models, 'model (.onnx)'], [profiles, 'profile (.hsp)'], [specs, 'spec (.json)']] as const) {
    if (list.length > 1) return { error: `Choose one ${what}: ${list.map((f) => f.name).join(', ')} were picked.` };
  }
  const [model, profile, spec] = [models[0], profiles[0], specs[0]];
  // Picked but not read (an external-data weights file, a README): said, so nothing seems used that is not.
  const unused = files.filter((f) => f !== model && f !== profile && f !== spec && !(spec && f === config)).map((f) => f.name);
  const json = async (f: File): Promise<Record<string, unknown>> => {
    try {
      return JSON.parse(await f.text()) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${f.name} is not valid JSON (${(e as Error).message}).`);
    }
  };
  try {
    const labels = spec && config ? { id2label: (await json(config)).id2label } : {};
    return {
      options: { model: await model.arrayBuffer(), profile: profile ? await profile.arrayBuffer() : null, spec: spec ? { ...(await json(spec)), ...labels } : null },
      names: [model, profile, spec, spec && config].filter((f): f is File => !!f).map((f) => f.name).join(' + '),
      note: [
        // What to do then is the element's own note once the model is ready (NO_PROFILE): said once.
        profile ? '' : `No .hsp profile was picked with ${model.name}.`,
        unused.length ? `Not used: ${unused.join(', ')} (a model is read as one .onnx file, with its .hsp profile and a spec .json).` : '',
      ].filter(Boolean).join(' '),
    };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** A URL given to the element, resolved against the page (the worker lives elsewhere). */
export const pageUrl = (u: string): string => new URL(u, document.baseURI).href;
