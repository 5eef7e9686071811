import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { DEFAULTS } from '../defaults.ts';
import type { ProviderRequest, ScoringName } from '../types.ts';
import { DetectorClient } from './client.ts';
import { DetailView } from './detail.ts';
import { defineOnce, type DetectorState, emit } from './events.ts';
import { blobsOf, pageUrl } from './files.ts';
import { FileIntake } from './intake.ts';
import { ModelLoader, NO_PROFILE, notStarted } from './model-loader.ts';
import { dropThumb, rowOfThumb, thumbnail } from './thumbnails.ts';
import { QueueController } from './queue.ts';
import { FIRST_ROWS, firstShown, windowAfterAdd, type Row, type RowWindow } from './rows.ts';
import { Announcer, FocusKeeper } from './a11y.ts';
import { buttonStyles, detectorStyles, srStyles, themeStyles, verdictStyles } from './styles.ts';
import { batchView, statusView, summaryText, summaryView, tableView, type Status } from './views.ts';
import { ProfilePanel } from './profile-panel.ts';
import { numberOrText, refusedSettings } from './settings.ts';
import { SampleGallery } from './samples.ts';
import { scrolling } from './motion.ts';

/**
 * <histoscan-detector>: drop images, see whether the model finds them unusual and why. Everything
 * runs in a Web Worker on this device.
 *
 * @attr model - URL of the ONNX model (relative URLs resolve against the page).
 * @attr profile - URL of the .hsp histogram profile.
 * @attr spec - URL of the model spec JSON (input size, channels, scaling, class names), or of a Hugging Face preprocessor_config.json.
 * @attr samples - URL of a sample manifest (JSON list of {file, kind, label}); files relative to it.
 * @attr fpr - false-positive rate of the verdict; changing it relabels finished rows from their q.
 * @attr scoring - the subset scan's statistic (hc, bj or ks); changing it checks finished rows again.
 * @attr budget - byte budget in MB (10^6 bytes) of a profile built on this page ("Calibrate on your own images"); default 8.
 * @attr theme - 'light' or 'dark' forces a colour scheme; otherwise prefers-color-scheme decides.
 * @attr {DetectorState} state - reflected, read-only: idle (no model named, or out of the page) | loading | ready | busy | error.
 *
 * @event {CustomEvent<InitInfo>} histoscan-ready - the model and its profile are loaded; detail: InitInfo (profileBytes 0: no profile yet, and images wait for one).
 * @event {CustomEvent<ImageResult>} histoscan-result - one image was checked; detail: ImageResult.
 * @event {CustomEvent<ImageError | { file: null; error: string }>} histoscan-error - one image could not be checked (detail: ImageError), or start-up failed or a setting was refused (file: null).
 * @event {CustomEvent<BatchSummary>} histoscan-batch-done - the queue ran empty or was cancelled; detail: BatchSummary.
 * @event {CustomEvent<Relabel>} histoscan-relabel - a new fpr relabelled the finished rows from their q; detail: the fpr and the new counts (each result's verdict at it: verdictOf(q, fpr, calibrationCount) of histoscan/core).
 * @event {CustomEvent<ProfileChange>} histoscan-profile - a profile built in the element or loaded from a .hsp file is in use; detail: ProfileChange.
 *
 * @csspart status - the line of chips about model, profile and provider.
 * @csspart drop-zone - the area that takes dropped and pasted images.
 * @csspart gallery - the sample images.
 * @csspart progress - the batch progress bar with its buttons.
 * @csspart table-tools - the table's buttons: only the unusual rows, export as CSV.
 * @csspart table - the results table.
 * @csspart row - one result row.
 * @csspart verdict - the verdict in a row.
 * @csspart summary-note - the note under the batch summary when far more images are unusual than the FPR allows.
 * @csspart detail - the detail view of the selected image.
 * @csspart profile-panel - the "calibrate on your own images" section.
 *
 * @cssproperty --histoscan-fg - text colour.
 * @cssproperty --histoscan-bg - background of the element and its buttons.
 * @cssproperty --histoscan-surface - background of the drop zone.
 * @cssproperty --histoscan-muted - secondary text.
 * @cssproperty --histoscan-border - borders of buttons, drop zone and table head.
 * @cssproperty --histoscan-rule - lines between rows.
 * @cssproperty --histoscan-accent - primary buttons, focus rings, progress.
 * @cssproperty --histoscan-accent-fg - text on the accent colour.
 * @cssproperty --histoscan-hover - hovered and selected rows, drag-over.
 * @cssproperty --histoscan-chip - status chips and empty thumbnails.
 * @cssproperty --histoscan-unusual - the "unusual" verdict.
 * @cssproperty --histoscan-typical - the "typical" verdict.
 * @cssproperty --histoscan-uncalibrated - the "not calibrated" verdict and its reason.
 * @cssproperty --histoscan-error - error text.
 * @cssproperty --histoscan-notice-bg - background of notices.
 * @cssproperty --histoscan-notice-border - border of notices.
 * @cssproperty --histoscan-bar - bars of a node's background histogram.
 * @cssproperty --histoscan-mark - the observed value marked on that histogram.
 * @tagname histoscan-detector
 */
