// Page side of the detector worker: spawns it, notices when it dies, restarts it with the same
// model and profile, and reports which calls were lost so the caller can retry them. A new model
// loads in a worker of its own beside the one in use, which a failed start leaves running.
import * as Comlink from 'comlink';
import { HistoscanError } from '../core/errors.ts';
import { WHOLE_READ_BYTES } from '../model/image-errors.ts';
import type { ImageError, ImageResult, ScoringName } from '../types.ts';
import type { DetectorWorkerApi, Download, InitInfo, InitOptions } from '../worker/worker.ts';

export class WorkerDiedError extends HistoscanError<'worker-died'> {
  constructor(message = 'The detector worker stopped; it was restarted.') {
    super(message, 'worker-died');
  }
}

/** A worker that fails before it ever answered did not load: its code, not a crash. */
const notLoaded = (e: ErrorEvent | null) =>
  new WorkerDiedError(
    `The detector's worker code could not be loaded${e?.message ? ` (${e.message})` : ''}: the page must serve the worker and the modules it imports (a development server's log names an import it could not resolve).`,
  );

const HEARTBEAT_MS = 1000;
const DEAD_AFTER_MS = 5000;
/**
 * The silence that ends a worker while a call runs: one image through a 224×224 model (or a model's
 * first run) takes seconds on a slow or busy machine, during which the worker answers no ping. A
 * worker that died mid-call is found this much later.
 */
const BUSY_DEAD_AFTER_MS = 20_000;

/** A start that a later start overtook (loaded or failed): its worker is gone, and the later start decides. */
export class Superseded extends Error {}

/** A call on a worker that another took over (another model started) while the call ran. */
export class Replaced extends Error {
  constructor() {
    super('Another model was started while this ran; run it again on the model in use.');
  }
}

/** One worker, watched: a crash or a silence of DEAD_AFTER_MS ends it (onDead). */
class Live {
  readonly worker = new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module', name: 'histoscan-detector' });
  readonly api = Comlink.wrap<DetectorWorkerApi>(this.worker);
  /**
   * The reject of each call pending: an end (WorkerDiedError on a death, Replaced where another
   * worker took over) rejects them all, and a call that settles leaves. (Racing each call against one
   * promise that settles only at a death kept a reaction per call for as long as the worker lived:
   * 180 B per image, all day.)
   */
  private readonly waiting = new Set<(e: Error) => void>();
  /** Why the worker ended, once it has: later calls reject with it at once. */
  private endedWith: Error | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = setInterval(() => this.probe(), HEARTBEAT_MS);
  private lastPong = performance.now();
  /**
   * While init or a profile build runs, the worker may block for seconds (compiling the model; one
   * run of a batch through a 224×224 model, longer on a busy machine): silence then is not a death.
   * A crash still ends the worker with an error event.
   */
  private busy = false;
  /** Calls pending on the worker (a check blocks it for as long as its model runs). */
  private pending = 0;

  /** The worker answered once (a ping or a call): it loaded. */
  private answered = false;
  private ended = false;

  /** `why`: what the worker said as it died (an uncaught error's message), where it said anything. */
  constructor(private readonly onDead: (live: Live, why?: string) => void) {
    this.worker.addEventListener('error', (e) => this.markDead(e));
  }

  private probe(): void {
    if (this.busy) this.lastPong = performance.now();
    else if (performance.now() - this.lastPong > (this.pending ? BUSY_DEAD_AFTER_MS : DEAD_AFTER_MS)) {
      this.markDead(null, `it did not answer for ${(this.pending ? BUSY_DEAD_AFTER_MS : DEAD_AFTER_MS) / 1000} s: stuck, or out of memory`);
      return;
    }
    void this.api.ping().then(() => {
      this.lastPong = performance.now();
      this.answered = true;
    });
  }

  /** `event`: the error event that ended it, if one did; `silent`: why it was ended without one. */
  private markDead(event: ErrorEvent | null = null, silent?: string): void {
    const why = event?.message?.replace(/^Uncaught (\w*Error: )?/, '') || silent;
    const error = !this.answered ? notLoaded(event) : why ? new WorkerDiedError(`The detector worker stopped (${why}); it was restarted.`) : new WorkerDiedError();
    if (!this.endedWith) this.settle(error, () => this.onDead(this, why));
  }

  /** Stop watching, run `first` (a worker that died is still terminated), then reject every pending call with the first end's error. */
  private settle(e: Error, first: () => void): void {
    this.endedWith ??= e;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    first();
    for (const reject of this.waiting) reject(this.endedWith);
    this.waiting.clear();
  }

  /** A call that rejects with WorkerDiedError when the worker dies while it is pending. */
  guard<T>(p: Promise<T>): Promise<T> {
    if (this.endedWith) {
      p.catch(() => {});
      return Promise.reject(this.endedWith);
    }
    this.pending++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.add(reject);
      const done = () => {
        this.waiting.delete(reject);
        this.pending--;
        this.lastPong = performance.now(); // an answer is a sign of life
        this.answered = true;
      };
      p.then(
        (v) => (done(), resolve(v)),
        (e: unknown) => (done(), reject(e)),
      );
    });
  }

  async longCall<T>(call: () => Promise<T>): Promise<T> {
    this.busy = true;
    try {
      return await this.guard(call());
    } finally {
      this.busy = false;
      this.lastPong = performance.now();
    }
  }

  /** Ends the worker; a call still pending on it (a profile build) rejects with Replaced rather than wait forever. */
  terminate(): void {
    // Once: a worker that dispose ended while loading is ended again by its start's failure.
    if (this.ended) return;
    this.ended = true;
    this.settle(new Replaced(), () => this.worker.terminate());
    // Comlink's FinalizationRegistry holds the worker strongly until the proxy is collected, and the
    // worker's listeners reach the proxy again: released by hand, or a removed element stays in memory.
    this.api[Comlink.releaseProxy]();
  }
}

