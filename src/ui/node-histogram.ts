import { css, html, LitElement, svg } from 'lit';
import type { NodeHistogram as Hist } from '../worker/worker.ts';

/** One node's background histogram (bars as wide as their bins), the observed value marked. */
export class NodeHistogram extends LitElement {
  static override properties = {
    hist: { attribute: false },
    value: { type: Number },
    pRange: { attribute: false },
  };

  hist: Hist | null = null;
  value = NaN;
  pRange: [number, number] = [NaN, NaN];

  static override styles = css`
    :host { display: block; max-width: 460px; }
    svg { width: 100%; height: auto; font: 11px system-ui, sans-serif; }
    .bar { fill: #5b7aa8; }
    .axis { stroke: #888; }
    .mark { stroke: #d7263d; stroke-width: 2; }
    text { fill: currentColor; }
    p { margin: 0.25rem 0; font-size: 0.85rem; }
  `;

  override render() {
    const h = this.hist;
    if (!h) return html``;
    const W = 440;
    const H = 160;
    const pad = { l: 36, r: 12, t: 22, b: 26 };
    const lo = Math.min(h.lo, h.edges[0]);
    const hiEdge = Math.max(h.hi, h.edges[h.edges.length - 1]);
    const above = this.value > h.hi;
    const below = this.value < h.lo;
    const span = hiEdge - lo || 1;
    const xs = (v: number) => pad.l + ((Math.min(hiEdge, Math.max(lo, v)) - lo) / span) * (W - pad.l - pad.r);
    // Density (count per unit width) so unequal tail bins are drawn honestly; log axis keeps tails visible.
    const dens = h.counts.map((c, k) => c / Math.max(1e-12, h.edges[k + 1] - h.edges[k] || span / 1e6));
    const maxD = Math.max(...dens.map((d) => Math.log1p(d)), 1e-9);
    const ys = (d: number) => H - pad.b - (Math.log1p(d) / maxD) * (H - pad.t - pad.b);
    const ticks = [lo, lo + span / 2, hiEdge];
    const mx = xs(this.value);
    const fmt = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : v.toFixed(2));
    const fmtP = (p: number) => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));
    const where = above ? 'above every background value' : below ? 'below every background value' : `p ∈ [${fmtP(this.pRange[0])}, ${fmtP(this.pRange[1])}]`;
    const label = `Background histogram of ${h.layer} node ${h.index} (${h.count} images); this image: ${fmt(this.value)}, ${where}`;
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label=${label}>
        ${h.counts.map((c, k) => {
          const x0 = xs(h.edges[k]);
          const x1 = Math.max(x0 + 1, xs(h.edges[k + 1]));
          const y = ys(dens[k]);
          return svg`<rect class="bar" x=${x0} y=${y} width=${Math.max(1, x1 - x0 - 0.5)} height=${H - pad.b - y}><title>[${fmt(h.edges[k])}, ${fmt(h.edges[k + 1])}): ${c} images</title></rect>`;
        })}
        <line class="axis" x1=${pad.l} x2=${W - pad.r} y1=${H - pad.b} y2=${H - pad.b}></line>
        ${ticks.map((t) => svg`<text x=${xs(t)} y=${H - 8} text-anchor="middle">${fmt(t)}</text>`)}
        <text x=${pad.l - 4} y=${pad.t + 4} text-anchor="end">log</text>
        <line class="mark" x1=${mx} x2=${mx} y1=${pad.t - 6} y2=${H - pad.b}></line>
        ${above ? svg`<path d="M ${mx - 6} ${pad.t - 10} l 6 4 l -6 4" stroke="#d7263d" fill="none"></path>` : ''}
        <text x=${Math.min(W - 120, Math.max(pad.l, mx - 60))} y=${12} fill="#d7263d">this image: ${fmt(this.value)}</text>
      </svg>
      <p>${h.layer} · node ${h.index} · ${where} · ${h.count.toLocaleString('en')} background images</p>`;
  }
}

if (!customElements.get('hs-node-histogram')) customElements.define('hs-node-histogram', NodeHistogram);
