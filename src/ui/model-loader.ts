// Which model, profile and spec the element's worker runs: the files its attributes name, or files
// picked on this device. Loading them, and clearing what another model left, is this controller's job.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ProviderRequest } from '../types.ts';
import type { InitOptions } from '../worker/worker.ts';
import type { DetectorClient } from './client.ts';
import { emit } from './events.ts';
import { localModel, pageUrl } from './files.ts';
import type { QueueController } from './queue.ts';
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
  /** Drops the rows and the detail view. */
  clear(): void;
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
    await this.startWith({ model: pageUrl(h.model), profile: h.profile ? pageUrl(h.profile) : null, spec: h.spec ? pageUrl(h.spec) : null });
  }

  /** Forget the last start, so that the next update loads the attributes' files even where they are unchanged. */
  restart(): void {
    this.startedWith = '';
    this.host.requestUpdate();
  }

  /**
   * Use a model from this device: an .onnx file with its .hsp profile and, optionally, a spec .json.
   * The files are read here and handed to the worker as bytes; nothing is uploaded.
   */
  async useLocal(files: File[]): Promise<void> {
    const local = await localModel(files);
    if ('error' in local) {
      this.host.notice = local.error;
      return;
    }
    this.host.notice = (await this.startWith(local.options, local.names)) ? local.note : '';
  }

  /** Start the worker on a model; `local` names the files of one picked from this device. */
  private async startWith(opts: Pick<InitOptions, 'model' | 'profile' | 'spec'>, local = ''): Promise<boolean> {
    const h = this.host;
    h.localModel = '';
    this.queue.stop();
    // Results and the detail view of another model or profile would mix with this one's (its nodes,
    // its input size); the same files again (the element moved in the page) keep them.
    const files = local ? null : JSON.stringify([opts.model, opts.profile, opts.spec]);
    if (files === null || files !== this.loadedFiles) h.clear();
    this.loadedFiles = files;
    h.status = { state: 'loading', message: 'Loading the model and profile…' };
    try {
      const info = await this.client.start({ ...opts, provider: h.provider, numThreads: h.threads || undefined });
      h.localModel = local;
      h.status = { state: 'ready' };
      emit(h, 'histoscan-ready', info);
      this.queue.start();
      return true;
    } catch (e) {
      h.status = { state: 'error', message: (e as Error).message };
      emit(h, 'histoscan-error', { file: null, error: (e as Error).message });
      return false;
    }
  }
}
