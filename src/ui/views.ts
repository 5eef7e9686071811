// Templates of <histoscan-detector>'s status line, batch bar, summary line and results table:
// functions of their data, so the element file keeps only behaviour.
import { html, nothing } from 'lit';
import { guard } from 'lit/directives/guard.js';
import { repeat } from 'lit/directives/repeat.js';
import type { BatchSummary } from './events.ts';
import { fmtP, fmtScore, tooThin } from './format.ts';
import { earlierRows, FIRST_ROWS, moreRows, resultsCsv, ROW_PAGE, windowRows, type Row, type RowWindow } from './rows.ts';
import { verdictText } from './verdict-text.ts';
import { excessNote } from '../core/verdict.ts';
import { counted, fmtBytes, ownMessage, printable } from '../core/words.ts';
import type { InitInfo } from '../worker/worker.ts';

export type Status = { state: 'idle' | 'loading' | 'ready' | 'error'; message?: string };

/** `retry`: start again from the same attributes (a download that failed halfway). */
export function statusView(s: Status, info: InitInfo | null, restarts: number, retry: () => void) {
  if (s.state === 'error') return html`<div class="status error" part="status" role="alert">Could not start: ${s.message} <button class="retry" @click=${retry}>Try again</button></div>`;
  if (s.state !== 'ready' || !info) return html`<div class="status" part="status" role="status">${s.message ?? 'Waiting for a model…'}</div>`;
  return html`<div class="status" part="status" role="status">
    <span class="chip provider" data-provider=${info.provider}>${info.provider === 'webgpu' ? 'WebGPU' : 'WASM'}</span>
    <span class="chip">model ${fmtBytes(info.modelBytes)}</span>
    ${info.profileBytes
      ? html`<span class="chip">profile ${fmtBytes(info.profileBytes)} · ${info.profileCount.toLocaleString('en')} images${info.calibrated ? ` + ${info.calibrated.toLocaleString('en')} to calibrate` : ' · not calibrated'}</span>`
      : html`<span class="chip" data-no-profile>no profile yet</span>`}
    <span class="chip">${info.nodes.toLocaleString('en')} nodes in ${info.layers.length} layers</span>
    ${info.note ? html`<span class="chip" data-note>${info.note}</span>` : nothing}
    ${restarts ? html`<span class="chip">worker restarted ${restarts}×</span>` : nothing}
  </div>`;
}

/** Why some unusual images may be so whatever they show: their lossy coding. */
const codingText = (s: BatchSummary): string | null =>
  s.lossyUnusual ? `${s.lossyUnusual.toLocaleString('en')} of the ${s.unusual.toLocaleString('en')} unusual images are lossy-coded (JPEG or lossy WebP), where the profile's background was not, or may not have been: compression alone may be why (each one's detail says more).` : null;

/** `calibrated`: the profile's calibration images, whose own spread the batch's note allows for. */
export function summaryView(s: BatchSummary, fpr: number, calibrated: number) {
  const n = (x: number) => x.toLocaleString('en');
  const excess = excessNote(s.unusual, s.unusual + s.typical, fpr, calibrated);
  const coding = codingText(s);
  return html`<p class="summary" data-summary data-done=${s.done} data-flagged=${s.unusual} data-uncalibrated=${s.uncalibrated} data-errors=${s.errors} data-cancelled=${s.cancelled}>
    ${n(s.done)} checked · <strong>${n(s.unusual)} unusual</strong>${s.uncalibrated ? html` · <span class="verdict uncal">${n(s.uncalibrated)} not calibrated</span>` : nothing}${s.errors ? html` · ${n(s.errors)} could not be checked` : nothing}${s.cancelled ? html` · ${n(s.cancelled)} cancelled` : nothing}
  </p>${excess ? html`<p class="summary-note" part="summary-note" data-excess>${excess}</p>` : nothing}${coding ? html`<p class="summary-note" part="summary-note" data-coding>${coding}</p>` : nothing}`;
}

/** The summary in words, for the live region at the end of a batch. */
export function summaryText(s: BatchSummary, fpr: number, calibrated: number): string {
  const parts = [`${s.done} checked`, `${s.unusual} unusual`];
  if (s.uncalibrated) parts.push(`${s.uncalibrated} not calibrated`);
  if (s.errors) parts.push(`${s.errors} could not be checked`);
  if (s.cancelled) parts.push(`${s.cancelled} cancelled`);
  return [`Batch finished: ${parts.join(', ')}.`, excessNote(s.unusual, s.unusual + s.typical, fpr, calibrated), codingText(s)].filter(Boolean).join(' ');
}

