// Which model, profile and spec the element's worker runs: the files its attributes name, or files
// picked on this device. Loading them, and clearing what another model left, is this controller's job.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ProviderRequest } from '../types.ts';
import type { Download, InitInfo, InitOptions } from '../worker/worker.ts';
import { Superseded, type DetectorClient } from './client.ts';
import { emit } from './events.ts';
import { localModel, pageUrl } from './files.ts';
import { counted, fmtBytes } from '../core/words.ts';
import type { QueueController } from './queue.ts';
import { isWaiting } from './rows.ts';
import type { Status } from './views.ts';

/** What the loader reads from and sets on the element. */
export interface LoaderHost extends ReactiveControllerHost, HTMLElement {
  model: string;
  profile: string;
  spec: string;
  provider: ProviderRequest;
  threads: number;
  status: Status;
  /** Names of the files of a model from this device, while it is in use. */
  localModel: string;
  notice: string;
  /** Drops the rows and the detail view; with `keepWaiting`, the rows not yet checked stay. */
  clear(keepWaiting?: boolean): void;
}

export class ModelLoader implements ReactiveController {
  private startedWith = '';
  /** The URLs of the model, profile and spec in use; null for files from this device. */
  private loadedFiles: string | null = null;
  /** The names of the files from this device in use ('' for the attributes' files). */
  private inUse = '';

  constructor(
    private readonly host: LoaderHost,
    private readonly client: DetectorClient,
    private readonly queue: QueueController,
  ) {
    host.addController(this);
  }

  /** After each update: start where the attributes name other files than the last start, or restart() asked. */
  hostUpdated(): void {
    const h = this.host;
    if (h.model && this.attributes() !== this.startedWith && h.isConnected) void this.start();
    // The model unset (a cleared binding): its worker goes, and images wait for the next one, as before the first.
    else if (!h.model && this.startedWith && !this.inUse) void this.unload();
  }

  private async unload(): Promise<void> {
    const h = this.host;
    this.startedWith = ''; // loadedFiles stays: the same files again keep the rows they made
    await Promise.resolve(); // out of the update that asked for it, as start() is
    this.queue.stop();
    this.client.dispose();
    h.status = { state: 'idle' };
    h.notice = 'No model is set: images wait until one is.';
  }

  private attributes(): string {
    const h = this.host;
    return [h.model, h.profile, h.spec, h.provider, h.threads].join('\n');
  }

  /** Load the files the attributes name (again). */
  async start(): Promise<void> {
    const h = this.host;
    this.startedWith = this.attributes();
    // Out of the update that asked for it (hostUpdated): a status set inside it is another update at once.
    await Promise.resolve();
    await this.startWith({ model: pageUrl(h.model), profile: h.profile ? pageUrl(h.profile) : null, spec: h.spec ? pageUrl(h.spec) : null });
  }

  /** Forget the last start, so that the next update loads the attributes' files even where they are unchanged. */
  restart(): void {
    this.startedWith = '';
    this.host.requestUpdate();
  }

  /**
   * Use a model from this device: an .onnx file with its .hsp profile and, optionally, a spec .json.
   * The files are read here and handed to the worker as bytes; nothing is uploaded. Files that do
   * not start (a profile for another model) leave the model in use as it was.
   */
  async useLocal(files: File[]): Promise<void> {
    const local = await localModel(files);
    if ('error' in local) {
      this.host.notice = local.error;
      return;
    }
    const error = await this.startWith(local.options, local.names, true);
    if (error === undefined) return; // another pick overtook this one
    if (error !== null) this.host.notice = this.client.worker ? `${local.names}: ${error} The model in use before is still in use.` : '';
    else if (local.note) this.host.notice = `${this.host.notice} ${local.note}`.trim();
  }

