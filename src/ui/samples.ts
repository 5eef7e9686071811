// The sample gallery: a manifest of images next to the page, shown as buttons that queue a sample
// on click or can be dragged onto the drop zone.
import { html, nothing, type ReactiveController, type ReactiveControllerHost } from 'lit';

interface Sample {
  file: string;
  kind: string;
  set?: string;
  label: string;
}

export class SampleGallery implements ReactiveController {
  list: Sample[] = [];
  private base = '';

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly add: (blob: Blob, name: string) => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  /** Load the manifest at `url` (absolute: the caller resolves it against the page); none for ''. */
  async load(url: string): Promise<void> {
    this.base = url;
    if (!url) {
      this.list = [];
      this.host.requestUpdate();
      return;
    }
    try {
      this.list = (await (await fetch(url)).json()) as Sample[];
    } catch {
      this.list = [];
    }
    this.host.requestUpdate();
  }

  private url(s: Sample): string {
    return new URL(s.file, this.base).href;
  }

  /** Queue the image at a same-origin URL (a sample clicked or dragged). */
  async addUrl(url: string, name?: string): Promise<void> {
    const blob = await (await fetch(url)).blob();
    this.add(blob, name ?? url.split('/').pop() ?? 'sample');
  }

  render() {
    if (!this.list.length) return nothing;
    return html`<h3>Or try a sample (click or drag)</h3>
      <div class="gallery" part="gallery">
        ${this.list.map(
          (s) => html`<button draggable="true" data-sample=${s.file} title="${s.kind}: ${s.label}" @click=${() => this.addUrl(this.url(s), s.file)} @dragstart=${(e: DragEvent) => e.dataTransfer?.setData('text/uri-list', this.url(s))}>
            <img src=${this.url(s)} alt="${s.kind} sample: ${s.label}" />${s.set ?? s.kind}
          </button>`,
        )}
      </div>`;
  }
}
