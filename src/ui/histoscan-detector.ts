import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { DEFAULTS } from '../defaults.ts';
import type { ImageError, ImageResult, ProviderRequest, ScoringName } from '../types.ts';
import type { NodeHistogramData as Hist } from '../worker/worker.ts';
import { DetectorClient, WorkerDiedError } from './client.ts';
import './node-histogram.ts';
import './pvalue-map.ts';

interface Sample {
  file: string;
  kind: string;
  set?: string;
  label: string;
}

interface Row {
  id: number;
  name: string;
  file: Blob;
  thumb: string;
  state: 'queued' | 'running' | 'done' | 'error' | 'cancelled';
  summary?: { top: string; prob: number; score: number; q: number; flagged: boolean; provider: string; ms: number };
  error?: string;
}

const LRU_SIZE = 12;
// A dropped folder may hold other files (manifests, notes): keep what looks like an image.
const IMAGE_NAME = /\.(png|jpe?g|gif|webp|bmp|svg|tiff?)$/i;
const imagesOnly = (files: File[]) => files.filter((f) => IMAGE_NAME.test(f.name) || f.type.startsWith('image/'));
const isError = (r: ImageResult | ImageError): r is ImageError => 'error' in r;

/** Files of a dropped folder tree (webkitGetAsEntry), in name order. */
async function entryFiles(entry: FileSystemEntry, out: File[]): Promise<void> {
  if (entry.isFile) {
    out.push(await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej)));
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const children: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
    if (!batch.length) break;
    children.push(...batch);
  }
  children.sort((a, b) => a.name.localeCompare(b.name));
  for (const c of children) await entryFiles(c, out);
}

/**
 * <histoscan-detector>: drop images, see whether the model finds them unusual and why.
 * Properties in (model, profile, spec, fpr, scoring, provider, samples); events out
 * (histoscan-ready, histoscan-result, histoscan-error). Everything runs in a Web Worker.
 */
export class HistoscanDetector extends LitElement {
  static override properties = {
    model: { type: String },
    profile: { type: String },
    spec: { type: String },
    fpr: { type: Number },
    scoring: { type: String },
    provider: { type: String },
    threads: { type: Number },
    samples: { type: String },
    status: { state: true },
    rows: { state: true },
    selected: { state: true },
    detail: { state: true },
    hist: { state: true },
    histNode: { state: true },
    batch: { state: true },
    build: { state: true },
    sampleList: { state: true },
    notice: { state: true },
    rowLimit: { state: true },
  };

  model = '';
  profile = '';
  spec = '';
  fpr = DEFAULTS.fpr;
  scoring: ScoringName = DEFAULTS.scoring;
  provider: ProviderRequest = 'auto';
  /** WASM threads (0 = automatic). */
  threads = 0;
  /** URL of a sample manifest (JSON list of {file, kind, label}); files relative to it. */
  samples = '';

  status: { state: 'idle' | 'loading' | 'ready' | 'error'; message?: string } = { state: 'idle' };
  rows: Row[] = [];
  selected = -1;
  detail: ImageResult | null = null;
  hist: Hist | null = null;
  histNode: { layer: number; index: number } | null = null;
  batch = { done: 0, total: 0, running: false };
  build: { state: 'idle' | 'running' | 'done' | 'error'; done: number; total: number; stage: string; message?: string; url?: string } = { state: 'idle', done: 0, total: 0, stage: '' };
  sampleList: Sample[] = [];
  notice = '';
  /** Rows rendered; more on request, so a drop of thousands of files stays responsive. */
  rowLimit = 50;

  readonly client = new DetectorClient();
  private nextId = 1;
  private queue: Row[] = [];
  private cancelled = false;
  private lru = new Map<number, ImageResult>();
  private onPaste = (e: ClipboardEvent) => {
    const files = [...(e.clipboardData?.files ?? [])];
    if (files.length) this.addFiles(files.map((f, i) => (f.name && f.name !== 'image.png' ? f : new File([f], `pasted-${Date.now()}-${i}.png`, { type: f.type }))));
  };

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('paste', this.onPaste);
    this.client.addEventListener('worker-died', () => {
      this.notice = 'The detector worker stopped unexpectedly; it was restarted and the batch goes on.';
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('paste', this.onPaste);
    this.client.dispose();
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('model') || changed.has('profile') || changed.has('spec') || changed.has('provider') || changed.has('threads')) {
      if (this.model) void this.start();
    }
    if (changed.has('samples') && this.samples) void this.loadSamples();
  }