/** Progress of the batch since the last Clear, with Cancel while it runs and Clear after: one button, so focus stays on it as the batch ends. */
export function batchView(b: { done: number; total: number; running: boolean }, cancel: () => void, clear: () => void) {
  if (!b.total) return nothing;
  return html`<div class="batch" part="progress">
    <progress max=${b.total} value=${b.done} aria-label="Images checked"></progress>
    <span class="num" data-progress>${b.done} / ${b.total}</span>
    <button @click=${b.running ? cancel : clear}>${b.running ? 'Cancel' : 'Clear'}</button>
  </div>`;
}

/**
 * The rows of the window, with buttons for the rows before and after it (rows.ts's RowWindow), and for the
 * unusual rows alone (`unusual`: their count, the summary's) and the CSV of all (their verdicts at `fpr`).
 */
export function tableView(all: readonly Row[], win: RowWindow, { fpr, unusual }: { fpr: number; unusual: number }, context: (r: Row, position: number) => Omit<RowContext, 'fpr'>, show: (w: RowWindow) => void) {
  if (!all.length) return nothing;
  const rows = windowRows(all, win);
  const { start } = win;
  const end = start + win.limit;
  return html`<div class="table-tools" part="table-tools">
      <button aria-pressed=${win.unusualOnly ? 'true' : 'false'} data-only-unusual @click=${() => show({ ...FIRST_ROWS, unusualOnly: !win.unusualOnly })}>Only the unusual (${unusual.toLocaleString('en')})</button>
      <button data-export @click=${() => downloadCsv(all, fpr)}>Export all ${counted(all.length, 'row')} (CSV)</button>
    </div>
    ${win.unusualOnly && !rows.length ? html`<p class="none-unusual" data-none-unusual>No image is unusual so far.</p>` : nothing}
    ${start > 0 ? html`<button class="more" @click=${() => show(earlierRows(win))}>Show earlier rows (${start.toLocaleString('en')} not shown)</button>` : nothing}
    ${rows.length ? html`<div class="table"><table part="table">
      <thead><tr><th><span class="sr">Thumbnail</span></th><th>Image</th><th class="hide-sm">Model says</th><th class="hide-sm" title="Anomaly score: the calibrated parts' q combined; larger is more unusual">Score</th><th class="hide-sm" title="The share of clean calibration images that score at least as high; unusual where it is at most the FPR">q</th><th>Verdict</th><th class="hide-sm">Provider · time</th></tr></thead>
      <tbody>${repeat(rows.slice(start, end), (r) => r.id, (r, i) => shownRow(r, { ...context(r, start + i + 1), fpr }))}</tbody>
    </table></div>` : nothing}
    ${rows.length > end ? html`<button class="more" @click=${() => show(moreRows(win))}>Show ${counted(Math.min(ROW_PAGE, rows.length - end), 'more row')}${rows.length - end > ROW_PAGE ? ` (${(rows.length - end).toLocaleString('en')} not shown)` : ''}</button>` : nothing}`;
}

export interface RowContext {
  fpr: number;
  /** The row's place in the table, from 1 (its name for screen readers: two images may share a file name). */
  position: number;
  selected: boolean;
  thumb: () => string;
  open: () => void;
}

/**
 * A row drawn again only where what it shows changed: each result redraws the window's rows (up to 200),
 * and most of them are as they were. An FPR change relabels summaries in place, so the FPR is one of the keys;
 * the thumbnail is asked for each time (its URL goes while the element is out of the page, and comes back in it).
 */
const shownRow = (r: Row, c: RowContext) => guard([r.state, r.summary, r.error, r.state === 'error' ? '' : c.thumb(), c.selected, c.fpr, c.position], () => rowView(r, c));

/**
 * One result row. The name is a button (Enter/Space open the detail view: a real control, not a
 * focusable row); a click anywhere on the row does the same for the mouse.
 */
