// The table's row window: which rows are drawn as images come in and the user asks for more or earlier ones.
import { describe, expect, it } from 'vitest';
import { earlierRows, firstShown, FIRST_ROWS, MAX_ROWS, moreRows, resultsCsv, ROW_PAGE, windowAfterAdd, windowRows, type Row, type RowWindow } from '../../src/ui/rows.ts';

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

  it('only the unusual: the window counts those, keeps to them as it moves, and stays where images are added', () => {
    const row = (id: number, verdict?: 'unusual' | 'typical'): Row => ({ id, name: `${id}.png`, file: new Blob(), thumb: '', state: verdict ? 'done' : 'queued', ...(verdict ? { summary: { top: 'T-shirt', prob: 0.9, score: 1, q: 0.5, verdict, calibrationCount: 100, provider: 'wasm', ms: 3 } } : {}) });
    const rows = Array.from({ length: 300 }, (_, i) => row(i, i % 3 === 0 ? 'unusual' : i % 3 === 1 ? 'typical' : undefined));
    const w: RowWindow = { ...FIRST_ROWS, unusualOnly: true };
    expect(windowRows(rows, w).map((r) => r.id)).toEqual(rows.filter((_, i) => i % 3 === 0).map((r) => r.id));
    expect(windowRows(rows, FIRST_ROWS)).toHaveLength(300);
    expect(moreRows(w)).toEqual({ start: 0, limit: 2 * ROW_PAGE, unusualOnly: true });
    expect(earlierRows({ ...w, start: 60 }).unusualOnly).toBe(true);
    expect(windowAfterAdd(w, 300)).toBe(w);
  });

  it('exports the rows as CSV: quoted where needed, no formula a spreadsheet would run, errors and reasons in words', () => {
    const base = { file: new Blob(), thumb: '' };
    const rows: Row[] = [
      { ...base, id: 1, name: 'a, "b".png', state: 'done', summary: { top: 'Sandal', prob: 0.98, score: 2.5, q: 0.004, verdict: 'unusual', calibrationCount: 500, provider: 'wasm', ms: 12.4 } },
      { ...base, id: 2, name: '=HYPERLINK(1).png', state: 'error', error: 'this is a text file, not an image' },
      { ...base, id: 3, name: 'c.png', state: 'done', summary: { top: 'Bag', prob: 0.5, score: 0.1, q: NaN, verdict: 'uncalibrated', reason: 'no calibration', calibrationCount: 0, provider: 'webgpu', ms: 3 } },
      { ...base, id: 4, name: 'd.png', state: 'cancelled' },
    ];
    expect(resultsCsv(rows, 0.05).split('\r\n')).toEqual([
      'file,state,verdict,fpr,q,score,model says,probability,reason,provider,ms',
      '"a, ""b"".png",done,unusual,0.05,0.004,2.5,Sandal,0.98,,wasm,12',
      "'=HYPERLINK(1).png,error,,,,,,,\"this is a text file, not an image\",,",
      'c.png,done,uncalibrated,0.05,,0.1,Bag,0.5,no calibration,webgpu,3',
      'd.png,cancelled,,,,,,,,,',
      '',
    ]);
    // A formula behind spaces is one too.
    expect(resultsCsv([{ ...rows[3], name: ' =1+1.png' }], 0.05).split('\r\n')[1]).toBe("' =1+1.png,cancelled,,,,,,,,,");
  });
});