  private async start(): Promise<void> {
    this.status = { state: 'loading', message: 'Loading the model and profile…' };
    try {
      const info = await this.client.start({ model: this.model, profile: this.profile || null, spec: this.spec || null, provider: this.provider, numThreads: this.threads || undefined });
      this.status = { state: 'ready' };
      this.dispatchEvent(new CustomEvent('histoscan-ready', { detail: info, bubbles: true, composed: true }));
      this.pump();
    } catch (e) {
      this.status = { state: 'error', message: (e as Error).message };
      this.dispatchEvent(new CustomEvent('histoscan-error', { detail: { file: null, error: (e as Error).message }, bubbles: true, composed: true }));
    }
  }

  private async loadSamples(): Promise<void> {
    try {
      const res = await fetch(this.samples);
      this.sampleList = (await res.json()) as Sample[];
    } catch {
      this.sampleList = [];
    }
  }

  private sampleUrl(s: Sample): string {
    return new URL(s.file, new URL(this.samples, location.href)).href;
  }

  /** Queue files for checking; results appear as they come. */
  addFiles(files: File[] | Blob[], names?: string[]): void {
    const rows = [...files].map((file, i) => ({
      id: this.nextId++,
      name: names?.[i] ?? ((file as File).webkitRelativePath || (file as File).name || `image-${this.nextId}`),
      file,
      thumb: '',
      state: 'queued' as const,
    }));
    if (!rows.length) return;
    this.rows = [...this.rows, ...rows];
    this.queue.push(...rows);
    // Progress counts everything since the last Clear, so single clicks add up too.
    this.batch = { done: this.batch.done, total: this.batch.total + rows.length, running: true };
    this.cancelled = false;
    this.pump();
  }

  private pumping = false;

  /** One image at a time through the worker: a bounded queue, whatever was dropped. */
  private async pump(): Promise<void> {
    if (this.pumping || this.status.state !== 'ready') return;
    this.pumping = true;
    try {
      while (this.queue.length && !this.cancelled) {
        const row = this.queue.shift()!;
        this.patch(row.id, { state: 'running' });
        let result: ImageResult | ImageError;
        try {
          result = await this.client.check(row.file, row.name, { fpr: this.fpr, scoring: this.scoring });
        } catch (e) {
          if (!(e instanceof WorkerDiedError)) throw e;
          await this.client.restart();
          result = await this.client.check(row.file, row.name, { fpr: this.fpr, scoring: this.scoring }).catch((e2: Error) => ({ file: row.name, error: `The worker died twice on this image: ${e2.message}`, code: 'worker-died' }));
        }
        this.finish(row, result);
      }
    } catch (e) {
      this.status = { state: 'error', message: (e as Error).message };
    } finally {
      this.pumping = false;
      if (!this.queue.length || this.cancelled) this.batch = { ...this.batch, running: false };
    }
  }

  private finish(row: Row, r: ImageResult | ImageError): void {
    this.batch = { ...this.batch, done: this.batch.done + 1 };
    if (isError(r)) {
      this.patch(row.id, { state: 'error', error: r.error });
      this.dispatchEvent(new CustomEvent('histoscan-error', { detail: r, bubbles: true, composed: true }));
      return;
    }
    const t = r.timings;
    this.patch(row.id, {
      state: 'done',
      summary: { top: r.top[0].label, prob: r.top[0].prob, score: r.score, q: r.q, flagged: r.flagged, provider: r.provider, ms: t.decode + t.preprocess + t.inference + t.pvalues + t.scan },
    });
    this.lru.set(row.id, r);
    if (this.lru.size > LRU_SIZE) this.lru.delete(this.lru.keys().next().value!);
    this.dispatchEvent(new CustomEvent('histoscan-result', { detail: r, bubbles: true, composed: true }));
    if (this.selected === row.id) this.detail = r;
  }