export class HistoscanDetector extends LitElement {
  static override properties = {
    model: { type: String },
    profile: { type: String },
    spec: { type: String },
    fpr: { converter: numberOrText },
    scoring: { type: String },
    provider: { type: String },
    threads: { converter: numberOrText },
    budget: { converter: numberOrText },
    samples: { type: String },
    theme: { type: String, reflect: true },
    status: { state: true },
    localModel: { state: true },
    notice: { state: true },
    rowWindow: { state: true },
  };

  static override styles = [themeStyles, buttonStyles, verdictStyles, srStyles, detectorStyles];

  model = '';
  profile = '';
  spec = '';
  fpr: number = DEFAULTS.fpr;
  scoring: ScoringName = DEFAULTS.scoring;
  /** Where the model runs: 'auto' (WebGPU on a hardware adapter, else WASM), 'webgpu', 'wasm', or 'cpu' (WASM in a browser). */
  provider: ProviderRequest = DEFAULTS.provider;
  /** WASM threads (0 = automatic). */
  threads: number = 0;
  /** Byte budget of a profile built on this page, in MB: the plan reduces layers to fit it (model/plan.ts). */
  budget: number = DEFAULTS.budgetMB;
  samples = '';
  /** What the element is doing, reflected as the `state` attribute for styling and tests; only the element sets it. */
  get state(): DetectorState {
    const s = this.status.state;
    // No model named, or the element out of the page: nothing is loading (a page that draws `loading` as a spinner would spin for ever).
    if (s === 'error' || (s === 'idle' && (!this.model || !this.isConnected))) return s;
    if (s !== 'ready') return 'loading';
    // Images that wait for a profile are no work under way.
    return (this.queue.batch.running && this.queue.checking) || this.profilePanel.busy ? 'busy' : 'ready';
  }

  /** 'light' or 'dark' forces a colour scheme (reflected, for the styles); unset, prefers-color-scheme decides. */
  theme?: 'light' | 'dark';

  // Internal reactive state (not attributes, left out of custom-elements.json): the controllers and the template's.
  status: Status = { state: 'idle' };
  /** Name of a model loaded from disk, while it is in use. */
  localModel = '';
  notice = '';
  /** Said once per batch by the live region (errors included), instead of an alert per row. */
  private readonly announcer = new Announcer(this);
  /** The rows the table draws (rows.ts's RowWindow). */
  rowWindow: RowWindow = FIRST_ROWS;

