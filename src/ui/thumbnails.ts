// A row's thumbnail: the file itself where the browser shows it; a TIFF, which no browser shows, as a
// PNG the worker draws from what it decoded (empty until it arrives).
import type { DetectorClient } from './client.ts';
import type { Row } from './rows.ts';

/** Rows whose thumbnail the worker is making. */
const making = new WeakSet<Row>();

export function thumbnail(row: Row, client: DetectorClient, arrived: () => void): string {
  if (row.thumb) return row.thumb;
  if (!/\.tiff?$/i.test(row.name) && row.file.type !== 'image/tiff') return (row.thumb = URL.createObjectURL(row.file));
  if (making.has(row)) return '';
  making.add(row);
  void client.preview(row.file, row.name, 256).then(
    (png) => {
      row.thumb = URL.createObjectURL(png);
      arrived();
    },
    () => {},
  );
  return '';
}