  private patch(id: number, p: Partial<Row>): void {
    this.rows = this.rows.map((r) => (r.id === id ? { ...r, ...p } : r));
  }

  cancel(): void {
    this.cancelled = true;
    for (const r of this.queue) this.patch(r.id, { state: 'cancelled' });
    this.batch = { ...this.batch, total: this.batch.total - this.queue.length, running: false };
    this.queue = [];
    this.client.cancel();
  }

  clear(): void {
    this.cancel();
    for (const r of this.rows) if (r.thumb) URL.revokeObjectURL(r.thumb);
    this.rows = [];
    this.rowLimit = 50;
    this.lru.clear();
    this.selected = -1;
    this.detail = null;
    this.batch = { done: 0, total: 0, running: false };
  }

  private async select(row: Row): Promise<void> {
    this.selected = row.id;
    this.hist = null;
    this.histNode = null;
    this.detail = this.lru.get(row.id) ?? null;
    if (!this.detail && row.state === 'done') {
      // Details are kept for recent images only; recompute on demand (it is fast).
      const r = await this.client.check(row.file, row.name, { fpr: this.fpr, scoring: this.scoring });
      if (!isError(r)) {
        this.lru.set(row.id, r);
        if (this.selected === row.id) this.detail = r;
      }
    }
    await this.updateComplete;
    this.renderRoot.querySelector('#detail')?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  private async showNode(layer: number, index: number): Promise<void> {
    if (!this.detail) return;
    let flat = index;
    for (let i = 0; i < layer; i++) flat += this.detail.layers[i].pMin.length;
    this.histNode = { layer, index };
    this.hist = await this.client.histogram(flat);
  }

  private async onDrop(e: DragEvent): Promise<void> {
    e.preventDefault();
    (e.currentTarget as HTMLElement).classList.remove('over');
    const dt = e.dataTransfer;
    if (!dt) return;
    const files: File[] = [];
    const entries = [...dt.items].map((it) => it.webkitGetAsEntry?.()).filter((x): x is FileSystemEntry => !!x);
    if (entries.some((en) => en.isDirectory)) {
      for (const en of entries) await entryFiles(en, files);
      const images = imagesOnly(files);
      if (images.length < files.length) this.notice = `Skipped ${files.length - images.length} non-image files in the dropped folder.`;
      files.splice(0, files.length, ...images);
    } else files.push(...dt.files);
    if (files.length) {
      this.addFiles(files);
      return;
    }
    // A dragged sample thumbnail: same-origin URL only.
    const url = dt.getData('text/uri-list') || dt.getData('text/plain');
    if (url && new URL(url, location.href).origin === location.origin) await this.addUrl(url);
  }

  private async addUrl(url: string, name?: string): Promise<void> {
    const blob = await (await fetch(url)).blob();
    this.addFiles([blob], [name ?? url.split('/').pop() ?? 'sample']);
  }

  private async buildFrom(files: File[]): Promise<void> {
    if (!files.length) return;
    this.build = { state: 'running', done: 0, total: files.length, stage: 'starting' };
    try {
      const r = await this.client.buildProfile(files, {}, (p) => (this.build = { ...this.build, ...p }));
      if (this.build.url) URL.revokeObjectURL(this.build.url);
      const url = URL.createObjectURL(new Blob([r.bytes], { type: 'application/octet-stream' }));
      const skipped = r.skipped.length ? `; ${r.skipped.length} files skipped (${r.skipped.slice(0, 2).map((s) => s.error).join('; ')})` : '';
      this.build = { state: 'done', done: this.build.total, total: this.build.total, stage: 'done', url, message: `Profile built from ${r.count} images on this device and in use now${skipped}.` };
    } catch (e) {
      this.build = { ...this.build, state: 'error', message: (e as Error).message };
    }
  }

  private async loadProfileFile(file: File | undefined): Promise<void> {
    if (!file) return;
    try {
      await this.client.useProfile(await file.arrayBuffer());
      this.build = { state: 'done', done: 0, total: 0, stage: '', message: `Using profile ${file.name}.` };
    } catch (e) {
      this.build = { state: 'error', done: 0, total: 0, stage: '', message: `${file.name}: ${(e as Error).message}` };
    }
  }

  private thumb(row: Row): string {
    if (!row.thumb) row.thumb = URL.createObjectURL(row.file);
    return row.thumb;
  }

  static override styles = css`
    :host { display: block; font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1c2430; --hs-accent: #2563eb; --hs-flag: #c2410c; --hs-ok: #0f766e; --hs-muted: #5b6472; }
    .status { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; font-size: 0.85rem; color: var(--hs-muted); margin-bottom: 0.75rem; }
    .chip { background: #eef2f7; border-radius: 999px; padding: 0.15rem 0.6rem; }
    .chip.provider { background: #e0ecff; color: #1e3a8a; font-weight: 600; }
    .error { color: #9f1239; }
    .drop { border: 2px dashed #9aa7b8; border-radius: 12px; padding: 1.25rem; text-align: center; background: #f8fafc; transition: background 0.15s; }
    .drop.over, .drop:focus-visible { background: #e8f0fe; border-color: var(--hs-accent); outline: none; }
    .drop p { margin: 0.25rem 0 0.75rem; }
    button, .button { font: inherit; border: 1px solid #c3ccd8; background: white; border-radius: 8px; padding: 0.4rem 0.8rem; cursor: pointer; color: inherit; }
    button:hover, .button:hover { border-color: var(--hs-accent); }
    button:focus-visible, .button:focus-visible { outline: 3px solid var(--hs-accent); outline-offset: 1px; }
    button.primary { background: var(--hs-accent); color: white; border-color: var(--hs-accent); }
    input[type='file'] { position: absolute; width: 1px; height: 1px; opacity: 0; pointer-events: none; }
    h3 { font-size: 0.95rem; margin: 1rem 0 0.5rem; }
    .gallery { display: flex; flex-wrap: wrap; gap: 0.4rem; }
    .gallery button { padding: 0.2rem; display: flex; flex-direction: column; align-items: center; font-size: 0.7rem; width: 72px; }
    .gallery img { width: 56px; height: 56px; image-rendering: pixelated; border-radius: 4px; }
    .batch { display: flex; gap: 0.75rem; align-items: center; margin: 0.75rem 0; font-size: 0.9rem; }
    progress { flex: 1; height: 0.8rem; accent-color: var(--hs-accent); }
    .notice { background: #fff7ed; border: 1px solid #fdba74; border-radius: 8px; padding: 0.5rem 0.75rem; font-size: 0.85rem; margin: 0.5rem 0; }
    .table { overflow-x: auto; }
    .summary { font-size: 0.88rem; margin: 0.25rem 0; }
    button.more { margin-top: 0.5rem; }
    table { width: 100%; border-collapse: collapse; font-size: 0.88rem; }
    th { text-align: left; font-weight: 600; color: var(--hs-muted); border-bottom: 1px solid #dbe1e8; padding: 0.35rem; }
    td { border-bottom: 1px solid #eef1f5; padding: 0.3rem 0.35rem; vertical-align: middle; }
    tr.row { cursor: pointer; content-visibility: auto; contain-intrinsic-size: auto 44px; }
    tr.row:hover, tr.row.sel { background: #f1f5ff; }
    tr.row:focus-visible { outline: 2px solid var(--hs-accent); }
    td img { width: 36px; height: 36px; image-rendering: pixelated; border-radius: 4px; object-fit: cover; background: #eee; }
    .verdict { font-weight: 600; white-space: nowrap; }
    .verdict.flag { color: var(--hs-flag); }
    .verdict.ok { color: var(--hs-ok); }
    .verdict.err { color: #9f1239; font-weight: 500; white-space: normal; }
    .num { font-variant-numeric: tabular-nums; white-space: nowrap; }
    .name { max-width: 16rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    #detail { margin-top: 1rem; border: 1px solid #dbe1e8; border-radius: 12px; padding: 1rem; }
    #detail h2 { margin: 0 0 0.25rem; font-size: 1.1rem; }
    .maps { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 1rem; margin: 0.75rem 0; }
    .nodes { display: flex; flex-wrap: wrap; gap: 0.3rem; }
    .nodes button { font-size: 0.78rem; padding: 0.2rem 0.45rem; }
    .calibrate { margin-top: 1.25rem; border-top: 1px solid #dbe1e8; padding-top: 0.5rem; font-size: 0.9rem; }
    .calibrate .actions { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
    .maps > * { min-width: 0; }
    @media (max-width: 560px) { .hide-sm { display: none; } .name { max-width: 6rem; } .maps { grid-template-columns: 1fr; } td, th { padding: 0.25rem 0.2rem; } }
  `;

  private renderStatus() {
    const s = this.status;
    const info = this.client.info;
    if (s.state === 'error') return html`<div class="status error" role="alert">Could not start: ${s.message}</div>`;
    if (s.state !== 'ready' || !info) return html`<div class="status" role="status">${s.message ?? 'Waiting for a model…'}</div>`;
    const mb = (b: number) => `${(b / 1e6).toFixed(b < 1e6 ? 2 : 1)} MB`;
    return html`<div class="status" role="status">
      <span class="chip provider" data-provider=${info.provider}>${info.provider === 'webgpu' ? 'WebGPU' : 'WASM'}</span>
      <span class="chip">model ${mb(info.modelBytes)}</span>
      <span class="chip">profile ${mb(info.profileBytes)} · ${info.profileCount.toLocaleString('en')} images</span>
      <span class="chip">${info.nodes.toLocaleString('en')} nodes in ${info.layers.length} layers</span>
      ${info.note ? html`<span class="chip" data-note>${info.note}</span>` : nothing}
      ${this.client.restarts ? html`<span class="chip">worker restarted ${this.client.restarts}×</span>` : nothing}
    </div>`;
  }

  private renderSummary() {
    const count = (f: (r: Row) => boolean) => this.rows.reduce((n, r) => n + (f(r) ? 1 : 0), 0);
    const done = count((r) => r.state === 'done');
    const flagged = count((r) => r.state === 'done' && !!r.summary?.flagged);
    const errors = count((r) => r.state === 'error');
    const cancelled = count((r) => r.state === 'cancelled');
    return html`<p class="summary" data-summary data-done=${done} data-flagged=${flagged} data-errors=${errors} data-cancelled=${cancelled}>
      ${done.toLocaleString('en')} checked · <strong>${flagged.toLocaleString('en')} unusual</strong>${errors ? html` · ${errors} could not be read` : nothing}${cancelled ? html` · ${cancelled} cancelled` : nothing}
    </p>`;
  }

  private renderRow(r: Row) {
    const s = r.summary;
    const pct = Math.round(this.fpr * 100);
    let verdict;
    if (r.state === 'done' && s) verdict = html`<span class="verdict ${s.flagged ? 'flag' : 'ok'}">${s.flagged ? `⚠ Unusual at FPR ${pct}%` : `✓ Typical at FPR ${pct}%`}</span>`;
    else if (r.state === 'error') verdict = html`<span class="verdict err" role="alert">✕ ${r.error}</span>`;
    else verdict = html`<span class="verdict">${r.state === 'running' ? 'checking…' : r.state}</span>`;
    return html`<tr
      class="row ${this.selected === r.id ? 'sel' : ''}"
      data-state=${r.state}
      data-name=${r.name}
      data-flagged=${s ? String(s.flagged) : ''}
      tabindex="0"
      @click=${() => this.select(r)}
      @keydown=${(e: KeyboardEvent) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), this.select(r))}
    >
      <td>${r.state === 'error' ? '' : html`<img src=${this.thumb(r)} alt="" loading="lazy" />`}</td>
      <td class="name" title=${r.name}>${r.name}</td>
      <td class="hide-sm">${s ? `${s.top} ${(100 * s.prob).toFixed(0)}%` : ''}</td>
      <td class="num hide-sm" data-score=${s ? String(s.score) : ''}>${s ? s.score.toFixed(1) : ''}</td>
      <td class="num hide-sm">${s ? (Number.isFinite(s.q) ? s.q.toFixed(3) : '—') : ''}</td>
      <td>${verdict}</td>
      <td class="num hide-sm">${s ? `${s.provider} · ${s.ms.toFixed(0)} ms` : ''}</td>
    </tr>`;
  }

  private renderDetail() {
    const d = this.detail;
    if (!d) return nothing;
    const pct = Math.round(d.fpr * 100);
    const offsets: number[] = [];
    let off = 0;
    for (const l of d.layers) {
      offsets.push(off);
      off += l.pMin.length;
    }
    const subsets = d.layers.map((l, i) => new Set(Array.from(d.subset).filter((n) => n >= offsets[i] && n < offsets[i] + l.pMin.length).map((n) => n - offsets[i])));
    const nMax = Math.max(2, Math.ceil(-Math.log10(Math.min(...d.topNodes.map((n) => n.p), 0.01))));
    const hn = this.histNode;
    const layer = hn ? d.layers[hn.layer] : null;
    return html`<section id="detail" aria-live="polite">
      <h2>${d.file}: <span class="verdict ${d.flagged ? 'flag' : 'ok'}">${d.flagged ? `unusual at FPR ${pct}%` : `typical at FPR ${pct}%`}</span></h2>
      <div>
        The model says <strong>${d.top[0].label}</strong> (${(100 * d.top[0].prob).toFixed(1)}%). Scan score ${d.score.toFixed(1)} (${d.scoring.toUpperCase()}) at α = ${d.alpha.toPrecision(2)};
        ${Number.isFinite(d.q) ? html`only ${(100 * d.q).toFixed(1)}% of clean calibration images score as high (q = ${d.q.toFixed(3)}).` : 'the profile has no calibration table.'}
        ${d.subset.length.toLocaleString('en')} of ${off.toLocaleString('en')} nodes form the anomalous subset (outlined in magenta).
      </div>
      <div class="maps">
        ${d.layers.map((l, i) => html`<hs-pvalue-map .layer=${l} .subset=${subsets[i]} .nMax=${nMax} .selected=${hn?.layer === i ? hn.index : -1} @node-select=${(e: CustomEvent) => this.showNode(i, e.detail.index)}></hs-pvalue-map>`)}
      </div>
      <h3>Most anomalous nodes</h3>
      <div class="nodes">
        ${d.topNodes.map((n) => {
          const li = d.layers.findIndex((l) => l.name === n.layer);
          return html`<button @click=${() => this.showNode(li, n.index)} aria-label="Show histogram of ${n.layer} node ${n.index}">${n.layer.replace(/^\//, '').replace(/_output_0$/, '')} #${n.index} · p ${n.p < 0.001 ? n.p.toExponential(1) : n.p.toFixed(3)}</button>`;
        })}
      </div>
      ${this.hist && hn && layer
        ? html`<h3>Background histogram of the selected node</h3>
            <hs-node-histogram .hist=${this.hist} .value=${layer.values[hn.index]} .pRange=${[layer.pMin[hn.index], layer.pMax[hn.index]]}></hs-node-histogram>`
        : html`<p style="font-size:0.85rem;color:var(--hs-muted)">Click a node in a map (or a button above) to see its background histogram.</p>`}
    </section>`;
  }

  override render() {
    const pickFiles = (sel: string) => (this.renderRoot.querySelector(sel) as HTMLInputElement).click();
    const b = this.batch;
    const bd = this.build;
    return html`
      ${this.renderStatus()}
      <div
        class="drop"
        tabindex="0"
        role="button"
        aria-label="Drop images or folders here, paste an image, or press Enter to choose files"
        @dragover=${(e: DragEvent) => (e.preventDefault(), (e.currentTarget as HTMLElement).classList.add('over'))}
        @dragleave=${(e: DragEvent) => (e.currentTarget as HTMLElement).classList.remove('over')}
        @drop=${this.onDrop}
        @keydown=${(e: KeyboardEvent) => (e.key === 'Enter' || e.key === ' ') && e.target === e.currentTarget && (e.preventDefault(), pickFiles('#files'))}
      >
        <p><strong>Drop images or folders here</strong>, or paste an image. PNG and JPEG; they never leave this device.</p>
        <button class="primary" @click=${() => pickFiles('#files')}>Choose images</button>
        <button @click=${() => pickFiles('#folder')}>Choose a folder</button>
        <input id="files" type="file" accept="image/png,image/jpeg,image/*" multiple aria-label="Choose images" @change=${(e: Event) => (this.addFiles([...((e.target as HTMLInputElement).files ?? [])]), ((e.target as HTMLInputElement).value = ''))} />
        <input id="folder" type="file" webkitdirectory multiple aria-label="Choose a folder" @change=${(e: Event) => (this.addFiles(imagesOnly([...((e.target as HTMLInputElement).files ?? [])])), ((e.target as HTMLInputElement).value = ''))} />
      </div>
      ${this.sampleList.length
        ? html`<h3>Or try a sample (click or drag)</h3>
            <div class="gallery">
              ${this.sampleList.map(
                (s) => html`<button
                  draggable="true"
                  data-sample=${s.file}
                  title="${s.kind}: ${s.label}"
                  @click=${() => this.addUrl(this.sampleUrl(s), s.file)}
                  @dragstart=${(e: DragEvent) => e.dataTransfer?.setData('text/uri-list', this.sampleUrl(s))}
                >
                  <img src=${this.sampleUrl(s)} alt="${s.kind} sample: ${s.label}" />${s.set ?? s.kind}
                </button>`,
              )}
            </div>`
        : nothing}
      ${this.notice ? html`<div class="notice" role="alert">${this.notice}</div>` : nothing}
      ${b.total
        ? html`<div class="batch">
            <progress max=${b.total} value=${b.done} aria-label="Images checked"></progress>
            <span class="num" data-progress>${b.done} / ${b.total}</span>
            ${b.running ? html`<button @click=${() => this.cancel()}>Cancel</button>` : html`<button @click=${() => this.clear()}>Clear</button>`}
          </div>`
        : nothing}
      ${this.rows.length ? this.renderSummary() : nothing}
      ${this.rows.length
        ? html`<div class="table"><table>
            <thead><tr><th></th><th>Image</th><th class="hide-sm">Model says</th><th class="hide-sm">Score</th><th class="hide-sm">q</th><th>Verdict</th><th class="hide-sm">Provider · time</th></tr></thead>
            <tbody>${repeat(this.rows.slice(0, this.rowLimit), (r) => r.id, (r) => this.renderRow(r))}</tbody>
          </table></div>`
        : nothing}
      ${this.rows.length > this.rowLimit
        ? html`<button class="more" @click=${() => (this.rowLimit += 50)}>Show 50 more rows (${(this.rows.length - this.rowLimit).toLocaleString('en')} not shown)</button>`
        : nothing}
      ${this.renderDetail()}
      <section class="calibrate">
        <h3>Calibrate on your own images</h3>
        <p>Build a profile from a folder of known-good images in this browser (the last 20% calibrate the verdict). It is used at once and can be downloaded as .hsp; nothing is uploaded.</p>
        <div class="actions">
          <button @click=${() => pickFiles('#calib')} ?disabled=${bd.state === 'running' || this.status.state !== 'ready'}>Build a profile from a folder…</button>
          <input id="calib" type="file" webkitdirectory multiple aria-label="Folder of known-good images" @change=${(e: Event) => this.buildFrom(imagesOnly([...((e.target as HTMLInputElement).files ?? [])]))} />
          <input id="calib-files" type="file" multiple accept="image/*" aria-label="Known-good images" @change=${(e: Event) => this.buildFrom([...((e.target as HTMLInputElement).files ?? [])])} />
          <button @click=${() => pickFiles('#hsp')}>Load a .hsp profile…</button>
          <input id="hsp" type="file" accept=".hsp" aria-label="Profile file" @change=${(e: Event) => this.loadProfileFile((e.target as HTMLInputElement).files?.[0])} />
          ${bd.state === 'running'
            ? html`<progress max=${bd.total} value=${bd.done} aria-label="Profile build"></progress><span>${bd.stage}</span><button @click=${() => this.client.cancel()}>Cancel</button>`
            : nothing}
          ${bd.url ? html`<a class="button" href=${bd.url} download="profile.hsp" data-download>Download profile (.hsp)</a>` : nothing}
        </div>
        ${bd.message ? html`<p class=${bd.state === 'error' ? 'error' : ''} role="status" data-build>${bd.message}</p>` : nothing}
      </section>
    `;
  }
}

if (!customElements.get('histoscan-detector')) customElements.define('histoscan-detector', HistoscanDetector);

declare global {
  interface HTMLElementTagNameMap {
    'histoscan-detector': HistoscanDetector;
  }
}
