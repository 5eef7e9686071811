// Minimal SVG line/scatter plots for reports (no DOM needed in Node). Plots are inline SVG in one
// self-contained HTML page, which needs no namespace declaration and loads nothing.

export interface Series {
  name: string;
  x: number[];
  y: number[];
  color?: string;
  dashed?: boolean;
  points?: boolean;
}

/** Okabe-Ito colours, told apart by colour-blind readers too. */
export const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#000000', '#f0e442'];
/** Text for HTML, in an element or a quoted attribute. */
export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

export function plot(opts: { title: string; xLabel: string; yLabel: string; series: Series[]; xLog?: boolean; xRange?: [number, number]; yRange?: [number, number]; diagonal?: boolean }): string {
  const W = 520;
  const H = 380;
  const total = H + 16 * opts.series.length + 20; // legend below the plot, never over the curves
  const m = { l: 56, r: 16, t: 34, b: 46 };
  const xs = opts.series.flatMap((s) => s.x);
  const ys = opts.series.flatMap((s) => s.y);
  const tx = (v: number) => (opts.xLog ? Math.log10(v) : v);
  const [x0, x1] = opts.xRange ?? [Math.min(...xs.map(tx)), Math.max(...xs.map(tx))];
  const [y0, y1] = opts.yRange ?? [Math.min(...ys), Math.max(...ys)];
  const px = (v: number) => m.l + ((tx(v) - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const py = (v: number) => H - m.b - ((v - y0) / (y1 - y0 || 1)) * (H - m.t - m.b);
  const ticks = (a: number, b: number) => Array.from({ length: 6 }, (_, i) => a + ((b - a) * i) / 5);
  const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toExponential(0) : Number(v.toFixed(2)).toString());
  const out: string[] = [];
  out.push(`<svg viewBox="0 0 ${W} ${total}" width="${W}" font-family="sans-serif" font-size="11" role="img" aria-label="${esc(opts.title)}">`);
  out.push(`<rect width="${W}" height="${total}" fill="white"/>`);
  // About 64 bold characters fit across the plot; a longer title (a long set name) is cut, whole in its tooltip.
  const title = opts.title.length > 64 ? `${opts.title.slice(0, 63)}…` : opts.title;
  out.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold"><title>${esc(opts.title)}</title>${esc(title)}</text>`);
  // A log axis ticks at whole powers of ten (0.001, 0.01, … or 1e4, 1e5, …) where the range holds two.
  const decades = Array.from({ length: Math.max(0, Math.floor(x1) - Math.ceil(x0) + 1) }, (_, i) => Math.ceil(x0) + i);
  const logLabel = (t: number) => (t < 0 ? String(Number((10 ** t).toPrecision(1))) : t <= 3 ? String(10 ** t) : `1e${t}`);
  for (const t of opts.xLog && decades.length >= 2 ? decades : ticks(x0, x1)) {
    const x = m.l + ((t - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
    out.push(`<line x1="${x}" x2="${x}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/><text x="${x}" y="${H - m.b + 14}" text-anchor="middle">${opts.xLog ? logLabel(Number.isInteger(t) ? t : Number(t.toFixed(1))) : fmt(t)}</text>`);
  }
  for (const t of ticks(y0, y1)) {
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/><text x="${m.l - 6}" y="${py(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${H / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`);
  if (opts.diagonal) out.push(`<line x1="${px(x0)}" y1="${py(y0)}" x2="${px(x1)}" y2="${py(y1)}" stroke="#bbb" stroke-dasharray="4 4"/>`);
  opts.series.forEach((s, i) => {
    const c = s.color ?? PALETTE[i % PALETTE.length];
    const pts = s.x.map((x, k) => `${px(x).toFixed(1)},${py(s.y[k]).toFixed(1)}`);
    if (s.points) for (const p of pts) out.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="4" fill="${c}"/>`);
    else out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" ${s.dashed ? 'stroke-dasharray="6 3"' : ''} points="${pts.join(' ')}"/>`);
    const ly = H + 16 + i * 16;
    const swatch = s.points ? `<circle cx="${m.l + 6}" cy="${ly - 7}" r="4" fill="${c}"/>` : `<rect x="${m.l}" y="${ly - 9}" width="12" height="3" fill="${c}"/>`;
    out.push(`${swatch}<text x="${m.l + 16}" y="${ly - 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

/** One offline HTML page holding the plots side by side. */
export function plotPage(title: string, plots: string[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:1rem}main{display:flex;flex-wrap:wrap;gap:1rem}section{display:flex;flex-wrap:wrap;gap:1rem;flex-basis:100%}figure{margin:0;font-size:13px;max-width:520px}figure div{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-start;margin:.4rem 0}figure span{display:inline-flex;flex-direction:column;align-items:center;min-width:92px;max-width:200px;overflow-wrap:anywhere;font-size:11px}figure img{height:84px;width:auto;min-width:84px;max-width:200px;object-fit:contain;image-rendering:pixelated;background:#eee}figure b{flex:none;width:6rem;overflow-wrap:anywhere}figure i{display:flex;width:84px;height:84px;align-items:center;justify-content:center;text-align:center;background:#eee;font-size:10px}</style></head>
<body><h1>${esc(title)}</h1><main>
${plots.join('\n')}
</main></body></html>
`;
}
