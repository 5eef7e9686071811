/**
 * cividis: perceptually uniform and readable with colour-vision deficiencies (Nuñez, Anderton and
 * Renslow 2018). 16 evenly spaced stops of matplotlib's 256-entry table (sRGB, 0-255), linearly
 * interpolated.
 */
const STOPS: readonly (readonly [number, number, number])[] = [
  [0, 34, 78], [0, 46, 108], [30, 58, 111], [53, 69, 108], [71, 81, 108], [87, 93, 109], [102, 105, 112], [117, 117, 117],
  [132, 130, 121], [148, 142, 119], [165, 156, 116], [183, 169, 110], [200, 184, 102], [219, 199, 90], [238, 214, 73], [254, 232, 56],
];

/** Colour at t in [0, 1] (clamped; +Infinity gives the top colour, NaN the bottom one). */
export function cividis(t: number): [number, number, number] {
  const u = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t));
  const x = u * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = STOPS[i];
  const b = STOPS[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** CSS colour string 'rgb(r,g,b)' for t in [0, 1]. */
export function cssColor(t: number): string {
  return `rgb(${cividis(t).join(',')})`;
}
