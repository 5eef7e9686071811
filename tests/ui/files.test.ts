import { describe, expect, it } from 'vitest';
import { blobsOf, dropNote, droppedLinks, imagesOnly, localModel, withPaths, type Dropped } from '../../src/ui/files.ts';

const file = (path: string, type = '') => {
  const f = new File([new Uint8Array(1)], path.split('/').pop()!, { type });
  // What a folder picker (<input webkitdirectory>) sets; Node's File has no such field.
  Object.defineProperty(f, 'webkitRelativePath', { value: path });
  return f;
};

describe('imagesOnly', () => {
  it("keeps a picked folder's images in path order, as the CLI lists a folder, and counts the other files", () => {
    const all = ['bg/b/2.png', 'bg/a/10.png', 'bg/notes.txt', 'bg/a-b/1.png', 'bg/a/9.png', 'bg/labels.json', 'bg/A/1.jpg'].map((p) => file(p));
    const { files, skipped } = imagesOnly(withPaths(all));
    // Folder by folder, as the CLI walks: "a" before "a-b", though "a/" sorts after "a-" as a whole path.
    expect(files.map((f) => f.path)).toEqual(['bg/A/1.jpg', 'bg/a/10.png', 'bg/a/9.png', 'bg/a-b/1.png', 'bg/b/2.png']);
    expect(skipped).toBe(2);
  });

  it('passes over hidden files and folders inside the folder, as the CLI does, without counting them', () => {
    const all = ['.bg/a.png', '.bg/._a.png', '.bg/.thumbs/t.png', '.bg/.DS_Store', '.bg/b.png'].map((p) => file(p));
    expect(imagesOnly(withPaths(all)).files.map((f) => f.file)).toEqual([all[0], all[4]]);
    expect(imagesOnly(withPaths(all)).skipped).toBe(0);
  });

  it('names each file by its path in the folder (a dropped folder\'s entries), so same names in two subfolders differ; a file typed image/* counts', () => {
    const walked = [
      { file: new File([], '001.png'), path: 'tree/dog/001.png' },
      { file: new File([], 'photo', { type: 'image/jpeg' }), path: 'tree/photo' },
      { file: new File([], '001.png'), path: 'tree/cat/001.png' },
      { file: new File([], 'x.md'), path: 'tree/x.md' },
    ];
    expect(imagesOnly(walked).files.map((f) => f.path)).toEqual(['tree/cat/001.png', 'tree/dog/001.png', 'tree/photo']);
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

describe('what a drop says', () => {
  const dropped = (d: Partial<Dropped>): Dropped => ({ files: [], names: [], skipped: 0, unreadable: 0, folders: 0, folderImages: 0, ...d });
  it('says an empty folder holds no images, counts files left out and entries that could not be read, and says nothing of plain files', () => {
    expect(dropNote(dropped({ folders: 1 }))).toBe('The dropped folder holds no images.');
    expect(dropNote(dropped({ folders: 2, skipped: 1 }))).toBe('The dropped folders hold no images. Skipped 1 non-image file in the dropped folder.');
    expect(dropNote(dropped({ folders: 1, folderImages: 3, unreadable: 2 }))).toBe('2 files or folders of the drop could not be read (moved, removed or not allowed) and are not checked.');
    expect(dropNote(dropped({ files: [new File([], 'a.png')] }))).toBe('');
  });

  it("takes this page's links from a uri-list, line by line, and counts the rest (other sites, comments left out, text that is no URL)", () => {
    const dt = (list: string) => ({ getData: (t: string) => (t === 'text/uri-list' ? list : '') }) as unknown as DataTransfer;
    const base = 'http://localhost:5173/index.html';
    expect(droppedLinks(dt('# a comment\r\nhttp://localhost:5173/samples/a.png\r\nhttp://127.0.0.1:9/b.png\r\nhttp://[broken\r\nblob:http://localhost:5173/0f3c'), base)).toEqual({
      own: ['http://localhost:5173/samples/a.png', 'blob:http://localhost:5173/0f3c'],
      other: 2,
    });
    expect(droppedLinks(dt(''), base)).toEqual({ own: [], other: 0 });
    expect(droppedLinks(dt('javascript:alert(1)'), base)).toEqual({ own: [], other: 1 });
  });
});

describe('localModel', () => {
  it('says which picked files it does not read (a weights file beside the model), beside the missing profile', async () => {
    const r = await localModel([file('m.onnx'), file('m.onnx.data'), file('notes.txt')]);
    expect('note' in r && r.note).toBe(
      'No .hsp profile was picked with m.onnx. Not used: m.onnx.data, notes.txt (a model is read as one .onnx file, with its .hsp profile and a spec .json).',
    );
    expect(await localModel([file('m.onnx'), file('m.hsp')])).toMatchObject({ names: 'm.onnx + m.hsp', note: '' });
  });
});