  /**
   * Start the worker on a model; `local` names the files of one picked from this device. Returns
   * null, or the error, or undefined where a later start overtook this one (it decides). Where
   * `keepBefore`, a failed start leaves the model in use before as it was (its worker kept running).
   */
  private async startWith(opts: Pick<InitOptions, 'model' | 'profile' | 'spec'>, local = '', keepBefore = false): Promise<string | null | undefined> {
    const h = this.host;
    this.queue.stop();
    // Results and the detail view of another model or profile would mix with this one's (its nodes,
    // its input size); images still waiting are checked by this one. The same files again (the
    // element moved in the page) keep everything.
    const files = local ? null : JSON.stringify([opts.model, opts.profile, opts.spec]);
    const checked = () => this.queue.rows.filter((r) => r.state === 'done' || (r.state === 'error' && r.code !== 'no-model')).length;
    const before = files === null || files !== this.loadedFiles ? checked() : 0;
    // Said while the model loads, for the rows stay until it is ready (and where it fails to start).
    h.notice = before ? `The ${counted(before, 'row')} below ${before === 1 ? 'was' : 'were'} checked with the model before this one, and ${before === 1 ? 'is' : 'are'} cleared once it is ready.` : '';
    h.status = { state: 'loading', message: 'Loading the model and profile…' };
    try {
      const info = await this.client.start({ ...opts, provider: h.provider, numThreads: h.threads || undefined }, (d) => {
        if (h.status.state === 'loading') h.status = { state: 'loading', message: downloadText(d) };
      });
      this.queue.requeueUnstarted(); // images a failed start could not check are this one's to check
      if (files === null || files !== this.loadedFiles) {
        const [waiting, gone] = [this.queue.rows.filter(isWaiting).length, checked()];
        h.clear(true);
        h.notice = gone ? `The ${counted(gone, 'row')} checked with the model before ${gone === 1 ? 'was' : 'were'} cleared${waiting ? `; ${counted(waiting, 'image')} waiting ${waiting === 1 ? 'is' : 'are'} checked with this one` : ''}.` : '';
      }
      this.ready(info, local, files);
      return null;
    } catch (e) {
      if (e instanceof Superseded) return undefined;
      const error = (e as Error).message;
      emit(h, 'histoscan-error', { file: null, error });
      if (keepBefore && this.client.worker && this.client.info) {
        this.ready(this.client.info, this.inUse, this.loadedFiles, false);
        return error;
      }
      this.client.dispose();
      h.status = { state: 'error', message: error };
      h.localModel = '';
      this.queue.failWaiting(notStarted(error));
      // Rows already checked stay, and must not read as this model's verdicts.
      const checked = this.queue.rows.filter((r) => r.state === 'done').length;
      if (checked) h.notice = `The ${counted(checked, 'row')} below ${checked === 1 ? 'was' : 'were'} checked with the model before this one failed to start.`;
      return error;
    }
  }

  private ready(info: InitInfo, local: string, files: string | null, announce = true): void {
    const h = this.host;
    this.loadedFiles = files;
    this.inUse = local;
    h.localModel = local;
    h.status = { state: 'ready' };
    if (info.warning) h.notice = `${h.notice} ${info.warning[0].toUpperCase()}${info.warning.slice(1)}`.trim();
    if (announce) emit(h, 'histoscan-ready', info);
    // Without a profile a check can only fail: images wait until one is built or loaded (ProfilePanel).
    if (info.profileBytes) this.queue.start();
    else h.notice = `${h.notice} ${NO_PROFILE}`.trim();
  }
}

/** A start's downloads in words: how far they are (a share where every server said its length, else the bytes so far), then the model starting. */
export function downloadText(d: Download): string {
  if (!d.waiting) return 'Starting the model…';
  const far = !d.total ? d.done && `: ${fmtBytes(d.done)} so far` : d.done < d.total && `: ${Math.floor((100 * d.done) / d.total)}% of ${fmtBytes(d.total)}`;
  return `Downloading the model, profile and runtime${far || ''}…`;
}

/** What the element says while its model has no profile. */
export const NO_PROFILE = 'No profile for this model yet: build one from known-good images below, or load a .hsp; images wait for it.';

/** The error of an image that no model checked, since none started. */
export const notStarted = (why = '') => `Not checked: the model did not start${why ? ` (${why.replace(/\.$/, '')})` : ''}.`;
