import { describe, expect, it } from 'vitest';
import { blobsOf, imagesOnly } from '../../src/ui/files.ts';

const file = (path: string, type = '') => {
  const f = new File([new Uint8Array(1)], path.split('/').pop()!, { type });
  // What a folder picker (<input webkitdirectory>) sets; Node's File has no such field.
  Object.defineProperty(f, 'webkitRelativePath', { value: path });
  return f;
};

describe('imagesOnly', () => {
  it("keeps a picked folder's images in path order, as the CLI lists a folder, and counts the other files", () => {
    const all = ['bg/b/2.png', 'bg/a/10.png', 'bg/notes.txt', 'bg/a/9.png', 'bg/labels.json', 'bg/A/1.jpg'].map((p) => file(p));
    const { files, skipped } = imagesOnly(all);
    expect(files.map((f) => f.webkitRelativePath)).toEqual(['bg/A/1.jpg', 'bg/a/10.png', 'bg/a/9.png', 'bg/b/2.png']);
    expect(skipped).toBe(2);
  });

  it('passes over hidden files and folders inside the folder, as the CLI does, without counting them', () => {
    const all = ['.bg/a.png', '.bg/._a.png', '.bg/.thumbs/t.png', '.bg/.DS_Store', '.bg/b.png'].map((p) => file(p));
    expect(imagesOnly(all)).toEqual({ files: [all[0], all[4]], skipped: 0 });
  });

  it('keeps the order of files without a path (a dropped folder comes walked in order); a file typed image/* counts', () => {
    const loose = [new File([], 'z.png'), new File([], 'photo', { type: 'image/jpeg' }), new File([], 'a.png'), new File([], 'x.md')];
    expect(imagesOnly(loose).files.map((f) => f.name)).toEqual(['z.png', 'photo', 'a.png']);
  });
});

describe('blobsOf', () => {
  it('keeps the Blobs with their names and refuses the rest under the name they can be known by', () => {
    const a = new File([new Uint8Array([1])], 'a.png');
    const b = new Blob([new Uint8Array([2])]);
    const r = blobsOf([a, { name: 'fake.png' }, 'str.png', null, b], ['one.png', undefined as never, undefined as never, undefined as never, 'two.png']);
    expect(r.blobs).toEqual([a, b]);
    expect(r.names).toEqual(['one.png', 'two.png']);
    expect(r.refused.map((x) => x.error)).toEqual([
      'fake.png: addFiles takes File or Blob objects (from an input, a drop or fetch), not a plain object.',
      'str.png: addFiles takes File or Blob objects (from an input, a drop or fetch), not string.',
      'null: addFiles takes File or Blob objects (from an input, a drop or fetch), not null.',
    ]);
    expect(blobsOf([a]).names).toBeUndefined();
  });
});
