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
    /** A manifest that cannot be used: the element says so, and keeps working without samples. */
    private readonly fail: (error: string) => void = () => {},
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
    this.list = [];
    try {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const json: unknown = await res.json().catch(() => {
        throw new Error('it is not JSON');
      });
      if (!Array.isArray(json)) throw new Error('not a JSON list');
      // Entries without a file name are skipped; the rest are shown.
      this.list = json.filter((s): s is Sample => !!s && typeof s === 'object' && typeof (s as Sample).file === 'string');
      const dropped = json.length - this.list.length;
      if (dropped) this.fail(`The samples manifest ${url}: ${dropped} of ${json.length} entries name no file; left out.`);
    } catch (e) {
      this.fail(`The samples manifest ${url} could not be used (${(e as Error).message}); no samples are shown.`);
    }
    this.host.requestUpdate();
  }

  private url(s: Sample): string {
    return new URL(s.file, this.base).href;
  }

  /** Queue the image at a same-origin URL (a sample clicked or dragged). */
  async addUrl(url: string, name = url.split('/').pop() || 'sample'): Promise<void> {
    try {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      this.add(await res.blob(), name);
    } catch (e) {
      // A blob: URL that no row holds: a thumbnail whose rows were cleared (a row's own is its file: thumbnails.ts).
      this.fail(url.startsWith('blob:') ? 'That image is no longer on the page (its row was cleared): drop the file itself.' : `${name} could not be fetched from this page's server (${(e as Error).message}); nothing was checked for it.`);
    }
  }

  render() {
    if (!this.list.length) return nothing;
    return html`<h2>Or try a sample (click or drag)</h2>
      <div class="gallery" part="gallery">
        ${this.list.map(
          (s) => html`<button draggable="true" data-sample=${s.file} title=${[s.kind, s.label].filter(Boolean).join(': ')} @click=${() => this.addUrl(this.url(s), s.file)} @dragstart=${(e: DragEvent) => e.dataTransfer?.setData('text/uri-list', this.url(s))}>
            <img src=${this.url(s)} alt="${s.kind ?? 'a'} sample: ${s.label ?? s.file}" />${s.set ?? s.kind ?? s.file}
          </button>`,
        )}
      </div>`;
  }
}
