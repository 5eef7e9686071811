// The detail view of the image a row opened: which row, its full result (checked again where the cache let
// it go), the image as the model received it, and the way back to the row. A part with its own state and
// template, so the element only places it.
import { html, nothing, type ReactiveControllerHost } from 'lit';
import type { ImageResult, ScoringName } from '../types.ts';
import type { ModelInput } from '../worker/worker.ts';
import type { DetectorClient } from './client.ts';
import type { QueueController } from './queue.ts';
import type { Row } from './rows.ts';
import './result-detail.ts';
import { scrolling } from './motion.ts';

type Host = ReactiveControllerHost & { renderRoot: ParentNode };

export class DetailView {
  /** The row whose detail is open (-1: none). */
  selected = -1;
  private result: ImageResult | null = null;
  /** The selected image as the model received it. */
  private modelInput: ModelInput | null = null;

  constructor(
    private readonly host: Host,
    private readonly client: DetectorClient,
    private readonly queue: QueueController,
    private readonly options: () => { fpr: number; scoring: ScoringName },
    private readonly thumb: (row: Row) => string,
  ) {}

  private set(p: { selected?: number; result?: ImageResult | null; modelInput?: ModelInput | null }): void {
    Object.assign(this, p);
    this.host.requestUpdate();
  }

  /** A result that came in for a row: shown where that row is the open one. */
  arrived(r: ImageResult, row: Row): void {
    if (this.selected === row.id) this.set({ result: r });
  }

  /** Nothing of the image kept: its result and the model's view of it. */
  close(): void {
    this.set({ selected: -1, result: null, modelInput: null });
  }

  async open(row: Row): Promise<void> {
    this.set({ selected: row.id, result: this.queue.result(row.id) ?? null, modelInput: null });
    void this.client.modelInput(row.file, row.name).then(
      (m) => this.selected === row.id && this.set({ modelInput: m }),
      () => {},
    );
    if (!this.result && row.state === 'done') {
      // Details are kept for recent images only; recompute on demand (it is fast).
      const r = await this.client.check(row.file, row.name, this.options());
      if (!('error' in r)) {
        this.queue.remember(row.id, r);
        if (this.selected === row.id) this.set({ result: r });
      }
    }
    await this.host.updateComplete;
    const detail = this.host.renderRoot.querySelector<HTMLElement & { updateComplete: Promise<boolean> }>('hs-result-detail');
    detail?.scrollIntoView({ block: 'nearest', behavior: scrolling() });
    // Keyboard and screen-reader users land on what they opened, not on a row scrolled out of view.
    await detail?.updateComplete;
    detail?.shadowRoot?.querySelector<HTMLElement>('h2')?.focus({ preventScroll: true });
  }

  /** From the detail back to its row, which keyboard focus and the view return to. */
  private backToRow(): void {
    const open = this.host.renderRoot.querySelector<HTMLElement>('tr.row.sel button.open');
    open?.scrollIntoView({ block: 'center', behavior: scrolling() });
    open?.focus({ preventScroll: true });
  }

  render() {
    if (!this.result) return nothing;
    const row = this.queue.rows.find((r) => r.id === this.selected);
    return html`<hs-result-detail part="detail" @back-to-row=${() => this.backToRow()} .result=${this.result} .original=${row ? this.thumb(row) : ''} .modelInput=${this.modelInput} .loadHistogram=${(n: number, cls: number) => this.client.histogram(n, cls)}></hs-result-detail>`;
  }
}
