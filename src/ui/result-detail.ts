import { css, html, LitElement, nothing } from 'lit';
import type { ImageResult, LayerPValues, NodeHistogramData as Hist } from '../types.ts';
import type { ModelInput } from '../worker/worker.ts';
import { defineOnce, emit } from './events.ts';
import { layerOffsets } from '../core/layout.ts';
import { evidenceLooks, partGroups } from '../core/witnesses.ts';
import { printable } from '../core/words.ts';
import { asHigh, fmtP, tooThin, fmtScore, isScanPart, TINY_SCORE, isTokenLayer, layerLabel, partLabel, tokenPlace } from './format.ts';
import { buttonStyles, srStyles, verdictStyles } from './styles.ts';
import { verdictText } from './verdict-text.ts';
import './node-histogram.ts';
import './pvalue-map.ts';
import { scrolling } from './motion.ts';

/** A box of at most `box` px with the image's own shape, so the transparency pattern behind it shows through its transparent pixels only, not beside it. */
const fitBox = (w: number, h: number, box: number) => (w >= h ? `height: ${Math.max(1, Math.round((box * h) / w))}px` : `width: ${Math.max(1, Math.round((box * w) / h))}px`);

/** What the verdict's q is made of, in words, under the parts' table: `scans` scan parts, the quiet look and the joint look where the verdict has them. */
function verdictHint(d: ImageResult, scans: number, quiet: boolean, joint: boolean): string {
  const n = d.parts.length;
  if (d.decidedBy === 'gauss') {
    return `The verdict's q is the distance to known-good images in feature space alone: on this model that part told pseudo-anomalies made from the calibration images (shuffled tiles, noise, blur, blends, turns, inverted colours) from those images better than all ${n} parts together; the others show what they see.`;
  }
  const others = n - scans;
  const grouped = partGroups(scans, n, quiet).length < n + (quiet ? 1 : 0);
  // The quiet look is a row of the table but no part of its own: the upper scan read from below.
  const witnesses = grouped ? `: the ${scans} scans${quiet ? ' and the upper one read from below (the "quiet" row)' : ''} as one witness, then that witness and the other ${others === 1 ? 'part' : `${others} parts`}` : '';
  const together = joint ? `${scans < n ? ',' : ''} and how unusual the parts are together (their ranks' Mahalanobis distance from the calibration images')` : '';
  const hedged =
    d.decidedBy === 'hedged'
      ? ` On this model pseudo-anomalies made from the calibration images could not tell whether that or the distance to known-good images in feature space alone speaks better, so the verdict weighs both: that q and the Gaussian part's own, by Fisher's sum.`
      : '';
  return `The verdict's q combines all ${n} parts${witnesses}${together}.${hedged}`;
}

/**
 * <hs-result-detail>: why one image got its verdict. One p-value map per monitored layer with the
 * anomalous subset outlined, the most anomalous nodes, and the background histogram of a chosen node
 * (fetched through `loadHistogram`, which takes the node's flat index and the predicted class).
 *
 * @event {CustomEvent<null>} back-to-row - the user asked to go back to the image's row in the table.
 * @tagname hs-result-detail
 */
export class ResultDetail extends LitElement {
  static override properties = {
    result: { attribute: false },
    original: { attribute: false },
    modelInput: { attribute: false },
    loadHistogram: { attribute: false },
    hist: { state: true },
    histNode: { state: true },
  };

  result: ImageResult | null = null;
  /** URL of the image as dropped. */
  original = '';
  /** The image as the model received it (resized, colour-converted), when known. */
  modelInput: ModelInput | null = null;
  loadHistogram: ((node: number, cls: number) => Promise<Hist>) | null = null;
  private hist: Hist | null = null;
  private histNode: { layer: number; index: number } | null = null;
  private shownFor: ImageResult | null = null;

