import { css, html, LitElement, type PropertyValues } from 'lit';
import type { LayerPValues } from '../types.ts';
import { cividis, cssColor } from './colormap.ts';

/**
 * Per-node p-value map of one layer: each node a cell coloured by -log10 p (cividis), nodes of
 * the anomalous subset outlined. Per-element layers draw one tile per channel (H x W cells).
 * Click or arrow keys + Enter select a node: fires `node-select` with { index }.
 */
export class PValueMap extends LitElement {
  static override properties = {
    layer: { attribute: false },
    subset: { attribute: false },
    nMax: { type: Number },
    selected: { type: Number },
  };

  layer: LayerPValues | null = null;
  subset: Set<number> = new Set();
  nMax = 4;
  selected = -1;
  private cursor = 0;
  private geometry = { cols: 1, cell: 4, tileW: 1, tileH: 1, tilesPerRow: 1, gap: 2, tiled: false, width: 0, height: 0 };

  static override styles = css`
    :host { display: block; }
    figure { margin: 0; }
    canvas { width: 100%; max-width: 420px; image-rendering: pixelated; border-radius: 4px; cursor: crosshair; display: block; }
    canvas:focus-visible { outline: 3px solid #2563eb; outline-offset: 2px; }
    figcaption { font-size: 0.8rem; color: var(--hs-muted, #555); margin-top: 0.25rem; display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; }
    .bar { display: inline-block; width: 90px; height: 10px; border-radius: 2px; vertical-align: middle; }
  `;

  private layout(): void {
    const l = this.layer!;
    const n = l.pMin.length;
    const per = l.shape.slice(1).reduce((a, b) => a * b, 1);
    const tiled = l.shape.length === 3 && l.shape[0] * per === n && per > 1;
    if (tiled) {
      const [c, h, w] = l.shape;
      const tilesPerRow = Math.ceil(Math.sqrt(c * 1.6));
      const cell = Math.max(1, Math.floor(420 / (tilesPerRow * (w + 2))));
      const rows = Math.ceil(c / tilesPerRow);
      this.geometry = { cols: w, cell, tileW: w, tileH: h, tilesPerRow, gap: 2, tiled, width: tilesPerRow * (w * cell + 2), height: rows * (h * cell + 2) };
    } else {
      const cols = Math.min(n, Math.ceil(Math.sqrt(n * 4)));
      const cell = Math.max(3, Math.min(18, Math.floor(420 / cols)));
      this.geometry = { cols, cell, tileW: cols, tileH: Math.ceil(n / cols), tilesPerRow: 1, gap: 0, tiled, width: cols * cell, height: Math.ceil(n / cols) * cell };
    }
  }

  /** Top-left pixel of node i. */
  private position(i: number): [number, number] {
    const g = this.geometry;
    if (!g.tiled) return [(i % g.cols) * g.cell, Math.floor(i / g.cols) * g.cell];
    const per = g.tileW * g.tileH;
    const tile = Math.floor(i / per);
    const r = i % per;
    const tx = (tile % g.tilesPerRow) * (g.tileW * g.cell + g.gap);
    const ty = Math.floor(tile / g.tilesPerRow) * (g.tileH * g.cell + g.gap);
    return [tx + (r % g.tileW) * g.cell, ty + Math.floor(r / g.tileW) * g.cell];
  }

