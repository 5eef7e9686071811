import { rng } from '../../src/core/rng.ts';

/** ReLU-like activations: per node a share of exact zeros, the rest heavy-tailed (log-normal). */
export function reluRows(n: number, nodes: number, seed = 1): Float32Array {
  const r = rng(seed);
  const zeroShare = Float32Array.from({ length: nodes }, () => 0.2 + 0.7 * r());
  const scale = Float32Array.from({ length: nodes }, () => Math.exp(3 * r() - 1.5));
  const out = new Float32Array(n * nodes);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < nodes; j++) {
      if (r() < zeroShare[j]) continue;
      const g = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
      out[i * nodes + j] = scale[j] * Math.exp(0.8 * g);
    }
  }
  return out;
}

export const layers1 = (nodes: number) => [{ name: 'layer', shape: [nodes], nodes }];