export class DetectorClient extends EventTarget {
  /** The worker in use; a start runs its model in a new one beside it and swaps only once that one is ready. */
  private live: Live | null = null;
  private opts: InitOptions | null = null;
  /** A profile built or loaded in this session, re-applied after a restart. */
  private profileBytes: ArrayBuffer | null = null;
  /** Starts asked for so far: a start that a later one overtook gives way. */
  private starts = 0;
  /** Workers still loading a model: dispose ends them too, not only once their load settles. */
  private readonly loading = new Set<Live>();
  info: InitInfo | null = null;
  restarts = 0;

  get worker(): Worker | null {
    return this.live?.worker ?? null;
  }

  /**
   * A fresh worker running `opts` and then `profileBytes`, in use once it is ready; the worker in use
   * before keeps running until then, and stays where this one fails (nothing to load again).
   */
  private async open(opts: InitOptions, profileBytes: ArrayBuffer | null, onDownload?: (d: Download) => void): Promise<InitInfo> {
    const ticket = ++this.starts;
    // A start still loading has been overtaken: ended now, not when its downloads end (one that stalls
    // holds the browser's cache entry of its URL, and this start may want the same file).
    for (const l of this.loading) l.terminate();
    const next = new Live((dead, why) => dead === this.live && this.dispatchEvent(new CustomEvent('worker-died', { detail: why })));
    this.loading.add(next);
    try {
      let info = await next.longCall(() => next.api.init(opts, onDownload && Comlink.proxy(onDownload)));
      if (profileBytes) info = await next.guard(next.api.useProfile(profileBytes.slice(0)));
      if (ticket !== this.starts) throw new Superseded();
      this.live?.terminate();
      [this.live, this.opts, this.profileBytes, this.info] = [next, opts, profileBytes, info];
      return info;
    } catch (e) {
      next.terminate();
      throw ticket !== this.starts ? new Superseded() : e;
    } finally {
      this.loading.delete(next);
    }
  }

  /** Start on a model; where it fails, the model in use before (if any) still runs. */
  start(opts: InitOptions, onDownload?: (d: Download) => void): Promise<InitInfo> {
    return this.open(opts, null, onDownload);
  }

  /** Start a fresh worker after a death, restoring model and profile. */
  async restart(): Promise<InitInfo> {
    if (!this.opts) throw new Error('not started');
    this.restarts++;
    return this.open(this.opts, this.profileBytes);
  }

  private running(): Live {
    if (!this.live) throw new Error('Detector worker not started.');
    return this.live;
  }

  /** A call to the worker in use that rejects with WorkerDiedError when it dies while the call is pending. */
  private guard<T>(call: (api: Comlink.Remote<DetectorWorkerApi>) => Promise<T>): Promise<T> {
    const live = this.running();
    return live.guard(call(live.api));
  }

  async check(file: Blob, name: string, opts: { fpr?: number; scoring?: ScoringName } = {}): Promise<ImageResult | ImageError> {
    // A small file goes as its bytes, transferred: posting a Blob costs the page about 1 ms of
    // synchronous work and the worker a read round trip (~2 ms) per image; reading it here is async.
    let body: Blob | ArrayBuffer = file;
    if (file.size <= WHOLE_READ_BYTES) {
      try {
        body = await file.arrayBuffer();
      } catch (e) {
        return { file: name, error: `${name}: the file could not be read (${(e as Error).message}).`, code: 'error' };
      }
    }
    return this.guard((api) => api.check(body instanceof ArrayBuffer ? Comlink.transfer(body, [body]) : body, name, opts) as Promise<ImageResult | ImageError>);
  }

  /** A profile built in the worker from these images; not yet in use (useProfile). */
  async buildProfile(files: File[], opts: { bins?: number; strategy?: 'uniform' | 'tail'; budgetMB?: number; fpr?: number; modelName?: string }, onProgress: (p: { done: number; total: number; stage: string }) => void) {
    const live = this.running();
    return live.longCall(() => live.api.buildProfile(files, files.map((f) => f.webkitRelativePath || f.name), opts, Comlink.proxy(onProgress)));
  }

  async useProfile(bytes: ArrayBuffer): Promise<InitInfo> {
    this.info = await this.guard((api) => api.useProfile(bytes.slice(0)));
    this.profileBytes = bytes.slice(0);
    return this.info;
  }

  /** The image as the model received it, in RGBA, for display. */
  modelInput(file: Blob, name: string) {
    return this.guard((api) => api.modelInput(file, name));
  }

  /** A PNG of an image the page cannot show itself (TIFF), for its thumbnail. */
  preview(file: Blob, name: string, side: number) {
    return this.guard((api) => api.preview(file, name, side));
  }

  /** A node's background histogram; `cls` the image's predicted class (its histogram where the p-value came from one). */
  histogram(node: number, cls: number) {
    return this.guard((api) => api.histogram(node, cls));
  }

  /** Stops a profile build (checks are stopped by the queue, which sends no more). */
  cancelBuild(): void {
    void this.live?.api.cancelBuild();
  }

  dispose(): void {
    this.starts++; // a start still loading gives way too, and its worker ends now, not after its download
    for (const l of this.loading) l.terminate();
    this.live?.terminate();
    this.live = null;
  }
}
