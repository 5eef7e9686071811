// Page side of the detector worker: spawns it, notices when it dies, restarts it with the same
// model and profile, and reports which calls were lost so the caller can retry them.
import * as Comlink from 'comlink';
import { HistoscanError } from '../core/errors.ts';
import { WHOLE_READ_BYTES } from '../model/image-errors.ts';
import type { ImageError, ImageResult, ScoringName } from '../types.ts';
import type { DetectorWorkerApi, InitInfo, InitOptions } from '../worker/worker.ts';

export class WorkerDiedError extends HistoscanError<'worker-died'> {
  constructor() {
    super('The detector worker stopped; it was restarted.', 'worker-died');
  }
}

/** What a worker runs: the start's options and a profile built or loaded since. */
export interface WorkerSetup {
  opts: InitOptions;
  profileBytes: ArrayBuffer | null;
}

const HEARTBEAT_MS = 1000;
const DEAD_AFTER_MS = 5000;

export class DetectorClient extends EventTarget {
  worker: Worker | null = null;
  private api: Comlink.Remote<DetectorWorkerApi> | null = null;
  private opts: InitOptions | null = null;
  /** A profile built or loaded in this session, re-applied after a restart. */
  private profileBytes: ArrayBuffer | null = null;
  private generation = 0;
  private died: (() => void) | null = null;
  private deathPromise: Promise<never> = new Promise(() => {});
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private lastPong = 0;
  /**
   * While init or a profile build runs, the worker may block for seconds (compiling the model; one
   * run of a batch through a 224×224 model, longer on a busy machine): silence then is not a death.
   * A crash still ends the worker with an error event.
   */
  private busy = false;
  info: InitInfo | null = null;
  restarts = 0;

  private spawn(): void {
    this.worker?.terminate();
    this.generation++;
    const gen = this.generation;
    this.worker = new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module', name: 'histoscan-detector' });
    this.api = Comlink.wrap<DetectorWorkerApi>(this.worker);
    this.deathPromise = new Promise<never>((_, reject) => {
      this.died = () => reject(new WorkerDiedError());
    });
    this.deathPromise.catch(() => {});
    this.worker.addEventListener('error', () => gen === this.generation && this.markDead());
    this.lastPong = performance.now();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => this.probe(gen), HEARTBEAT_MS);
  }

  private probe(gen: number): void {
    if (gen !== this.generation || !this.api) return;
    if (this.busy) this.lastPong = performance.now();
    else if (performance.now() - this.lastPong > DEAD_AFTER_MS) {
      this.markDead();
      return;
    }
    void this.api.ping().then(() => {
      if (gen === this.generation) this.lastPong = performance.now();
    });
  }

  private markDead(): void {
    const died = this.died;
    this.died = null;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.dispatchEvent(new CustomEvent('worker-died'));
    died?.();
  }

  async start(opts: InitOptions): Promise<InitInfo> {
    this.opts = opts;
    this.profileBytes = null;
    this.spawn();
    this.info = await this.init(opts);
    return this.info;
  }

  private async init(opts: InitOptions): Promise<InitInfo> {
    return this.longCall(() => this.api!.init(opts));
  }

  private async longCall<T>(call: () => Promise<T>): Promise<T> {
    this.busy = true;
    try {
      return await this.guard(call());
    } finally {
      this.busy = false;
      this.lastPong = performance.now();
    }
  }

  /** Start a fresh worker after a death, restoring model and profile. */
  async restart(): Promise<InitInfo> {
    if (!this.opts) throw new Error('not started');
    this.restarts++;
    return this.resume({ opts: this.opts, profileBytes: this.profileBytes });
  }

  /** The model and profile in use, to go back to where the next start fails. */
  get setup(): WorkerSetup | null {
    return this.opts && { opts: this.opts, profileBytes: this.profileBytes };
  }

  /** A fresh worker running `setup` (one that `setup` gave before). */
  async resume(setup: WorkerSetup): Promise<InitInfo> {
    this.opts = setup.opts;
    this.profileBytes = setup.profileBytes;
    this.spawn();
    this.info = await this.init(this.opts);
    if (this.profileBytes) this.info = await this.guard(this.api!.useProfile(this.profileBytes.slice(0)));
    return this.info;
  }

  /** A call that rejects with WorkerDiedError when the worker dies while it is pending. */
  private guard<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.deathPromise]);
  }

  get remote(): Comlink.Remote<DetectorWorkerApi> {
    if (!this.api) throw new Error('Detector worker not started.');
    return this.api;
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
    return this.guard(this.remote.check(body instanceof ArrayBuffer ? Comlink.transfer(body, [body]) : body, name, opts) as Promise<ImageResult | ImageError>);
  }

  /** A profile built in the worker from these images; not yet in use (useProfile). */
  async buildProfile(files: File[], opts: { bins?: number; strategy?: 'uniform' | 'tail'; budgetMB?: number; fpr?: number }, onProgress: (p: { done: number; total: number; stage: string }) => void) {
    return this.longCall(() => this.remote.buildProfile(files, files.map((f) => f.webkitRelativePath || f.name), opts, Comlink.proxy(onProgress)));
  }

  async useProfile(bytes: ArrayBuffer): Promise<InitInfo> {
    this.info = await this.guard(this.remote.useProfile(bytes.slice(0)));
    this.profileBytes = bytes.slice(0);
    return this.info;
  }

  /** The image as the model received it, in RGBA, for display. */
  modelInput(file: Blob, name: string) {
    return this.guard(this.remote.modelInput(file, name));
  }

  /** A PNG of an image the page cannot show itself (TIFF), for its thumbnail. */
  preview(file: Blob, name: string, side: number) {
    return this.guard(this.remote.preview(file, name, side));
  }

  /** A node's background histogram; `cls` the image's predicted class (its histogram where the p-value came from one). */
  histogram(node: number, cls: number) {
    return this.guard(this.remote.histogram(node, cls));
  }

  cancel(): void {
    void this.api?.cancel();
  }

  dispose(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.generation++;
    this.worker?.terminate();
    this.worker = null;
    this.api = null;
  }
}