  /** Where focus goes when the control that has it leaves with an update (a11y.ts). @internal */
  readonly focusKeeper = new FocusKeeper(this);
  /** @internal */ readonly client = new DetectorClient();
  /** @internal */ readonly queue = new QueueController(this, this.client, {
    options: () => ({ fpr: this.fpr, scoring: this.scoring }),
    result: (r, row) => {
      emit(this, 'histoscan-result', r);
      this.details.arrived(r, row);
    },
    error: (e) => emit(this, 'histoscan-error', e),
    batchDone: (s, cleared) => {
      if (!cleared) this.announcer.say(summaryText(s, this.fpr, this.client.info?.calibrated ?? 0)); // not over an empty table
      emit(this, 'histoscan-batch-done', s);
    },
    fatal: (e) => (this.status = { state: 'error', message: e.message }),
  });
  /** @internal */ readonly gallery = new SampleGallery(
    this,
    (blob, name) => this.addFiles([blob], [name]),
    (error) => this.showError(error),
  );
  /** @internal */ readonly profilePanel = new ProfilePanel(
    this,
    this.client,
    (files) => this.useLocalModel(files),
    () => {
      // A profile is in use: images that waited for one are checked, and those checked with another again.
      this.notice = this.notice.replace(NO_PROFILE, '').trim();
      this.queue.start();
      this.queue.recheck();
    },
  );
  /** @internal */ readonly loader = new ModelLoader(this, this.client, this.queue);
  /** @internal */ readonly details = new DetailView(this, this.client, this.queue, () => ({ fpr: this.fpr, scoring: this.scoring }), (row) => this.thumb(row));
  readonly intake = new FileIntake(this, {
    add: (files, names) => this.addFiles(files, names),
    // A row's thumbnail (this element's or another's) dragged here is its file again (thumbnails.ts rowOfThumb).
    addUrl: (url, row = rowOfThumb(url)) => (row ? this.addFiles([row.file], [row.name]) : this.gallery.addUrl(url)),
  });

