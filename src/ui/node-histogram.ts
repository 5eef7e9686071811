import { css, html, LitElement, svg } from 'lit';
import type { NodeHistogramData as Hist } from '../types.ts';
import { fmtBins, fmtP, fmtTicks, fmtValue, layerLabel } from './format.ts';
import { defineOnce } from './events.ts';
import { counted } from '../core/words.ts';

/** The narrowest bar drawn, in viewBox units (440 across). */
const SPIKE = 3;

/**
 * One node's background histogram with the observed value marked. Bars are as wide as their bins
 * in value space (tail bins can be much wider than the rest), so their height is a density
 * (count / bin width); hovering a bar shows its range and count. The observed value is a red line
 * labelled with its p-value range; beyond the background range it sits at the edge with an arrow.
 * Where the node's p-value came from the predicted class's histogram, that is the one drawn.
 * @tagname hs-node-histogram
 */
export class NodeHistogram extends LitElement {
  static override properties = {
    hist: { attribute: false },
    value: { type: Number },
    pRange: { attribute: false },
    logY: { type: Boolean, attribute: 'log-y' },
    classLabel: { attribute: false },
  };

  hist: Hist | null = null;
  /** Observed value of the node for this image. */
  value = NaN;
  /** [pMin, pMax] of the observed value. */
  pRange: [number, number] = [NaN, NaN];
  /** Log-scaled y axis (log(1 + density)); linear by default. */
  logY = true;
  /** The predicted class's name where the histogram is that class's (hist.cls set). */
  classLabel = '';

  static override styles = css`
    :host { display: block; max-width: 460px; }
    svg { display: block; width: 100%; height: auto; font: 11px system-ui, sans-serif; overflow: visible; }
    .bar { fill: var(--histoscan-bar, #5b7aa8); }
    .bar:hover { fill: var(--histoscan-accent, #2f4f80); }
    .axis { stroke: var(--histoscan-muted, #888); fill: none; }
    .mark { stroke: var(--histoscan-mark, #d7263d); stroke-width: 2; fill: none; }
    .mark-label { fill: var(--histoscan-mark, #d7263d); font-weight: 600; }
    text { fill: currentColor; }
    p { margin: 0.25rem 0; font-size: 0.85rem; }
  `;

  override render() {
    const h = this.hist;
    if (!h) return html``;
    if (!h.counts.length || h.edges.length < 2) return html`<p>No background histogram for ${layerLabel(h.layer)} node ${h.index}.</p>`;
    const W = 440;
    const H = 170;
    const pad = { l: 40, r: 16, t: 30, b: 30 };
    const plotW = W - pad.l - pad.r;
    const plotH = H - pad.t - pad.b;
    let lo = Math.min(h.lo, h.edges[0]);
    let hi = Math.max(h.hi, h.edges[h.edges.length - 1]);
    if (!(hi > lo)) {
      const d = Math.abs(lo) * 0.05 || 0.5;
      lo -= d;
      hi += d;
    }
    const span = hi - lo;
    const xs = (v: number) => pad.l + ((Math.min(hi, Math.max(lo, v)) - lo) / span) * plotW;
    const base = H - pad.b;

    // Density per bin; a zero-width bin (all its values equal) is drawn as a narrow spike.
    const minW = span / plotW;
    const dens = h.counts.map((c, k) => c / Math.max(minW, h.edges[k + 1] - h.edges[k]));
    const yv = (d: number) => (this.logY ? Math.log1p(d) : d);
    const maxY = Math.max(...dens.map(yv), 1e-12);
    const ys = (d: number) => base - (yv(d) / maxY) * plotH;
    const ticks = Array.from({ length: 5 }, (_, i) => lo + (span * i) / 4);
    const tickText = fmtTicks(ticks);

    const v = this.value;
    const has = Number.isFinite(v);
    const above = has && v > h.hi;
    const below = has && v < h.lo;
    const mx = above ? W - pad.r : below ? pad.l : xs(v);
    const pText = `p ∈ [${fmtP(this.pRange[0])}, ${fmtP(this.pRange[1])}]`;
    const where = above ? 'above every background value' : below ? 'below every background value' : pText;
    const markLabel = above || below ? `this image: ${fmtValue(v)}, ${where}` : `this image: ${fmtValue(v)} (${pText})`;
    const right = mx > pad.l + plotW / 2;
    const images = `${h.count.toLocaleString('en')} background images${h.cls !== undefined ? ` the model called ${this.classLabel || `class ${h.cls}`}` : ''}`;
    const label =
      `Background histogram of ${layerLabel(h.layer)} node ${h.index} over ${images}, values ${fmtValue(h.lo)} to ${fmtValue(h.hi)}` +
      (has ? `; this image: ${fmtValue(v)}, ${above || below ? `${where}, ${pText}` : pText}.` : '.');
    const ay = pad.t - 10;

    const bins = fmtBins(h.edges);
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label=${label}>
        ${h.counts.map((c, k) => {
          const x0 = xs(h.edges[k]);
          const x1 = xs(h.edges[k + 1]);
          // A bin narrower than a spike (an atom: a ReLU's 0, a constant border's value) is drawn SPIKE wide about its
          // middle and right of the axis: at 1 px it hid under the axis or read as a hairline, though it often holds most images.
          const [x, w] = x1 - x0 < SPIKE ? [Math.max(pad.l + 1, (x0 + x1 - SPIKE) / 2), SPIKE] : [x0, x1 - x0 - 0.5];
          const y = c > 0 ? Math.min(base - 1, ys(dens[k])) : base;
          return svg`<rect class="bar" x=${x} y=${y} width=${w} height=${base - y}><title>${bins[k]}: ${counted(c, 'image')}</title></rect>`;
        })}
        <path class="axis" d="M ${pad.l} ${pad.t - 4} V ${base} H ${W - pad.r}"></path>
        ${ticks.map(
          (t, i) => svg`<line class="axis" x1=${xs(t)} x2=${xs(t)} y1=${base} y2=${base + 4}></line>
            <text x=${xs(t)} y=${base + 16} text-anchor=${i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'middle'}>${tickText[i]}</text>`,
        )}
        <text x=${pad.l - 6} y=${pad.t + plotH / 2} text-anchor="middle" transform="rotate(-90 ${pad.l - 6} ${pad.t + plotH / 2})">${this.logY ? 'log density' : 'density'}</text>
        ${has
          ? svg`<line class="mark" x1=${mx} x2=${mx} y1=${ay} y2=${base}></line>
            ${above ? svg`<path class="mark" d="M ${mx - 16} ${ay + 8} H ${mx - 3} M ${mx - 8} ${ay + 4} L ${mx - 3} ${ay + 8} L ${mx - 8} ${ay + 12}"></path>` : ''}
            ${below ? svg`<path class="mark" d="M ${mx + 16} ${ay + 8} H ${mx + 3} M ${mx + 8} ${ay + 4} L ${mx + 3} ${ay + 8} L ${mx + 8} ${ay + 12}"></path>` : ''}
            <text class="mark-label" x=${right ? mx - 4 : mx + 4} y=${ay - 4} text-anchor=${right ? 'end' : 'start'}>${markLabel}</text>`
          : ''}
      </svg>
      <p title=${h.layer}>${layerLabel(h.layer)} · node ${h.index} · ${images}${has ? html` · this image ${fmtValue(v)}: ${where}${above || below ? ` (${pText})` : ''}` : ''}</p>`;
  }
}

defineOnce('hs-node-histogram', NodeHistogram);
