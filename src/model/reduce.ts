// Layer tensors to node values. Pure typed-array loops, no ONNX and no DOM.
import { REDUCTIONS } from '../core/layout.ts';
import type { Reduction } from '../types.ts';

/** How many values a tensor of these dims holds (of axes from .. to - 1 only, where given). */
export const elementCount = (dims: readonly number[], from = 0, to = dims.length) => {
  let p = 1;
  for (let i = from; i < to; i++) p *= dims[i];
  return p;
};

const validAxis = (dims: readonly number[], axis: number) => Number.isInteger(axis) && axis >= 0 && axis < dims.length;

/**
 * Where a layer's channels are, batch removed: the first axis of a convolution's C×H×W map (ONNX
 * convolutions are channel-first whatever the input layout), the last of a transformer's
 * [tokens, features] (MatMul writes the last axis), so channel-mean averages a feature over the
 * tokens, not a token over its features. `features` is what the graph says (model/onnx.ts
 * featureAxis); without it a rank-2 tensor is taken for [tokens, features].
 */
export function channelAxisOf(shape: readonly number[], features?: 'first' | 'last'): number {
  if (shape.length < 2) return 0;
  return (features ?? (shape.length === 2 ? 'last' : 'first')) === 'last' ? shape.length - 1 : 0;
}

/** Grid side of a pooling reduction, 0 for the others. */
export function poolGrid(how: Reduction): number {
  return how === 'pool4' ? 4 : how === 'pool2' ? 2 : 0;
}

/**
 * Rows and columns of a pooled C×H×W layer's grid: g each, or fewer where the map is smaller (a
 * 2×96 map pooled to 4×4 would repeat each row: the same value twice, which the scan would count
 * as two nodes of evidence).
 */
export function gridOf(dims: readonly number[], g: number, channelAxis: number): [rows: number, cols: number, ya: number, xa: number] {
  const [ya, xa] = [0, 1, 2].filter((a) => a !== channelAxis);
  return [Math.min(g, dims[ya]), Math.min(g, dims[xa]), ya, xa];
}

function check(data: Float32Array, dims: readonly number[], channelAxis: number, how: Reduction): void {
  if (data.length !== elementCount(dims)) throw new RangeError(`Layer data has ${data.length} values but shape [${dims.join(', ')}] needs ${elementCount(dims)}.`);
  if (dims.length > 1 && !validAxis(dims, channelAxis)) {
    throw new RangeError(`Channel axis ${channelAxis} is outside shape [${dims.join(', ')}].`);
  }
  if (poolGrid(how) && dims.length > 1 && dims.length !== 3) {
    throw new RangeError(`Reduction ${how} pools a C×H×W layer; shape [${dims.join(', ')}] is not one (use channel-mean or element).`);
  }
}

/**
 * One image's layer tensor (batch removed) to node values.
 * - 'element': every value is a node (a copy).
 * - 'pool4' / 'pool2': a C×H×W layer averaged over a grid of min(g, H) × min(g, W) cells per
 *   channel, nodes in [C, rows, cols] order. Adaptive like PyTorch's adaptive_avg_pool2d: cell i
 *   of g covers rows floor(i·H/g) .. ceil((i+1)·H/g) - 1, so any H, W works (cells overlap when g
 *   does not divide H; an axis shorter than g keeps one cell per row or column, none repeated).
 * - 'channel-mean' / 'channel-max': one node per channel, over every other axis (channelAxisOf
 *   decides a layer's axis once; its layout keeps it as `channelAxis`).
 * - Rank-0/1 tensors (dense features) are their own nodes under every reduction.
 */
export function reduceLayer(data: Float32Array, dims: readonly number[], how: Reduction, channelAxis = 0): Float32Array {
  check(data, dims, channelAxis, how);
  if (how === 'element' || dims.length <= 1) return data.slice();
  if (poolGrid(how)) return poolLayer(data, dims, poolGrid(how), channelAxis);
  const channels = dims[channelAxis];
  const outer = elementCount(dims, 0, channelAxis);
  const inner = elementCount(dims, channelAxis + 1);
  const out = new Float32Array(channels);
  if (how === 'channel-max') {
    out.fill(-Infinity);
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < channels; c++) {
        const base = (o * channels + c) * inner;
        let m = out[c];
        // NaN sticks (v !== v), so a non-finite activation still shows in the node.
        for (let i = base, end = base + inner; i < end; i++) if (data[i] > m || data[i] !== data[i]) m = data[i];
        out[c] = m;
      }
    }
    return out;
  }
  // Sums in float64, then one rounding to float32.
  const acc = new Float64Array(channels);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      let s = 0;
      for (let i = base, end = base + inner; i < end; i++) s += data[i];
      acc[c] += s;
    }
  }
  const per = outer * inner;
  for (let c = 0; c < channels; c++) out[c] = acc[c] / per;
  return out;
}

/** Adaptive average pooling of a rank-3 tensor to [C, rows, cols] (gridOf); the two other axes are the grid's rows and columns. */
function poolLayer(data: Float32Array, dims: readonly number[], g: number, channelAxis: number): Float32Array {
  const strides = [dims[1] * dims[2], dims[2], 1];
  const [gy, gx, ya, xa] = gridOf(dims, g, channelAxis);
  const [C, H, W] = [dims[channelAxis], dims[ya], dims[xa]];
  const [sc, sy, sx] = [strides[channelAxis], strides[ya], strides[xa]];
  const out = new Float32Array(C * Math.max(1, gy) * Math.max(1, gx));
  if (H === 0 || W === 0) return out.fill(NaN);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < gy; i++) {
      const y0 = Math.floor((i * H) / gy);
      const y1 = Math.ceil(((i + 1) * H) / gy);
      for (let j = 0; j < gx; j++) {
        const x0 = Math.floor((j * W) / gx);
        const x1 = Math.ceil(((j + 1) * W) / gx);
        // Sums in float64, then one rounding to float32 (NaN sticks by arithmetic).
        let s = 0;
        for (let y = y0; y < y1; y++) {
          const row = c * sc + y * sy;
          for (let x = x0; x < x1; x++) s += data[row + x * sx];
        }
        out[(c * gy + i) * gx + j] = s / ((y1 - y0) * (x1 - x0));
      }
    }
  }
  return out;
}

/** How many nodes reduceLayer gives for a layer of this shape (batch removed). */
export function layerNodeCount(dims: readonly number[], how: Reduction, channelAxis = 0): number {
  // The API takes plain strings from JavaScript too: a misspelt one must not fall through to a reduction it did not ask for.
  if (!REDUCTIONS.includes(how)) throw new RangeError(`Unknown reduction ${JSON.stringify(how)} (one of ${REDUCTIONS.join(', ')}).`);
  if (how === 'element' || dims.length <= 1) return elementCount(dims);
  if (!validAxis(dims, channelAxis)) {
    throw new RangeError(`Channel axis ${channelAxis} is outside shape [${dims.join(', ')}].`);
  }
  const g = poolGrid(how);
  if (g && dims.length !== 3) {
    throw new RangeError(`Reduction ${how} pools a C×H×W layer; shape [${dims.join(', ')}] is not one (use channel-mean or element).`);
  }
  if (!g) return dims[channelAxis];
  const [gy, gx] = gridOf(dims, g, channelAxis);
  return dims[channelAxis] * Math.max(1, gy) * Math.max(1, gx);
}