  constructor() {
    super();
    // A landmark with a name of its own, which the host page's role or aria-label overrides.
    Object.assign(this.attachInternals(), { role: 'region', ariaLabel: 'histoscan image check' });
    this.client.addEventListener('worker-died', ({ detail }: Event & { detail?: string }) => {
      this.notice = `The detector worker stopped unexpectedly${detail ? ` (${detail})` : ''}; it was restarted and the batch goes on.`;
    });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.hasUpdated || !this.model) return;
    // Re-inserted after a removal: the worker was disposed, start a new one with the same settings.
    if (this.status.state === 'idle') void this.loader.start();
    // Moved (removed and inserted in one task): the worker was kept, the batch goes on.
    else if (this.status.state === 'ready') this.queue.start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    // A move to another parent reconnects before this task ends: only an element still out then lets its worker go.
    queueMicrotask(() => {
      if (this.isConnected) return;
      this.client.dispose();
      this.profilePanel.forgetDownload();
      for (const row of this.queue.rows) dropThumb(row); // no image of it reachable by URL (a re-insert draws them again)
      this.details.close();
      this.status = { state: 'idle' };
    });
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const { fix, errors } = refusedSettings(this, (k) => changed.has(k));
    Object.assign(this, fix);
    for (const error of errors) this.showError(error);
    if (changed.has('status') && this.status.state === 'loading') this.profilePanel.forget();
    // Before the render (an emptied gallery redraws in this update, not in another after it).
    if (changed.has('samples') && (this.samples || changed.get('samples'))) void this.gallery.load(this.samples && pageUrl(this.samples));
    // A value refused falls back, and a number's text is the number: no new FPR, no relabelling.
    if (changed.has('fpr') && changed.get('fpr') !== undefined && Number(changed.get('fpr')) !== this.fpr) {
      this.queue.relabel(this.fpr);
      emit(this, 'histoscan-relabel', { fpr: this.fpr, summary: this.queue.summary() });
    }
    if (changed.has('scoring') && changed.get('scoring') !== undefined && this.scoring !== changed.get('scoring')) this.queue.recheck();
  }

  /** Listeners of ready and batch-done find the attribute saying what the event announces, not the last render. @internal */
  override dispatchEvent(e: Event): boolean {
    if (e.type === 'histoscan-ready' || e.type === 'histoscan-batch-done') this.reflectState();
    return super.dispatchEvent(e);
  }

  /** The `state` attribute, set by hand: a reflected Lit property would put a field of its own in the manifest. */
  private reflectState(): void {
    if (this.getAttribute('state') !== this.state) this.setAttribute('state', this.state);
  }

  protected override updated(changed: PropertyValues<this>): void {
    this.reflectState();
    // A notice from a button far down the element (a model from this device) is where the user looks.
    if (changed.has('notice') && this.notice) this.renderRoot.querySelector('.notice')?.scrollIntoView({ block: 'nearest', behavior: scrolling() });
  }

  /** Use a model from this device: an .onnx file with its .hsp profile and, optionally, a spec .json (nothing is uploaded). */
  useLocalModel(files: File[]): Promise<void> {
    return this.loader.useLocal(files);
  }

  /** Load the model, profile and spec the attributes name again, e.g. after a model from this device (an attribute set to its value changes nothing). */
  restart(): void {
    this.loader.restart();
  }

  /** Queue files for checking; results appear as they come. */
  addFiles(files: Iterable<Blob> | ArrayLike<Blob>, names?: string[]): void {
    const before = this.queue.rows.length;
    // What is no File or Blob is refused in words, and the rest is checked.
    const { blobs, names: named, refused } = blobsOf(Array.from(files), names);
    for (const r of refused) emit(this, 'histoscan-error', { ...r, code: 'usage' });
    if (this.queue.add(blobs, named).length) this.rowWindow = windowAfterAdd(this.rowWindow, before);
    // No model is running to check them: each gets the reason, rather than waiting unseen.
    if (this.status.state === 'error') this.queue.failWaiting(notStarted(this.status.message));
  }

  cancel(): void {
    this.queue.cancel();
  }

  /** Drop the rows and the detail view (`keepWaiting`: the rows not yet checked stay in the queue). */
  clear(keepWaiting = false): void {
    this.focusKeeper.keepOn('.drop button.primary');
    this.queue.clear(keepWaiting);
    this.announcer.clear(); // the batch's words, and those of a batch the Clear ended, are no longer news
    this.rowWindow = FIRST_ROWS;
    this.notice = this.intake.said = ''; // about what came in before (a folder's skipped files): not about the rows to come
    this.details.close();
  }

  /** An error of no one image (a setting refused, a sample that did not load): the notice says it, and the error event. */
  private showError(error: string): void {
    this.notice = error;
    emit(this, 'histoscan-error', { file: null, error });
  }

  private thumb(row: Row): string {
    // Out of the page, its images get no URL (disconnectedCallback let theirs go).
    return this.isConnected ? thumbnail(row, this.client, () => this.requestUpdate()) : '';
  }

  override render() {
    const summary = this.queue.summary();
    return html`
      ${statusView(this.status, this.client.info, this.client.restarts, () => this.restart())}
      ${this.intake.render()}
      <div class="notice" role="status">${[this.notice, this.intake.said].filter(Boolean).join(' ')}</div>
      <div class="sr" role="status" aria-live="polite" data-announce>${this.announcer.text}</div>
      ${batchView(this.queue.batch, () => this.cancel(), () => this.clear())}
      ${this.localModel ? nothing : this.gallery.render() /* the samples are the named model's, not one from this device */}
      ${this.queue.rows.length ? summaryView(summary, this.fpr, this.client.info?.calibrated ?? 0) : nothing}
      ${tableView(
        this.queue.rows,
        this.rowWindow,
        { fpr: this.fpr, unusual: summary.unusual },
        (r, position) => ({ position, selected: this.details.selected === r.id, thumb: () => this.thumb(r), open: () => this.details.open(r) }),
        (w) => {
          // The button that showed the rows may go with them: focus the first row it showed.
          this.focusKeeper.keepOn(`tr.row:nth-child(${firstShown(this.rowWindow, w)}) button.open`);
          this.rowWindow = w;
        },
      )}
      ${this.details.render()}
      ${this.profilePanel.render(this.status.state === 'ready', this.localModel)}
    `;
  }
}

defineOnce('histoscan-detector', HistoscanDetector);

declare global {
  interface HTMLElementTagNameMap {
    'histoscan-detector': HistoscanDetector;
  }
}
