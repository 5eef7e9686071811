import type { Reduction } from '../types.ts';

/**
 * One image's layer tensor (batch removed) to node values. Rank >= 2 tensors reduce over every
 * axis but the channel axis (0: ONNX convolutions are channel-first inside the graph, whatever
 * the input layout); rank-1 tensors are their own nodes.
 */
export function reduceLayer(data: Float32Array, dims: number[], how: Reduction, channelAxis = 0): Float32Array {
  if (how === 'element' || dims.length <= 1) return data.slice();
  const channels = dims[channelAxis];
  const inner = dims.slice(channelAxis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, channelAxis).reduce((a, b) => a * b, 1);
  const out = new Float32Array(channels);
  const per = outer * inner;
  for (let c = 0; c < channels; c++) {
    let acc = how === 'channel-max' ? -Infinity : 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) {
        const v = data[base + i];
        if (how === 'channel-max') {
          if (v > acc) acc = v;
        } else acc += v;
      }
    }
    out[c] = how === 'channel-max' ? acc : acc / per;
  }
  return out;
}
