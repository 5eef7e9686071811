// The table's row window: which rows are drawn as images come in and the user asks for more or earlier ones.
import { describe, expect, it } from 'vitest';
import { earlierRows, firstShown, FIRST_ROWS, MAX_ROWS, moreRows, ROW_PAGE, windowAfterAdd, type RowWindow } from '../../src/ui/rows.ts';

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
    // At most MAX_ROWS drawn: the window slides, and the rows it leaves come back with "earlier".
    w = moreRows(w);
    expect(w).toEqual({ start: 20, limit: MAX_ROWS });
    expect(drawn(w, 400)).toEqual(drawn({ start: 20, limit: 200 }, 400));
    expect(earlierRows(w)).toEqual({ start: 0, limit: MAX_ROWS });
    // "Show more" while rows are below the window (the button's condition): the last of 3,000 rows drawn, 200 at most.
    while (w.start + w.limit < 3000) w = moreRows(w);
    expect(drawn(w, 3000).at(-1)).toBe(2999);
    expect(w.limit).toBe(MAX_ROWS);
  });

  it('names the row focus goes to when the button that showed rows goes: the first more row, or the last earlier one', () => {
    const w: RowWindow = { start: 120, limit: ROW_PAGE };
    // "more": rows 170.. join the window that starts at 120; row 170 is its 51st.
    const more = moreRows(w);
    expect(drawn(more, 400)[firstShown(w, more) - 1]).toBe(170);
    // "earlier": rows 70..119 join in front; row 119, just above where the user was, is the 50th.
    const earlier = earlierRows(w);
    expect(drawn(earlier, 400)[firstShown(w, earlier) - 1]).toBe(119);
  });
});
