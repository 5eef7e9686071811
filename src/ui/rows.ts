// The rows of the component's table: what a row holds and shows of its result, the batch's counts,
// and the few full results kept for the detail view. Pure, apart from the cache's own map.
import { verdictOf, type VerdictState } from '../core/verdict.ts';
import { topLabel } from '../core/words.ts';
import type { ImageResult } from '../types.ts';
import type { BatchSummary } from './events.ts';

export type RowState = 'queued' | 'running' | 'done' | 'error' | 'cancelled';

/** What a row shows of a result; the full result lives in the ResultCache. */
export interface RowSummary {
  top: string;
  prob: number;
  score: number;
  q: number;
  verdict: VerdictState;
  reason?: string;
  calibrationCount: number;
  provider: string;
  ms: number;
  /** ImageResult.codingNote: why a lossy-coded image may be unusual whatever it shows. */
  codingNote?: string;
}

export interface Row {
  id: number;
  name: string;
  file: Blob;
  /** Object URL of the file, made when the row is first drawn. */
  thumb: string;
  state: RowState;
  summary?: RowSummary;
  error?: string;
  /** ImageError.code of an error row ('no-model': no model started to check it, and the next that starts does). */
  code?: string;
}

/** A row not yet checked: queued, or sent to the worker and not answered. */
export const isWaiting = (r: Row): boolean => r.state === 'queued' || r.state === 'running';

export function rowSummary(r: ImageResult): RowSummary {
  const t = r.timings;
  return {
    top: topLabel(r),
    prob: r.top[0]?.prob ?? NaN,
    score: r.score,
    q: r.q,
    verdict: r.verdict,
    reason: r.verdictReason,
    calibrationCount: r.calibrationCount,
    provider: r.provider,
    ms: t.decode + t.preprocess + t.inference + t.pvalues + t.scan,
    ...(r.codingNote ? { codingNote: r.codingNote } : {}),
  };
}

/** A row's verdict at another FPR, from its stored q. */
export function relabelSummary(s: RowSummary, fpr: number): void {
  const v = verdictOf(s.q, fpr, s.calibrationCount);
  s.verdict = v.state;
  s.reason = v.reason;
}

/** The counts of the rows since the last Clear, of `total` images added. */
export function batchSummary(rows: readonly Row[], total: number): BatchSummary {
  const s: BatchSummary = { total, done: 0, unusual: 0, typical: 0, uncalibrated: 0, errors: 0, cancelled: 0, lossyUnusual: 0 };
  for (const r of rows) {
    if (r.state === 'done' && r.summary) {
      s.done++;
      s[r.summary.verdict === 'uncalibrated' ? 'uncalibrated' : r.summary.verdict]++;
      if (r.summary.verdict === 'unusual' && r.summary.codingNote) s.lossyUnusual++;
    } else if (r.state === 'error') s.errors++;
    else if (r.state === 'cancelled') s.cancelled++;
  }
  return s;
}

/**
 * Which rows the table draws: `limit` from `start`, more on request, so a drop of thousands of files
 * stays responsive. Images added below rows not drawn start a window at the first of them, so they are seen.
 */
export interface RowWindow {
  start: number;
  limit: number;
  /** Only the rows whose verdict is unusual (the window's start and limit count those). */
  unusualOnly?: boolean;
}

/** The rows the window is over: all, or the unusual ones. */
export const windowRows = (rows: readonly Row[], w: RowWindow): readonly Row[] => (w.unusualOnly ? rows.filter((r) => r.summary?.verdict === 'unusual') : rows);

export const ROW_PAGE = 50;
export const FIRST_ROWS: RowWindow = { start: 0, limit: ROW_PAGE };

/** The window after rows were added to `before` rows. */
export const windowAfterAdd = (w: RowWindow, before: number): RowWindow => (!w.unusualOnly && before >= w.start + w.limit ? { start: before, limit: ROW_PAGE } : w);
/**
 * The most rows drawn at once: every result redraws the window, and one of 3,000 rows (60 "Show more")
 * made a batch 11 times slower (a render of 124 ms per frame). Beyond it the window slides: rows
 * leave at the other end, and "Show earlier" / "Show more" bring them back.
 */
export const MAX_ROWS = 4 * ROW_PAGE;
export function moreRows(w: RowWindow): RowWindow {
  const limit = w.limit + ROW_PAGE;
  return limit > MAX_ROWS ? { ...w, start: w.start + limit - MAX_ROWS, limit: MAX_ROWS } : { ...w, limit };
}
export function earlierRows(w: RowWindow): RowWindow {
  const n = Math.min(ROW_PAGE, w.start);
  return { ...w, start: w.start - n, limit: Math.min(MAX_ROWS, w.limit + n) };
}

/** Where in the new window (from 1) the rows a "Show earlier/more rows" added begin: the last earlier one, or the first more. */
export const firstShown = (was: RowWindow, now: RowWindow): number => (now.start < was.start ? was.start - now.start : was.start + was.limit - now.start + 1);

/** A CSV cell: quoted where it must be; text a spreadsheet would run as a formula (a file named "=1+1.png") starts with a quote mark. */
function cell(v: string | number | undefined): string {
  if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
  const s = typeof v === 'number' ? String(v) : /^\s*[=+\-@]|^[\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The table's rows as CSV, one line per image in the table's order: what a user keeps or sorts in a spreadsheet (the verdicts are at `fpr`). */
export function resultsCsv(rows: readonly Row[], fpr: number): string {
  const head = ['file', 'state', 'verdict', 'fpr', 'q', 'score', 'model says', 'probability', 'reason', 'provider', 'ms'];
  const lines = rows.map((r) => {
    const s = r.summary;
    return [r.name, r.state, s?.verdict, s && fpr, s?.q, s?.score, s?.top, s?.prob, r.error ?? s?.reason ?? s?.codingNote, s?.provider, s && Math.round(s.ms)].map(cell).join(',');
  });
  return [head.join(','), ...lines].join('\r\n') + '\r\n';
}

export const LRU_SIZE = 12;

/** The full results of the most recent rows (least recently used out): the detail view's, recomputed for older ones. */
export class ResultCache {
  private readonly map = new Map<number, ImageResult>();

  get(id: number): ImageResult | undefined {
    return this.map.get(id);
  }

  set(id: number, r: ImageResult): void {
    this.map.delete(id);
    this.map.set(id, r);
    if (this.map.size > LRU_SIZE) this.map.delete(this.map.keys().next().value!);
  }

  delete(id: number): void {
    this.map.delete(id);
  }

  clear(): void {
    this.map.clear();
  }

  /** Every cached result's verdict at another FPR, from its q. */
  relabel(fpr: number): void {
    for (const r of this.map.values()) {
      const v = verdictOf(r.q, fpr, r.calibrationCount);
      Object.assign(r, { fpr, verdict: v.state, verdictReason: v.reason, flagged: v.state === 'unusual' });
    }
  }
}
