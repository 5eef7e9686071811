// Layer tensors to node values. Pure typed-array loops, no ONNX and no DOM.
import type { Reduction } from '../types.ts';

const product = (dims: readonly number[], from = 0, to = dims.length) => {
  let p = 1;
  for (let i = from; i < to; i++) p *= dims[i];
  return p;
};

function check(data: Float32Array, dims: readonly number[], channelAxis: number): void {
  if (data.length !== product(dims)) throw new RangeError(`Layer data has ${data.length} values but shape [${dims.join(', ')}] needs ${product(dims)}.`);
  if (dims.length > 1 && !(Number.isInteger(channelAxis) && channelAxis >= 0 && channelAxis < dims.length)) {
    throw new RangeError(`Channel axis ${channelAxis} is outside shape [${dims.join(', ')}].`);
  }
}

/**
 * One image's layer tensor (batch removed) to node values.
 * - 'element': every value is a node (a copy).
 * - 'channel-mean' / 'channel-max': one node per channel, over every other axis. The channel axis
 *   defaults to 0: ONNX convolutions are channel-first inside the graph, whatever the input layout.
 * - Rank-0/1 tensors (dense features) are their own nodes under every reduction.
 */
export function reduceLayer(data: Float32Array, dims: readonly number[], how: Reduction, channelAxis = 0): Float32Array {
  check(data, dims, channelAxis);
  if (how === 'element' || dims.length <= 1) return data.slice();
  const channels = dims[channelAxis];
  const outer = product(dims, 0, channelAxis);
  const inner = product(dims, channelAxis + 1);
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

/** How many nodes reduceLayer gives for a layer of this shape (batch removed). */
export function layerNodeCount(dims: readonly number[], how: Reduction, channelAxis = 0): number {
  if (how === 'element' || dims.length <= 1) return product(dims);
  if (!(Number.isInteger(channelAxis) && channelAxis >= 0 && channelAxis < dims.length)) {
    throw new RangeError(`Channel axis ${channelAxis} is outside shape [${dims.join(', ')}].`);
  }
  return dims[channelAxis];
}
