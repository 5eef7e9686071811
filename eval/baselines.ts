// Detectors users pick instead of subset scanning, on the same activations: maximum softmax
// probability, Mahalanobis distance (class-conditional means, shared covariance) and k-NN distance.

/** 1 - max softmax: larger = more unusual. */
export function msp(logits: Float32Array[]): number[] {
  return logits.map((l) => {
    const m = Math.max(...l);
    let s = 0;
    for (const v of l) s += Math.exp(v - m);
    return 1 - 1 / s;
  });
}

/** Features [rows, dim] taken from a node set's columns [from, to). */
export function columns(values: Float32Array, rows: number, nodes: number, from: number, to: number): Float64Array {
  const d = to - from;
  const out = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) out[r * d + j] = values[r * nodes + from + j];
  return out;
}

/** Cholesky factor of a symmetric positive definite matrix (in place, lower). */
function cholesky(a: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j];
      for (let k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
      l[i * d + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / l[j * d + j];
    }
  }
  return l;
}

export interface Mahalanobis {
  bytes: number;
  score(x: Float64Array): number;
}

/**
 * Class-conditional Gaussian with shared covariance (Lee et al. 2018): distance to the closest
 * class mean; classes from the background labels (the model's predictions).
 */
export function fitMahalanobis(feats: Float64Array, rows: number, d: number, labels: number[]): Mahalanobis {
  const classes = Math.max(...labels) + 1;
  const means = new Float64Array(classes * d);
  const counts = new Float64Array(classes);
  for (let r = 0; r < rows; r++) {
    counts[labels[r]]++;
    for (let j = 0; j < d; j++) means[labels[r] * d + j] += feats[r * d + j];
  }
  for (let c = 0; c < classes; c++) for (let j = 0; j < d; j++) means[c * d + j] /= Math.max(1, counts[c]);
  const cov = new Float64Array(d * d);
  const diff = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < d; j++) diff[j] = feats[r * d + j] - means[labels[r] * d + j];
    for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) cov[i * d + j] += diff[i] * diff[j];
  }
  let trace = 0;
  for (let i = 0; i < d; i++) trace += cov[i * d + i] / rows;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) cov[i * d + j] = cov[j * d + i] = cov[i * d + j] / rows;
    cov[i * d + i] += 1e-6 * (trace / d) + 1e-9; // dead units make the covariance singular
  }
  const L = cholesky(cov, d);
  const y = new Float64Array(d);
  return {
    bytes: (classes * d + d * d) * 4,
    score(x) {
      let best = Infinity;
      for (let c = 0; c < classes; c++) {
        // Solve L y = x - mu; distance^2 = |y|^2.
        let dist = 0;
        for (let i = 0; i < d; i++) {
          let s = x[i] - means[c * d + i];
          for (let k = 0; k < i; k++) s -= L[i * d + k] * y[k];
          y[i] = s / L[i * d + i];
          dist += y[i] * y[i];
        }
        if (dist < best) best = dist;
      }
      return best;
    },
  };
}

/** Distance to the k-th nearest background feature vector (Sun et al. 2022 use normalised features). */
export function fitKnn(feats: Float64Array, rows: number, d: number, k = 10): { bytes: number; score(x: Float64Array): number } {
  const norm = (v: Float64Array, off: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += v[off + j] ** 2;
    return Math.sqrt(s) || 1;
  };
  const bank = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) {
    const n = norm(feats, r * d);
    for (let j = 0; j < d; j++) bank[r * d + j] = feats[r * d + j] / n;
  }
  const dists = new Float64Array(rows);
  return {
    bytes: bank.byteLength,
    score(x) {
      const n = norm(x, 0);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += (bank[r * d + j] - x[j] / n) ** 2;
        dists[r] = s;
      }
      return Math.sqrt(dists.slice().sort()[k - 1]);
    },
  };
}
