// Where each node of a layer sits on the p-value map: pure geometry, so the drawing, the pointer and
// the keyboard agree on it (and tests check that they do).
import { elementCount, gridOf, poolGrid } from '../model/reduce.ts';
import type { LayerPValues } from '../result-types.ts';

export interface Geometry {
  /** One tile per channel (per-element layer) or one grid of cells (per-channel / dense layer). */
  tiled: boolean;
  /** Tile width / height in cells (tiled), or columns / rows of the single grid. */
  tileW: number;
  tileH: number;
  tilesPerRow: number;
  /** Grid size in cells, gaps of one cell between tiles included. */
  gridW: number;
  gridH: number;
  /** CSS pixels per cell. */
  scale: number;
  /** Channels of a per-element [H, W, C] layer, whose nodes run channel-fastest; absent where nodes run channel by channel. */
  channelsLast?: number;
}

/** The [C, H, W] view of a layer: a channels-last rank-3 layer (a MatMul's [H, W, C], model/reduce.ts channelAxisOf) reordered. */
function chw(shape: readonly number[], channelAxis: number): readonly number[] {
  return shape.length === 3 && channelAxis === 2 ? [shape[2], shape[0], shape[1]] : shape;
}

/** A layer as the map reads it: its tensor's shape, how it became nodes, where its channels are. */
export type MapLayer = Pick<LayerPValues, 'shape' | 'reduction' | 'channelAxis'>;

/**
 * Per-element layers ([…, C, H, W], or [H, W, C] with the channel axis last, one node per element) and pooled
 * ones get one tile per channel, tiles one cell apart in rows of about a 1.6 aspect ratio; other layers one grid of square cells.
 */
export function gridGeometry(l: MapLayer, n: number, maxWidth: number, maxCell: number): Geometry {
  const shape = chw(l.shape, l.channelAxis ?? 0);
  const pooled = pooledGrid(l);
  const h = pooled?.[0] ?? (shape.length >= 2 ? shape[shape.length - 2] : 1);
  const w = pooled?.[1] ?? (shape.length >= 2 ? shape[shape.length - 1] : 1);
  if ((pooled || (l.reduction === 'element' && elementCount(shape) === n)) && n > 0 && h * w > 1) {
    const c = n / (h * w);
    const tilesPerRow = Math.max(1, Math.min(c, Math.ceil(Math.sqrt((c * 1.6 * h) / w))));
    const rows = Math.ceil(c / tilesPerRow);
    const gridW = tilesPerRow * (w + 1) - 1;
    const gridH = rows * (h + 1) - 1;
    // Pooled nodes are channel by channel whatever the axis (reduce.ts poolLayer); a per-element [H, W, C] layer's are not.
    const channelsLast = shape !== l.shape && !pooled ? { channelsLast: c } : {};
    return { tiled: true, tileW: w, tileH: h, tilesPerRow, gridW, gridH, scale: fit(maxWidth / gridW, maxCell), ...channelsLast };
  }
  const cols = Math.max(1, Math.min(n, Math.ceil(Math.sqrt(n * 4))));
  const rows = Math.max(1, Math.ceil(n / cols));
  return { tiled: false, tileW: cols, tileH: rows, tilesPerRow: 1, gridW: cols, gridH: rows, scale: fit(maxWidth / cols, maxCell) };
}

/** Rows and columns of the grid per channel of a pooled [C, H, W] layer (model/reduce.ts gridOf), null where it is not pooled to more than one cell. */
export function pooledGrid(l: MapLayer): [rows: number, cols: number] | null {
  const g = poolGrid(l.reduction);
  if (!g || l.shape.length !== 3) return null;
  const [rows, cols] = gridOf(l.shape, g, l.channelAxis ?? 0);
  return rows * cols > 1 ? [rows, cols] : null;
}

/** Whether the layer's channels are all its tensor holds besides them ([C, 1, 1], a squeeze-and-excitation gate). */
const onlyChannels = (l: MapLayer) => elementCount(l.shape) === l.shape[l.channelAxis ?? 0];

/** Whether node i is channel i's (feature i's in a [tokens, features] layer): its mean or max, or the one element of a [C, 1, 1] map. */
export function perChannel(l: MapLayer): boolean {
  if (l.shape.length < 2) return false;
  return l.reduction === 'channel-mean' || l.reduction === 'channel-max' || onlyChannels(l);
}

/** How a layer's nodes stand for its tensor, for a caption: '' where one node is one element. */
export function reductionText(l: MapLayer): string {
  const g = pooledGrid(l);
  if (g) return `${g[0]}×${g[1]} means per channel`;
  if (l.shape.length < 2 || onlyChannels(l) || (l.reduction !== 'channel-mean' && l.reduction !== 'channel-max')) return '';
  const what = l.reduction === 'channel-mean' ? 'mean' : 'maximum';
  // A transformer's [tokens, features] read per feature over the tokens.
  return l.shape.length === 2 && l.channelAxis === 1 ? `one ${what} per feature over ${l.shape[0]} tokens` : `one ${what} per channel`;
}

/** Where node i is drawn, as an index in channel-by-channel order (the same index but for a per-element [H, W, C] layer). */
export function drawnIndex(g: Geometry, i: number): number {
  const c = g.channelsLast;
  return c ? (i % c) * g.tileW * g.tileH + Math.floor(i / c) : i;
}

/** The node drawn at index j in channel-by-channel order (drawnIndex's inverse). */
export function nodeOfDrawn(g: Geometry, j: number): number {
  const c = g.channelsLast;
  if (!c) return j;
  const per = g.tileW * g.tileH;
  return (j % per) * c + Math.floor(j / per);
}

/** Grid cell (x, y) of node i. */
export function cellOf(g: Geometry, node: number): [number, number] {
  if (!g.tiled) return [node % g.tileW, Math.floor(node / g.tileW)];
  const i = drawnIndex(g, node);
  const per = g.tileW * g.tileH;
  const tile = Math.floor(i / per);
  const r = i % per;
  return [(tile % g.tilesPerRow) * (g.tileW + 1) + (r % g.tileW), Math.floor(tile / g.tilesPerRow) * (g.tileH + 1) + Math.floor(r / g.tileW)];
}

/** The node of n at grid coordinates (fractional cells), -1 for a gap or outside. */
export function nodeAt(g: Geometry, n: number, gx: number, gy: number): number {
  if (gx < 0 || gy < 0 || gx >= g.gridW || gy >= g.gridH) return -1;
  if (!g.tiled) {
    const i = Math.floor(gy) * g.tileW + Math.floor(gx);
    return i < n ? i : -1;
  }
  const tx = Math.floor(gx / (g.tileW + 1));
  const ty = Math.floor(gy / (g.tileH + 1));
  const cx = Math.floor(gx - tx * (g.tileW + 1));
  const cy = Math.floor(gy - ty * (g.tileH + 1));
  if (cx >= g.tileW || cy >= g.tileH || tx >= g.tilesPerRow) return -1;
  const i = (ty * g.tilesPerRow + tx) * g.tileW * g.tileH + cy * g.tileW + cx;
  return i < n ? nodeOfDrawn(g, i) : -1;
}

/** Cell size: whole CSS pixels when a cell is at least one pixel wide, capped at `max`. */
function fit(s: number, max: number): number {
  return s >= 1 ? Math.min(max, Math.floor(s)) : s;
}