  static override styles = [
    buttonStyles,
    verdictStyles,
    srStyles,
    css`
      /* A container for the maps' layout (the detector's own block child: never sized by its content). */
      :host { display: block; container-type: inline-size; margin-top: 1rem; border: 1px solid var(--histoscan-border, #dbe1e8); border-radius: 12px; padding: 1rem; }
      h2 { margin: 0 0 0.25rem; font-size: 1.1rem; }
      .head { display: flex; gap: 0.75rem; align-items: baseline; justify-content: space-between; flex-wrap: wrap; }
      .head .back { font-size: 0.8rem; padding: 0.2rem 0.6rem; }
      h3 { font-size: 0.95rem; margin: 1rem 0 0.5rem; }
      .maps { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 1rem; margin: 0.75rem 0; }
      .maps > * { min-width: 0; }
      .maps > .hist { grid-column: 1 / -1; }
      .nodes { display: flex; flex-wrap: wrap; gap: 0.3rem; }
      .nodes button { font-size: 0.78rem; padding: 0.2rem 0.45rem; }
      .nodes button[aria-pressed='true'] { border-color: var(--histoscan-accent, #2563eb); box-shadow: inset 0 0 0 1px var(--histoscan-accent, #2563eb); }
      /* Forced colours drop backgrounds: the bars keep theirs, as the map keeps its colours. */
      @media (forced-colors: active) { .parts .bar, .parts .bar > span { forced-color-adjust: none; } }
      .inputs { display: flex; gap: 1rem; align-items: flex-start; margin: 0.5rem 0 0.75rem; flex-wrap: wrap; }
      .inputs figure { margin: 0; font-size: 0.8rem; color: var(--histoscan-muted, #566070); max-width: 16rem; }
      .inputs img.thin { object-fit: cover; }
      .inputs img, .inputs canvas { display: block; width: 112px; height: 112px; object-fit: contain; image-rendering: pixelated; border: 1px solid var(--histoscan-rule, #e3e8ef); border-radius: 6px; background: repeating-conic-gradient(#8883 0 25%, transparent 0 50%) 50% / 12px 12px; }
      .hint { font-size: 0.85rem; color: var(--histoscan-muted, #5b6472); }
      .parts { border-collapse: collapse; font-size: 0.85rem; }
      .parts td, .parts th { padding: 0.15rem 0.6rem 0.15rem 0; text-align: left; }
      .parts th { font-weight: 500; color: var(--histoscan-muted, #566070); }
      .parts td:last-child { white-space: nowrap; }
      h2:focus:not(:focus-visible) { outline: none; }
      .parts .bar { width: 8rem; max-width: 22vw; height: 0.6rem; border-radius: 3px; background: var(--histoscan-rule, #e3e8ef); overflow: hidden; }
      .parts .bar > span { display: block; height: 100%; background: var(--histoscan-bar, #5b7aa8); }
      .parts tr.strong td:first-child { font-weight: 600; }
      .parts tr.strong .bar > span { background: var(--histoscan-unusual, #b93c0a); }
      @container (max-width: 560px) { .maps { grid-template-columns: 1fr; } }
    `,
  ];

  /** Asks the element to take the user back to the image's row: with hundreds of rows the detail is far below it. */
  private back(): void {
    emit(this, 'back-to-row', null);
  }

  private async showNode(layer: number, index: number): Promise<void> {
    const d = this.result;
    if (!d || !this.loadHistogram || layer < 0) return;
    let flat = index;
    for (let i = 0; i < layer; i++) flat += d.layers[i].pMin.length;
    this.histNode = { layer, index };
    this.hist = await this.loadHistogram(flat, d.top[0]?.index ?? -1);
    // On a model with many layers the histogram is far below the map that was clicked.
    await this.updateComplete;
    this.renderRoot.querySelector('hs-node-histogram')?.scrollIntoView({ block: 'nearest', behavior: scrolling() });
  }

