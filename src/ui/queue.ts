// The component's work queue as a Lit ReactiveController: images are checked in order through
// the worker, IN_FLIGHT at a time (a bounded queue, whatever was dropped), a worker death is survived by one
// restart and one retry, and a batch can be cancelled, re-run or failed as a whole. What a row holds and
// shows is rows.ts's. No DOM: unit tests drive it with a fake host and a fake client.
import { dropThumb } from './thumbnails.ts';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ImageError, ImageResult, ScoringName } from '../types.ts';
import { WorkerDiedError } from './client.ts';
import type { BatchSummary } from './events.ts';
import { batchSummary, isWaiting, relabelSummary, ResultCache, rowSummary, type Row } from './rows.ts';

export interface CheckOptions {
  fpr: number;
  scoring: ScoringName;
}

/** The part of DetectorClient the queue needs. */
export interface QueueClient {
  check(file: Blob, name: string, opts: CheckOptions): Promise<ImageResult | ImageError>;
  restart(): Promise<unknown>;
}

export interface QueueHooks {
  /** Settings for the next check (read per image, so a change applies to the rest of the batch). */
  options(): CheckOptions;
  result?(r: ImageResult, row: Row): void;
  error?(e: ImageError, row: Row): void;
  /** The batch ended: its queue ran empty, was cancelled, or was cleared (`cleared`: its rows are gone). */
  batchDone?(s: BatchSummary, cleared?: boolean): void;
  /** The queue stopped on an unexpected error (not a bad image: those become error rows). */
  fatal?(e: Error): void;
}

/**
 * Checks sent to the worker before the first has answered: while the page takes one result, the
 * worker already decodes the next image (the worker runs the model for one image at a time).
 */
export const IN_FLIGHT = 2;

/** Runs a callback before the next paint; outside a browser (unit tests), after ~one frame. */
export type FrameScheduler = (cb: () => void) => void;
const nextFrame: FrameScheduler = (cb) => (typeof requestAnimationFrame === 'function' ? requestAnimationFrame(() => cb()) : setTimeout(cb, 16));
const isError = (r: ImageResult | ImageError): r is ImageError => 'error' in r;

