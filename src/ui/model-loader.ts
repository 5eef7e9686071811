// Which model, profile and spec the element's worker runs: the files its attributes name, or files
// picked on this device. Loading them, and clearing what another model left, is this controller's job.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ProviderRequest } from '../types.ts';
import type { InitInfo, InitOptions } from '../worker/worker.ts';
import type { DetectorClient, WorkerSetup } from './client.ts';
import { emit } from './events.ts';
import { localModel, pageUrl } from './files.ts';
import { plural } from './format.ts';
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
    const before = this.host.status.state === 'ready' ? { setup: this.client.setup, local: this.host.localModel, files: this.loadedFiles } : null;
    const error = await this.startWith(local.options, local.names, before);
    if (error !== null) this.host.notice = before ? `${local.names}: ${error} The model in use before is still in use.` : '';
    else if (local.note) this.host.notice = `${this.host.notice} ${local.note}`.trim();
  }

  /**
   * Start the worker on a model; `local` names the files of one picked from this device. Returns
   * null, or the error; where `before` is given, a failed start goes back to it.
   */
  private async startWith(opts: Pick<InitOptions, 'model' | 'profile' | 'spec'>, local = '', before: Before | null = null): Promise<string | null> {
    const h = this.host;
    this.queue.stop();
    h.notice = '';
    h.status = { state: 'loading', message: 'Loading the model and profile…' };
    try {
      const info = await this.client.start({ ...opts, provider: h.provider, numThreads: h.threads || undefined });
      // Results and the detail view of another model or profile would mix with this one's (its nodes,
      // its input size); images still waiting are checked by this one. The same files again (the
      // element moved in the page) keep everything.
      const files = local ? null : JSON.stringify([opts.model, opts.profile, opts.spec]);
      if (files === null || files !== this.loadedFiles) {
        const rows = this.queue.rows;
        const waiting = rows.filter(isWaiting).length;
        const gone = rows.length - waiting;
        h.clear(true);
        if (gone) h.notice = `The ${plural(gone, 'row')} of the model before ${gone === 1 ? 'was' : 'were'} cleared${waiting ? `; ${plural(waiting, 'image')} waiting ${waiting === 1 ? 'is' : 'are'} checked with this one` : ''}.`;
      }
      this.ready(info, local, files);
      return null;
    } catch (e) {
      const error = (e as Error).message;
      emit(h, 'histoscan-error', { file: null, error });
      if (before?.setup) {
        try {
          this.ready(await this.client.resume(before.setup), before.local, before.files, false);
          return error;
        } catch {
          // the model before does not start either: the error below
        }
      }
      h.status = { state: 'error', message: error };
      h.localModel = '';
      this.queue.failWaiting(notStarted(error));
      return error;
    }
  }

  private ready(info: InitInfo, local: string, files: string | null, announce = true): void {
    const h = this.host;
    this.loadedFiles = files;
    h.localModel = local;
    h.status = { state: 'ready' };
    if (announce) emit(h, 'histoscan-ready', info);
    this.queue.start();
  }
}

/** The error of an image that no model checked, since none started. */
export const notStarted = (why = '') => `Not checked: the model did not start${why ? ` (${why.replace(/\.$/, '')})` : ''}.`;

/** The model in use before a start from this device, to go back to. */
interface Before {
  setup: WorkerSetup | null;
  local: string;
  files: string | null;
}