  private nodeAt(x: number, y: number): number {
    const g = this.geometry;
    const n = this.layer!.pMin.length;
    if (!g.tiled) {
      const i = Math.floor(y / g.cell) * g.cols + Math.floor(x / g.cell);
      return i < n && x < g.width ? i : -1;
    }
    const tw = g.tileW * g.cell + g.gap;
    const th = g.tileH * g.cell + g.gap;
    const tile = Math.floor(y / th) * g.tilesPerRow + Math.floor(x / tw);
    const cx = Math.floor((x % tw) / g.cell);
    const cy = Math.floor((y % th) / g.cell);
    if (cx >= g.tileW || cy >= g.tileH) return -1;
    const i = tile * g.tileW * g.tileH + cy * g.tileW + cx;
    return i < n ? i : -1;
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('layer') || changed.has('subset') || changed.has('nMax') || changed.has('selected')) this.draw();
  }

  private draw(): void {
    const canvas = this.renderRoot.querySelector('canvas');
    if (!canvas || !this.layer) return;
    this.layout();
    const g = this.geometry;
    canvas.width = g.width;
    canvas.height = g.height;
    const ctx = canvas.getContext('2d')!;
    const img = ctx.createImageData(g.width, g.height);
    const { pMin, pMax } = this.layer;
    const paint = (i: number, rgb: [number, number, number], inset = 0) => {
      const [x0, y0] = this.position(i);
      for (let y = y0 + inset; y < y0 + g.cell - inset; y++) {
        for (let x = x0 + inset; x < x0 + g.cell - inset; x++) {
          const o = (y * g.width + x) * 4;
          img.data[o] = rgb[0];
          img.data[o + 1] = rgb[1];
          img.data[o + 2] = rgb[2];
          img.data[o + 3] = 255;
        }
      }
    };
    for (let i = 0; i < pMin.length; i++) {
      const p = 0.5 * (pMin[i] + pMax[i]);
      paint(i, cividis(-Math.log10(p) / this.nMax));
    }
    ctx.putImageData(img, 0, 0);
    // Subset: outline cells (big cells) or a magenta dot (tiny cells).
    ctx.strokeStyle = '#ff2d95';
    ctx.fillStyle = '#ff2d95';
    ctx.lineWidth = 1;
    for (const i of this.subset) {
      const [x, y] = this.position(i);
      if (g.cell >= 6) ctx.strokeRect(x + 0.5, y + 0.5, g.cell - 1, g.cell - 1);
      else if (g.cell >= 3) ctx.fillRect(x + g.cell / 2 - 0.5, y + g.cell / 2 - 0.5, 1, 1);
    }
    const mark = this.selected >= 0 ? this.selected : this.matches(':focus-within') ? this.cursor : -1;
    if (mark >= 0) {
      const [x, y] = this.position(mark);
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = 2;
      ctx.strokeRect(x - 1, y - 1, g.cell + 2, g.cell + 2);
    }
  }

  private select(index: number): void {
    if (index < 0) return;
    this.selected = index;
    this.dispatchEvent(new CustomEvent('node-select', { detail: { index, layer: this.layer?.name }, bubbles: true, composed: true }));
  }

  private onClick(e: MouseEvent): void {
    const canvas = e.currentTarget as HTMLCanvasElement;
    const rect = canvas.getBoundingClientRect();
    const x = ((e.clientX - rect.left) / rect.width) * canvas.width;
    const y = ((e.clientY - rect.top) / rect.height) * canvas.height;
    this.select(this.nodeAt(x, y));
  }

  private onKey(e: KeyboardEvent): void {
    const n = this.layer?.pMin.length ?? 0;
    const step: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: this.geometry.tiled ? this.geometry.tileW : this.geometry.cols, ArrowUp: -(this.geometry.tiled ? this.geometry.tileW : this.geometry.cols) };
    if (e.key in step) {
      e.preventDefault();
      this.cursor = Math.min(n - 1, Math.max(0, this.cursor + step[e.key]));
      this.draw();
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.select(this.cursor);
    }
  }

  override render() {
    if (!this.layer) return html``;
    const l = this.layer;
    return html`<figure>
      <canvas
        tabindex="0"
        role="img"
        aria-label="p-value map of layer ${l.name}: ${l.pMin.length} nodes, ${this.subset.size} in the anomalous subset. Arrow keys move, Enter shows a node's histogram."
        @click=${this.onClick}
        @keydown=${this.onKey}
        @focus=${() => this.draw()}
        @blur=${() => this.draw()}
      ></canvas>
      <figcaption>
        <strong>${l.name}</strong> · ${l.pMin.length.toLocaleString('en')} nodes [${l.shape.join('×')}] · ${this.subset.size} in subset
        <span>p = 1 <span class="bar" style="background: linear-gradient(90deg, ${[0, 0.25, 0.5, 0.75, 1].map(cssColor).join(',')})"></span> 10<sup>−${this.nMax}</sup></span>
      </figcaption>
    </figure>`;
  }
}

if (!customElements.get('hs-pvalue-map')) customElements.define('hs-pvalue-map', PValueMap);