export class QueueController implements ReactiveController {
  rows: Row[] = [];
  /** Progress since the last Clear, so single clicks add up too (cancelled images leave the total: the summary counts them). */
  batch = { done: 0, total: 0, running: false };
  private queue: Row[] = [];
  private nextId = 1;
  private readonly results = new ResultCache();
  private pumping = false;
  private ready = false;
  private generation = 0;
  private interrupt: () => void = () => {};
  /** Checks in flight at most: IN_FLIGHT, and one after a worker death until Clear (two large images at once can take its memory). */
  private limit = IN_FLIGHT;
  /** Retries after a death run one at a time: the images in flight died together and may again. */
  private retries: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly client: QueueClient,
    private readonly hooks: QueueHooks,
    private readonly schedule: FrameScheduler = nextFrame,
  ) {
    host.addController(this);
  }

  hostDisconnected(): void {
    this.stop();
  }

  /** Whether checks run: not while images wait for a model or for its profile. */
  get checking(): boolean {
    return this.ready;
  }

  /** The worker is ready: start, or resume, checking. */
  start(): void {
    this.ready = true;
    void this.pump();
  }

  /** The worker goes away (element removed, model changed): the image in flight goes back to the front. */
  stop(): void {
    this.ready = false;
    this.generation++;
    this.interrupt();
  }

  /** Queue images; results come in order. */
  add(files: Blob[], names?: string[]): Row[] {
    const rows: Row[] = files.map((file, i) => {
      const id = this.nextId++;
      return { id, name: names?.[i] ?? ((file as File).webkitRelativePath || (file as File).name || `image-${id}`), file, thumb: '', state: 'queued' };
    });
    if (!rows.length) return rows;
    this.rows.push(...rows);
    this.queue.push(...rows);
    this.batch = { ...this.batch, total: this.batch.total + rows.length, running: true };
    this.changed();
    void this.pump();
    return rows;
  }

  get pending(): number {
    return this.queue.length;
  }

  private async pump(): Promise<void> {
    if (this.pumping || !this.ready) return;
    this.pumping = true;
    const gen = this.generation;
    // A disposed worker never answers: stop() settles this instead.
    const interrupted = new Promise<'stopped'>((res) => (this.interrupt = () => res('stopped')));
    const inFlight: { row: Row; result: Promise<ImageResult | ImageError> }[] = [];
    try {
      while ((this.queue.length || inFlight.length) && gen === this.generation) {
        while (inFlight.length < this.limit && this.queue.length) {
          const row = this.queue.shift()!;
          row.state = 'running';
          const result = this.checkWithRetry(row);
          result.catch(() => {}); // awaited in turn below; an early rejection is not unhandled
          inFlight.push({ row, result });
        }
        this.changed();
        const r = await Promise.race([inFlight[0].result, interrupted]);
        if (r === 'stopped' || gen !== this.generation) break;
        const { row } = inFlight.shift()!;
        if (row.state !== 'cancelled') this.finish(row, r); // a row cleared meanwhile wants no answer
      }
    } catch (e) {
      this.ready = false;
      this.hooks.fatal?.(e as Error);
    } finally {
      // Rows the worker had not answered go back to the front, in order (unless cleared meanwhile).
      for (const { row } of inFlight.reverse()) {
        if (row.state !== 'running') continue;
        row.state = 'queued';
        this.queue.unshift(row);
      }
      this.pumping = false;
      if (this.ready && this.queue.length) void this.pump();
      else if (this.ready && this.batch.running) this.endBatch();
    }
  }

  private restarting: Promise<unknown> | null = null;

  /** One restart for every check a death failed at once. */
  private restart(): Promise<unknown> {
    return (this.restarting ??= this.client.restart().finally(() => (this.restarting = null)));
  }

  private async checkWithRetry(row: Row): Promise<ImageResult | ImageError> {
    const opts = this.hooks.options();
    try {
      return await this.client.check(row.file, row.name, opts);
    } catch (e) {
      if (!(e instanceof WorkerDiedError)) throw e;
      // A death fails every check in flight: they share one restart, and are retried one by one, each on
      // a live worker (a retry that dies again restarts it for the next: an image in flight beside the one
      // that kills it is not blamed with it).
      this.limit = 1;
      await this.restart();
      const again = this.retries.then(() => this.client.check(row.file, row.name, opts));
      this.retries = again.catch((e2: unknown) => (e2 instanceof WorkerDiedError ? this.restart() : undefined)).catch(() => {});
      return again.catch((e2: Error) => ({ file: row.name, error: `The worker died twice on this image, checked alone: ${e2.message}`, code: 'worker-died' }));
    }
  }

  private finish(row: Row, r: ImageResult | ImageError): void {
    this.batch = { ...this.batch, done: this.batch.done + 1 };
    if (isError(r)) {
      row.state = 'error';
      row.error = r.error;
      row.code = r.code;
      this.changed();
      this.hooks.error?.(r, row);
      return;
    }
    row.state = 'done';
    row.summary = rowSummary(r);
    this.remember(row.id, r);
    this.changed();
    this.hooks.result?.(r, row);
  }

  private endBatch(): void {
    this.batch = { ...this.batch, running: false };
    this.changed();
    this.hooks.batchDone?.(this.summary());
  }

  /** Full result of a row if still cached. */
  result(id: number): ImageResult | undefined {
    return this.results.get(id);
  }

  remember(id: number, r: ImageResult): void {
    this.results.set(id, r);
  }

  /** A new FPR: verdicts of finished rows follow from their stored q, without checking again. */
  relabel(fpr: number): void {
    for (const row of this.rows) if (row.summary) relabelSummary(row.summary, fpr);
    this.results.relabel(fpr);
    this.changed();
  }

  /**
   * A new scoring: a row's q is of the scan that made it, so finished rows are checked again, in
   * order, after the rows waiting; checks in flight under the old scoring are sent again.
   */
  recheck(): void {
    const again = this.rows.filter((r) => r.state === 'done');
    this.generation++;
    this.interrupt(); // the pump puts the rows in flight back at the front
    for (const r of again) {
      r.state = 'queued';
      r.summary = undefined;
      this.results.delete(r.id);
    }
    this.queue.push(...again);
    if (!this.queue.length && !this.pumping) return;
    this.batch = { ...this.batch, done: this.batch.done - again.length, running: true };
    this.changed();
    void this.pump();
  }

  summary(): BatchSummary {
    return batchSummary(this.rows, this.batch.total);
  }

  /**
   * The rows waiting are cancelled; the images in flight still report, and the batch ends after them
   * (the pump ends it), so its batch-done is the last event of the batch.
   */
  cancel(): void {
    const wasRunning = this.batch.running;
    this.dropQueue();
    this.changed();
    if (wasRunning && !this.pumping) this.endBatch();
  }

  private dropQueue(): void {
    for (const r of this.queue) r.state = 'cancelled';
    this.batch = { ...this.batch, total: this.batch.total - this.queue.length };
    this.queue = [];
  }

  /** Drop every row; with `keepWaiting`, only the finished ones (another model's), so the next model checks the rest. */
  clear(keepWaiting = false): void {
    const ending = !keepWaiting && this.batch.running;
    if (!keepWaiting) {
      this.dropQueue();
      // The answers in flight are not wanted: they are cancelled, and report nothing.
      const flying = this.rows.filter((r) => r.state === 'running');
      for (const r of flying) r.state = 'cancelled';
      this.batch = { ...this.batch, total: this.batch.total - flying.length };
    }
    // A running batch ends here, counted as a Cancel counts it (the rows since the last Clear, those waiting cancelled), before its rows go.
    const summary = ending ? this.summary() : null;
    const kept = keepWaiting ? this.rows.filter(isWaiting) : [];
    for (const r of this.rows) if (!kept.includes(r)) dropThumb(r);
    this.rows = kept;
    this.limit = IN_FLIGHT;
    this.results.clear();
    this.batch = { done: 0, total: kept.length, running: kept.length > 0 };
    this.changed();
    if (summary) this.hooks.batchDone?.(summary, true);
  }

  /** A model started: the images that no model checked (it did not start) wait for this one. */
  requeueUnstarted(): void {
    const again = this.rows.filter((r) => r.state === 'error' && r.code === 'no-model');
    if (!again.length) return;
    for (const r of again) [r.state, r.error, r.code] = ['queued', undefined, undefined];
    this.queue.push(...again);
    this.batch = { ...this.batch, done: this.batch.done - again.length, running: true };
    this.changed();
  }

  /** No model will check the rows waiting (it did not start): each becomes an error row saying why. */
  failWaiting(error: string): void {
    const waiting = this.rows.filter(isWaiting);
    if (!waiting.length) return;
    this.queue = [];
    for (const row of waiting) this.finish(row, { file: row.name, error, code: 'no-model' });
    this.endBatch();
  }

  private framePending = false;

  /**
   * Rows are redrawn at most once per animation frame: results arrive faster than a render of the
   * table takes, and a render per result made the page, not the engine, set the pace.
   */
  private changed(): void {
    if (this.framePending) return;
    this.framePending = true;
    this.schedule(() => {
      this.framePending = false;
      this.host.requestUpdate();
    });
  }
}