  protected override updated(): void {
    const m = this.modelInput;
    const canvas = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.model-input');
    if (!m || !canvas) return;
    canvas.width = m.width;
    canvas.height = m.height;
    canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(m.data), m.width, m.height), 0, 0);
  }

  private renderInputs(d: ImageResult) {
    const m = this.modelInput;
    let gray = !!m;
    for (let i = 0; m && gray && i < m.data.length; i += 4) gray = m.data[i] === m.data[i + 1] && m.data[i] === m.data[i + 2];
    const thin = tooThin(d.width, d.height, 112);
    return html`<div class="inputs">
      ${this.original
        ? html`<figure><img src=${this.original} class=${thin ? 'thin' : ''} .style=${thin ? '' : fitBox(d.width, d.height, 112)} alt="The image as dropped" /><figcaption>As dropped: ${d.width}×${d.height}${thin ? ' (its middle: too thin to show whole)' : ''}</figcaption></figure>`
        : nothing}
      ${m
        ? html`<figure><canvas class="model-input" role="img" aria-label="The image as the model received it: ${m.width}×${m.height} pixels"></canvas><figcaption data-model-input>What the model received: ${m.width}×${m.height}${gray ? ' gray' : ''}${m.steps.length ? `: ${m.steps.join('; ')}` : ', as dropped'}</figcaption></figure>`
        : nothing}
    </div>`;
  }

  /**
   * Each calibrated part's own q, strongest first, with a bar on a log scale up to the smallest q
   * the calibration set can give: which evidence made the verdict.
   */
  private renderParts(d: ImageResult) {
    if (!d.parts?.length || !Number.isFinite(d.parts[0].q)) return nothing;
    const floor = -Math.log10(1 / (d.calibrationCount + 1));
    // The pooled upper-tail scan ranked from below (its quiet look) and the parts' joint look are rows too.
    const sorted = evidenceLooks(d)
      .map((l) => ({ ...l, label: partLabel(l.name) }))
      .sort((a, b) => a.q - b.q);
    const scans = d.parts.filter((p) => isScanPart(p.name)).length;
    const quiet = d.parts.some((p) => p.qBelow !== undefined);
    const joint = d.jointQ !== undefined;
    return html`<h3>Evidence by part</h3>
      <table class="parts" data-parts>
        <thead>
          <tr><th scope="col">Part</th><th scope="col">Evidence</th><th scope="col">q</th></tr>
        </thead>
        <tbody>
          ${sorted.map((p) => {
            const w = Math.min(1, -Math.log10(p.q) / floor);
            return html`<tr class=${p.q <= d.fpr ? 'strong' : ''} data-part=${p.name}>
              <td>${p.label}</td>
              <td><div class="bar" role="img" aria-label="q ${fmtP(p.q)}"><span .style=${`width: ${(100 * w).toFixed(0)}%`}></span></div></td>
              <td>${fmtP(p.q)}</td>
            </tr>`;
          })}
        </tbody>
      </table>
      <p class="hint">q: the share of clean calibration images whose part scores at least as high${quiet ? ' (for the quiet look, at most as high)' : ''}. ${verdictHint(d, scans, quiet, joint)}</p>`;
  }

  override render() {
    const d = this.result;
    if (!d) return nothing;
    if (d !== this.shownFor && d.file !== this.shownFor?.file) {
      // Another image: the node chosen for the last one means nothing here.
      this.hist = null;
      this.histNode = null;
    }
    this.shownFor = d;
    const offsets = layerOffsets(d.layers.map((l) => ({ nodes: l.pMin.length })));
    const total = d.layers.reduce((a, l) => a + l.pMin.length, 0);
    const subsets = d.layers.map((l, i) => new Set(Array.from(d.subset).filter((n) => n >= offsets[i] && n < offsets[i] + l.pMin.length).map((n) => n - offsets[i])));
    const nMax = Math.max(2, Math.ceil(-Math.log10(Math.min(...d.topNodes.map((n) => n.p), 0.01))));
    const hn = this.histNode;
    const layer = hn ? d.layers[hn.layer] : null;
    const v = verdictText(d.verdict, d.fpr);
    // Calibrated with several parts, the score is their combined statistic (core/combine.ts), not one scan's.
    const combined = Number.isFinite(d.q) && (d.parts?.length ?? 0) > 1;
    // Not a live region: opening a detail moves focus to its heading, which says the file and verdict; the maps say their nodes.
    // The most anomalous nodes come before the maps: below the 40 or 50 maps of a large model they were thousands of pixels down.
    return html`<section id="detail" @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && this.back()}>
      <div class="head">
        <h2 tabindex="-1"><bdi>${printable(d.file)}</bdi>: <span class="verdict ${v.cls}" data-verdict=${d.verdict}>${v.short}</span></h2>
        <button class="back" title="Back to this image's row (Esc)" @click=${() => this.back()}>Back to the list</button>
      </div>
      ${d.verdict === 'uncalibrated' ? html`<p class="reason" data-reason>${d.verdictReason}</p>` : nothing}
      ${d.verdict === 'unusual' && d.codingNote ? html`<p class="reason" data-coding>This image is ${d.codingNote}</p>` : nothing}
      ${this.renderInputs(d)}
      <div>
        ${d.topOfMean ? 'Averaged over its positions, the model\'s output ranks' : 'The model says'} <strong>${d.top[0]?.label}</strong>${d.topOfMean ? ' first' : ''} (${(100 * (d.top[0]?.prob ?? NaN)).toFixed(1)}%).
        ${d.decidedBy === 'gauss'
          ? html`Anomaly score ${fmtScore(d.score)}, the distance to known-good images in feature space (the part this profile's verdict follows);`
          : combined
          ? html`Anomaly score ${fmtScore(d.score)}, the parts' q below combined${d.score < TINY_SCORE ? ' (no witness reaches q 0.02 on its own; their q together order it)' : ''};`
          : html`Scan score ${fmtScore(d.score)} (${d.scoring.toUpperCase()}) at α = ${d.alpha.toPrecision(2)};`}
        ${Number.isFinite(d.q) ? html`${asHigh(d.q, d.calibrationCount)}.` : 'the profile has no calibration table.'}
        ${d.subset.length.toLocaleString('en')} of ${total.toLocaleString('en')} nodes form the anomalous subset (marked in red)${combined ? html`, which the most unusual scan (${d.scoring.toUpperCase()}, α = ${d.alpha.toPrecision(2)}) picked` : nothing}.
      </div>
      ${this.renderParts(d)}
      <h3>Most anomalous nodes</h3>
      <p class="sr" id="node-hint">Shows the node's background histogram.</p>
      <div class="nodes">
        ${d.topNodes.map((n) => {
          const li = d.layers.findIndex((l) => l.name === n.layer);
          const where = li >= 0 && isTokenLayer(d.layers[li]) ? tokenPlace(d.layers[li], n.index) : `#${n.index}`;
          // Named by its own text (what a voice user says), the histogram it shows said after; pressed while shown.
          const shown = hn?.layer === li && hn.index === n.index;
          return html`<button @click=${() => this.showNode(li, n.index)} aria-pressed=${shown ? 'true' : 'false'} aria-describedby="node-hint">${layerLabel(n.layer)} ${where} · p ${fmtP(n.p)}</button>`;
        })}
      </div>
      <p class="hint">Click one of them, or a node in a map below, to see its background histogram.</p>
      <div class="maps">
        ${d.layers.map(
          (l, i) => html`<hs-pvalue-map .layer=${l} .subset=${subsets[i]} .nMax=${nMax} .selected=${hn?.layer === i ? hn.index : -1} @node-select=${(e: CustomEvent<{ index: number }>) => this.showNode(i, e.detail.index)}></hs-pvalue-map>
            ${this.hist && hn?.layer === i && layer ? this.renderHistogram(layer, hn.index) : nothing}`,
        )}
      </div>
    </section>`;
  }

  /** The selected node's background histogram, right below the row of maps that holds it: where the user clicked. */
  private renderHistogram(layer: LayerPValues, index: number) {
    return html`<div class="hist">
      <h3>Background histogram of the selected node</h3>
      <hs-node-histogram .hist=${this.hist} .classLabel=${this.result?.top[0]?.label ?? ''} .value=${layer.values[index]} .pRange=${[layer.pMin[index], layer.pMax[index]]}></hs-node-histogram>
    </div>`;
  }
}

defineOnce('hs-result-detail', ResultDetail);

declare global {
  interface HTMLElementTagNameMap {
    'hs-result-detail': ResultDetail;
  }
}
