// cividis: perceptually uniform and readable with colour-vision deficiencies (Nuñez et al. 2018).
const STOPS: [number, number, number][] = [
  [0, 34, 78], [0, 42, 102], [18, 53, 112], [52, 64, 108], [75, 76, 107], [94, 88, 110], [111, 100, 115],
  [127, 112, 118], [143, 124, 118], [160, 136, 117], [178, 149, 113], [196, 162, 107], [214, 176, 98],
  [232, 190, 85], [249, 205, 68], [255, 234, 70],
];

export function cividis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = STOPS[i];
  const b = STOPS[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

export const cssColor = (t: number) => `rgb(${cividis(t).join(',')})`;
