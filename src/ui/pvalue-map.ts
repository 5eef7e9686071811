import { css, html, LitElement, unsafeCSS, type PropertyValues } from 'lit';
import type { LayerPValues } from '../types.ts';
import { cividis, cssColor } from './colormap.ts';
import { defineOnce, emit } from './events.ts';
import { fmtP, fmtValue3, isTokenLayer, layerLabel, tokenPlace } from './format.ts';
import { cellOf, drawnIndex, gridGeometry, nodeAt, nodeOfDrawn, perChannel, pooledGrid, reductionText, type Geometry } from './grid-geometry.ts';
import { srStyles } from './styles.ts';

/** Widest the map is drawn, in CSS pixels (it shrinks with its container: width 100%). */
const MAX_WIDTH = 360;
/** Largest cell of a per-channel / dense layer, in CSS pixels. */
const MAX_CELL = 18;
const SUBSET = '#ff2d55';
const SUBSET_FILL = 'rgba(255, 45, 85, 0.8)';
/** Least side of a subset mark where cells are small, in CSS pixels. */
const MIN_MARK = 3;

/**
 * Per-node p-value map of one layer: each node a cell coloured by -log10 p (cividis, p = 1 darkest,
 * p <= 10^-nMax brightest), nodes of the anomalous subset marked in red. Per-element layers
 * ([C, H, W] with one node per element) draw one H x W tile per channel; other layers a grid of
 * square cells. Click, or arrow keys + Enter, selects a node.
 *
 * @attr n-max - -log10 p at the top of the colour scale (default 4).
 * @event {CustomEvent<{ index: number; layer?: string }>} node-select - a node was selected; detail: its index within the layer and the layer's name (bubbles, composed).
 * @tagname hs-pvalue-map
 */
export class PValueMap extends LitElement {
  static override properties = {
    layer: { attribute: false },
    subset: { attribute: false },
    nMax: { type: Number, attribute: 'n-max' },
    selected: { type: Number },
    status: { state: true },
  };

  layer: LayerPValues | null = null;
  /** Indices within this layer of the nodes in the anomalous subset. */
  subset: Set<number> = new Set();
  /** -log10 p at the top of the colour scale. */
  nMax = 4;
  /** Highlighted node (index within the layer), -1 for none. */
  selected = -1;
  private status = '';
  private cursor = 0;
  private focused = false;
  private geometry: Geometry = { tiled: false, tileW: 1, tileH: 1, tilesPerRow: 1, gridW: 1, gridH: 1, scale: 1 };

  static override styles = [srStyles, css`
    :host { display: block; }
    figure { margin: 0; }
    /* Square corners: a rounded one hid the first node where cells are a pixel or two. */
    canvas { display: block; width: 100%; height: auto; image-rendering: pixelated; cursor: crosshair; }
    canvas:focus-visible { outline: 3px solid var(--histoscan-accent, #2563eb); outline-offset: 2px; }
    figcaption { font-size: 0.8rem; color: var(--histoscan-muted, #566070); margin-top: 0.25rem; display: flex; gap: 0.25rem 0.75rem; align-items: center; flex-wrap: wrap; }
    /* A long tensor name breaks within the caption rather than running under the next map. */
    figcaption > span:first-child { min-width: 0; overflow-wrap: anywhere; }
    .legend { display: inline-flex; gap: 0.3rem; align-items: center; white-space: nowrap; }
    .bar { display: inline-block; width: 90px; height: 10px; border-radius: 2px; }
    .swatch { display: inline-block; width: 9px; height: 9px; border: 2px solid ${unsafeCSS(SUBSET)}; border-radius: 1px; }
    /* The canvas keeps its colours in forced-colours mode: so does its key. */
    @media (forced-colors: active) { .bar, .swatch { forced-color-adjust: none; } }
  `];

  /** A transformer's [tokens, features] layer per element: one row per token, not a tile per channel. */
  private get tokens(): boolean {
    return !!this.layer && isTokenLayer(this.layer);
  }

  private get count(): number {
    return this.layer?.pMin.length ?? 0;
  }