function rowView(r: Row, c: RowContext) {
  const s = r.summary;
  let verdict;
  if (r.state === 'done' && s) {
    const v = verdictText(s.verdict, c.fpr);
    verdict = html`<span class="verdict ${v.cls}" part="verdict" title=${s.reason ?? nothing}>${v.short}</span>`;
  } else if (r.state === 'error') {
    // The row names the file already; the error event keeps the whole message.
    const own = r.error && ownMessage(r.error, r.name);
    verdict = html`<span class="verdict err" part="verdict" title=${r.error ?? nothing}>✕ ${own}</span>`;
  } else verdict = html`<span class="verdict" part="verdict">${r.state === 'running' ? 'checking…' : r.state}</span>`;
  // A row that could not be checked has no detail to open: its name is text, its error the verdict cell's.
  const failed = r.state === 'error';
  return html`<tr class="row ${c.selected ? 'sel' : ''}" part="row" data-state=${r.state} data-name=${r.name} data-flagged=${s ? String(s.verdict === 'unusual') : ''} data-verdict=${s?.verdict ?? ''} data-q=${s ? String(s.q) : ''} @click=${failed ? nothing : c.open}>
    <td>${failed ? '' : html`<img src=${c.thumb()} alt="" loading="lazy" @load=${thinFit(36)} />`}</td>
    <td class="name" title=${printable(r.name)}>${failed
      ? html`<span class="failed">${nameParts(r.name)}</span>`
      : html`<button class="open" aria-current=${c.selected ? 'true' : 'false'} aria-label="Details of ${printable(r.name)} (row ${c.position})" @click=${(e: Event) => (e.stopPropagation(), c.open())}>${nameParts(r.name)}</button>`}</td>
    <td class="hide-sm">${s ? `${s.top} ${(100 * s.prob).toFixed(0)}%` : ''}</td>
    <td class="num hide-sm" data-score=${s ? String(s.score) : ''}>${s ? fmtScore(s.score) : ''}</td>
    <td class="num hide-sm">${s ? (Number.isFinite(s.q) ? fmtP(s.q) : '—') : ''}</td>
    <td>${verdict}</td>
    <td class="num hide-sm">${s ? `${s.provider} · ${s.ms.toFixed(0)} ms` : ''}</td>
  </tr>`;
}

/** The rows as a CSV file the browser saves (made here: nothing leaves the device); a byte-order mark, so a spreadsheet reads its names as UTF-8. */
function downloadCsv(rows: readonly Row[], fpr: number): void {
  const url = URL.createObjectURL(new Blob(['\uFEFF', resultsCsv(rows, fpr)], { type: 'text/csv;charset=utf-8' }));
  Object.assign(document.createElement('a'), { href: url, download: 'histoscan-results.csv' }).click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** An image too thin to show whole in its box (a 10000×3 strip) is shown cropped to fill it (class "thin"), not as an invisible line. */
const thinFit = (box: number) => (e: Event) => {
  const img = e.target as HTMLImageElement;
  img.classList.toggle('thin', tooThin(img.naturalWidth, img.naturalHeight, box));
};

/** Names cut into graphemes, kept for the rows' redraws (each result redraws the window's rows). */
const segmented = new Map<string, string[]>();
const segmenter = new Intl.Segmenter();

/** Whole characters as a reader sees them (an emoji of several code points, a letter and its accent), hidden ones escaped. */
function graphemes(name: string): string[] {
  let chars = segmented.get(name);
  if (!chars) {
    if (segmented.size >= 1000) segmented.clear();
    segmented.set(name, (chars = Array.from(segmenter.segment(printable(name)), (g) => g.segment)));
  }
  return chars;
}

/** Characters of a name kept whole at its end: cut where a cell is narrow, numbered files still differ ("fgsm-0…00014.png"). */
const NAME_TAIL = 9;

// Letters of right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, NKo and their presentation forms).
const RTL = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/;

/**
 * A file name (hidden characters escaped: core/words.ts printable) as a part that may shrink to an
 * ellipsis and an end that stays, cut between whole characters (graphemes). A name with right-to-left letters is one
 * isolated run: cut in two, each half would be ordered on its own and the words would read out of order.
 */
function nameParts(name: string) {
  const chars = graphemes(name);
  if (RTL.test(name)) return html`<bdi class="head" dir="auto">${chars.join('')}</bdi>`;
  const cut = Math.max(0, chars.length - NAME_TAIL);
  return html`<span class="head">${chars.slice(0, cut).join('')}</span><span class="tail">${chars.slice(cut).join('')}</span>`;
}
