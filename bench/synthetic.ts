import { rng } from '../src/core/index.ts';

// ReLU-like activations: per node a share of exact zeros, the rest log-normal with a node scale.
// Log-normal draws come from a 64k quantile table so generating billions of values stays cheap.
const TABLE = (() => {
  const t = new Float32Array(65536);
  for (let i = 0; i < t.length; i++) {
    const u = (i + 0.5) / t.length;
    // Box-Muller on a stratified grid: normal-shaped enough for a benchmark, no RNG per entry
    const g = Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * ((i * 0.618034) % 1));
    t[i] = Math.exp(0.9 * g);
  }
  return t;
})();

export function generator(nodes: number, seed: number) {
  const r = rng(seed);
  const zero = Float32Array.from({ length: nodes }, () => Math.floor((0.2 + 0.7 * r()) * 65536));
  const scale = Float32Array.from({ length: nodes }, () => Math.exp(3 * r() - 1.5));
  return (rows: number, rowSeed: number) => {
    const out = new Float32Array(rows * nodes);
    let s = (rowSeed * 2654435761) >>> 0;
    for (let i = 0; i < out.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const j = i % nodes;
      const u = (s >>> 0) & 0xffff;
      out[i] = u < zero[j] ? 0 : scale[j] * TABLE[(s >>> 16) & 0xffff];
    }
    return out;
  };
}