  private describe(i: number): string {
    const l = this.layer!;
    const g = this.geometry;
    let where = '';
    if (this.tokens) where = ` (${tokenPlace(l, i)})`;
    else if (g.tiled) {
      const per = g.tileW * g.tileH;
      const j = drawnIndex(g, i);
      const r = j % per;
      const cell = pooledGrid(l) ? ` of its ${g.tileH}×${g.tileW} grid` : '';
      where = ` (channel ${Math.floor(j / per)}, row ${Math.floor(r / g.tileW)}, column ${r % g.tileW}${cell})`;
    } else if (perChannel(l)) where = ` (${l.channelAxis === 1 && l.shape.length === 2 ? 'feature' : 'channel'} ${i})`;
    const sub = this.subset.has(i) ? ', in the anomalous subset' : '';
    return `Node ${i}${where}: value ${fmtValue3(l.values[i])}, p ∈ [${fmtP(l.pMin[i])}, ${fmtP(l.pMax[i])}]${sub}`;
  }

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('layer')) this.cursor = 0;
    if (changed.has('selected') && this.selected >= 0) this.cursor = this.selected;
    if (this.layer && (changed.has('layer') || changed.has('nMax'))) this.geometry = gridGeometry(this.layer, this.count, MAX_WIDTH, MAX_CELL);
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('layer') || changed.has('subset') || changed.has('nMax') || changed.has('selected')) this.draw();
  }

  private draw(): void {
    const canvas = this.renderRoot.querySelector('canvas');
    if (!canvas || !this.layer) return;
    const g = this.geometry;
    const dpr = Math.max(1, Math.min(4, globalThis.devicePixelRatio || 1));
    const cssW = g.gridW * g.scale;
    canvas.width = Math.max(1, Math.round(cssW * dpr));
    canvas.height = Math.max(1, Math.round(g.gridH * g.scale * dpr));
    canvas.style.maxWidth = `${cssW}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;

    // One pixel per node, then scaled up without smoothing.
    const base = document.createElement('canvas');
    base.width = g.gridW;
    base.height = g.gridH;
    const bctx = base.getContext('2d')!;
    const img = bctx.createImageData(g.gridW, g.gridH);
    const { pMin, pMax } = this.layer;
    const nMax = this.nMax > 0 ? this.nMax : 1;
    for (let i = 0; i < pMin.length; i++) {
      const p = 0.5 * (pMin[i] + pMax[i]);
      const rgb = cividis(p > 0 ? -Math.log10(p) / nMax : 1);
      const [x, y] = cellOf(this.geometry, i);
      const o = (y * g.gridW + x) * 4;
      img.data[o] = rgb[0];
      img.data[o + 1] = rgb[1];
      img.data[o + 2] = rgb[2];
      img.data[o + 3] = 255;
    }
    bctx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(base, 0, 0, canvas.width, canvas.height);

    // From here on, coordinates are grid cells; one CSS pixel is 1 / scale cells.
    const k = canvas.width / g.gridW;
    ctx.setTransform(k, 0, 0, canvas.height / g.gridH, 0, 0);
    const px = 1 / g.scale;
    if (g.scale >= 5) {
      ctx.strokeStyle = SUBSET;
      ctx.lineWidth = 1.5 * px;
      const inset = 0.75 * px;
      for (const i of this.subset) {
        if (i >= pMin.length) continue;
        const [x, y] = cellOf(this.geometry, i);
        ctx.strokeRect(x + inset, y + inset, 1 - 2 * inset, 1 - 2 * inset);
      }
    } else {
      // A cell of 1-4 px would mark a node too small to see: each mark is at least MIN_MARK px, centred on its cell.
      ctx.fillStyle = SUBSET_FILL;
      const side = Math.max(1, MIN_MARK * px);
      for (const i of this.subset) {
        if (i >= pMin.length) continue;
        const [x, y] = cellOf(this.geometry, i);
        ctx.fillRect(x + (1 - side) / 2, y + (1 - side) / 2, side, side);
      }
    }
    const ring = (i: number, dashed: boolean) => {
      const [x, y] = cellOf(this.geometry, i);
      ctx.setLineDash(dashed ? [2 * px, 2 * px] : []);
      ctx.lineWidth = 3 * px;
      ctx.strokeStyle = '#111';
      ctx.strokeRect(x - 1.5 * px, y - 1.5 * px, 1 + 3 * px, 1 + 3 * px);
      ctx.lineWidth = 1.5 * px;
      ctx.strokeStyle = '#fff';
      ctx.strokeRect(x - 1.5 * px, y - 1.5 * px, 1 + 3 * px, 1 + 3 * px);
    };
    if (this.selected >= 0 && this.selected < pMin.length) ring(this.selected, false);
    if (this.focused && this.cursor !== this.selected) ring(this.cursor, true);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
  }

  private select(index: number): void {
    if (index < 0 || index >= this.count) return;
    this.cursor = index;
    this.selected = index;
    emit(this, 'node-select', { index, layer: this.layer?.name });
  }

  private gridPoint(e: MouseEvent): [number, number] {
    const canvas = e.currentTarget as HTMLCanvasElement;
    const rect = canvas.getBoundingClientRect();
    const g = this.geometry;
    return [((e.clientX - rect.left) / rect.width) * g.gridW, ((e.clientY - rect.top) / rect.height) * g.gridH];
  }

  private onClick(e: MouseEvent): void {
    this.select(nodeAt(this.geometry, this.count, ...this.gridPoint(e)));
  }

  private onMove(e: MouseEvent): void {
    const i = nodeAt(this.geometry, this.count, ...this.gridPoint(e));
    (e.currentTarget as HTMLCanvasElement).title = i >= 0 ? this.describe(i) : '';
  }

  private onKey(e: KeyboardEvent): void {
    const n = this.count;
    if (!n) return;
    const g = this.geometry;
    const step: Record<string, number> = {
      ArrowRight: 1,
      ArrowLeft: -1,
      ArrowDown: g.tileW,
      ArrowUp: -g.tileW,
      PageDown: g.tiled ? g.tileW * g.tileH : g.tileW * 4,
      PageUp: g.tiled ? -g.tileW * g.tileH : -g.tileW * 4,
      Home: -n,
      End: n,
    };
    if (e.key in step) {
      e.preventDefault();
      // Steps are in drawn order, so an arrow moves to the cell beside it on any layout.
      this.cursor = nodeOfDrawn(g, Math.min(n - 1, Math.max(0, drawnIndex(g, this.cursor) + step[e.key])));
      this.status = this.describe(this.cursor);
      this.draw();
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.select(this.cursor);
      this.status = `Selected. ${this.describe(this.cursor)}`;
    }
  }

  private onFocus(on: boolean): void {
    this.focused = on;
    if (on) this.status = this.describe(this.cursor);
    this.draw();
  }

  override render() {
    if (!this.layer) return html``;
    const l = this.layer;
    const n = l.pMin.length;
    const nMax = this.nMax > 0 ? this.nMax : 1;
    const stops = Array.from({ length: 9 }, (_, i) => cssColor(i / 8)).join(',');
    const reduced = reductionText(l);
    const kind = this.tokens
      ? `one ${this.geometry.tileH}×${this.geometry.tileW} grid of tokens by features`
      : this.geometry.tiled
        ? `one ${this.geometry.tileH}×${this.geometry.tileW} tile per channel`
        : 'a grid of cells';
    return html`<figure>
      <canvas
        tabindex="0"
        role="application"
        aria-roledescription="p-value map"
        aria-label="p-value map of layer ${layerLabel(l.name)}: ${n} nodes drawn as ${kind}, ${this.subset.size} in the anomalous subset. Brighter is a smaller p-value. Arrow keys move between nodes (Page Up/Down by ${this.geometry.tiled ? 'channel' : 'four rows'}), Enter shows a node's background histogram."
        @click=${this.onClick}
        @mousemove=${this.onMove}
        @keydown=${this.onKey}
        @focus=${() => this.onFocus(true)}
        @blur=${() => this.onFocus(false)}
      ></canvas>
      <span class="sr" aria-live="polite">${this.status}</span>
      <figcaption>
        <span><strong title=${l.name}>${layerLabel(l.name)}</strong> · ${n.toLocaleString('en')} nodes ${reduced ? `(${reduced}) of ` : ''}[${l.shape.join('×')}] · ${this.subset.size.toLocaleString('en')} in subset</span>
        <span class="legend" aria-hidden="true"><span>p = 1</span> <span class="bar" .style=${`background: linear-gradient(90deg, ${stops})`}></span> <span>≤ 10<sup>−${nMax}</sup></span>
          <span class="swatch"></span> subset</span>
      </figcaption>
    </figure>`;
  }
}

defineOnce('hs-pvalue-map', PValueMap);
