// The table's row window: which rows are drawn as images come in and the user asks for more or earlier ones.
import { describe, expect, it } from 'vitest';
import { earlierRows, FIRST_ROWS, moreRows, ROW_PAGE, windowAfterAdd, type RowWindow } from '../../src/ui/rows.ts';

const drawn = (w: RowWindow, total: number) => Array.from({ length: total }, (_, i) => i).slice(w.start, w.start + w.limit);

describe('row window', () => {
  it('keeps the window while added rows fall inside it, and moves to the first added row below it', () => {
    let w = FIRST_ROWS;
    w = windowAfterAdd(w, 0); // 30 rows added to none
    expect(w).toEqual(FIRST_ROWS);
    w = windowAfterAdd(w, 30); // 90 more: the first 20 of them are drawn, the rest behind "more"
    expect(w).toEqual(FIRST_ROWS);
    w = windowAfterAdd(w, 120); // a paste after 120 rows: drawn from row 120
    expect(w).toEqual({ start: 120, limit: ROW_PAGE });
    expect(drawn(w, 121)).toEqual([120]);
  });

  it('reaches every row with "more" and "earlier", never before the first', () => {
    let w: RowWindow = { start: 120, limit: ROW_PAGE };
    w = earlierRows(w);
    expect(w).toEqual({ start: 70, limit: 100 });
    w = earlierRows(earlierRows(w));
    expect(w).toEqual({ start: 0, limit: 170 });
    expect(earlierRows(w)).toEqual(w);
    expect(drawn(moreRows(w), 400)).toEqual(drawn({ start: 0, limit: 220 }, 400));
  });
});
