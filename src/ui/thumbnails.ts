// A row's thumbnail: the file itself where the browser shows it; a TIFF, which no browser shows, as a
// PNG the worker draws from what it decoded (empty until it arrives).
import type { DetectorClient } from './client.ts';
import type { Row } from './rows.ts';

/** Rows whose thumbnail the worker is making. */
const making = new WeakSet<Row>();

/**
 * Every row's thumbnail in this page, by its URL: one dragged onto any element (its own or another)
 * is that row's file again, not a blob: URL to fetch, which a strict CSP (connect-src 'self') refuses.
 */
const byUrl = new Map<string, Pick<Row, 'file' | 'name'>>();
export const rowOfThumb = (url: string) => byUrl.get(url);
const made = (row: Row, url: string) => (byUrl.set(url, { file: row.file, name: row.name }), (row.thumb = url));

/** The row's thumbnail let go (its rows cleared, its element removed): the image is not reachable by its URL any more; a later render makes another. */
export function dropThumb(row: Row): void {
  making.delete(row);
  if (!row.thumb) return;
  URL.revokeObjectURL(row.thumb);
  byUrl.delete(row.thumb);
  row.thumb = '';
}

export function thumbnail(row: Row, client: DetectorClient, arrived: () => void): string {
  if (row.thumb) return row.thumb;
  if (!/\.tiff?$/i.test(row.name) && row.file.type !== 'image/tiff') return made(row, URL.createObjectURL(row.file));
  if (making.has(row)) return '';
  making.add(row);
  void client.preview(row.file, row.name, 256).then(
    (png) => {
      // Dropped while the worker drew it: no URL for a row that is gone.
      if (!making.delete(row)) return;
      made(row, URL.createObjectURL(png));
      arrived();
    },
    () => {},
  );
  return '';
}
