// The detectors users pick instead of histoscan ("peers"), fitted on the same background images and
// scored on the same images, so `histoscan eval` and `npm run eval` compare on equal terms.
// Pure typed-array code: no ONNX, no DOM.
import { energy } from '../core/energy.ts';
import { peerFeatures, type FeatureLayer, type PeerFeatures } from './features.ts';
import { fitKnn } from './knn.ts';
import { checkMahalanobisDim, fitMahalanobis } from './mahalanobis.ts';
import { msp } from './msp.ts';

export { energy } from '../core/energy.ts';
export { msp } from './msp.ts';
export { fitKnn, type Knn } from './knn.ts';
export { fitMahalanobis, ledoitWolf, MAX_MAHALANOBIS_DIM, MIN_SHRINKAGE, type FeatureRows, type Mahalanobis, type MahalanobisOptions } from './mahalanobis.ts';
export { cholesky, forwardSolve, nearestMean } from '../core/linalg.ts';
export { peerFeatures, PEER_FEATURES, type FeatureLayer, type PeerFeatures } from './features.ts';

export type PeerName = 'mahalanobis' | 'knn' | 'msp' | 'energy';
export const PEER_NAMES: readonly PeerName[] = ['mahalanobis', 'knn', 'msp', 'energy'];

/** Node values [rows, nodes] and logits of a set of images (node-sets.ts's NodeSet fits). */
export interface PeerInput {
  rows: number;
  values: Float32Array;
  logits: ArrayLike<number>[];
}

export interface Peer {
  name: string;
  /** Bytes the fitted peer holds. */
  bytes: number;
  /** One score per image; larger = more unusual. */
  score(set: PeerInput): number[];
}

export interface PeerOptions {
  features?: PeerFeatures;
  /** k of k-NN (default 10). */
  k?: number;
  shrinkage?: 'ledoit-wolf' | number;
}

const argmax = (l: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
  return best;
};

/** Refuses, before any image is read, a peer that could not be fitted on these layers' features (Mahalanobis on too many). */
export function checkPeers(names: readonly string[], layers: readonly FeatureLayer[], opts: PeerOptions = {}): void {
  if (names.includes('mahalanobis')) checkMahalanobisDim(peerFeatures(new Float32Array(layers.reduce((n, l) => n + l.nodes, 0)), 1, layers, opts.features).d);
}

const joined = (arrays: Float32Array[]): Float32Array => {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  arrays.reduce((at, a) => (out.set(a, at), at + a.length), 0);
  return out;
};

/**
 * Fits one peer on the background (or on several sets of known-good images, as one: their features
 * are joined, not their node values); the layers say how node values map to features.
 */
export function fitPeer(name: PeerName, known: PeerInput | readonly PeerInput[], layers: readonly FeatureLayer[], opts: PeerOptions = {}): Peer {
  if (name === 'msp') return { name: 'max softmax probability', bytes: 0, score: (set) => set.logits.map(msp) };
  if (name === 'energy') return { name: 'energy (T=1)', bytes: 0, score: (set) => set.logits.map(energy) };
  const features = opts.features ?? 'penultimate';
  const feats = (set: PeerInput) => peerFeatures(set.values, set.rows, layers, features);
  const sets: readonly PeerInput[] = Array.isArray(known) ? known : [known];
  const parts = sets.map(feats);
  const bg = parts.length === 1 ? parts[0] : { d: parts[0].d, values: joined(parts.map((f) => f.values)) };
  const background = { rows: sets.reduce((n, s) => n + s.rows, 0), logits: sets.flatMap((s) => s.logits) };
  const rowsOf = (set: PeerInput) => {
    const f = feats(set);
    return Array.from({ length: set.rows }, (_, r) => f.values.subarray(r * f.d, (r + 1) * f.d));
  };
  if (name === 'mahalanobis') {
    // Classes are the model's predictions: the labels of a user's background are not known.
    const m = fitMahalanobis(bg.values, background.rows, bg.d, background.logits.map(argmax), { shrinkage: opts.shrinkage });
    return { name: `mahalanobis (${features})`, bytes: m.bytes, score: (set) => rowsOf(set).map((x) => m.score(x)) };
  }
  const k = opts.k ?? 10;
  const knn = fitKnn(bg.values, background.rows, bg.d, k);
  return { name: `knn k=${k} (${features})`, bytes: knn.bytes, score: (set) => rowsOf(set).map((x) => knn.score(x)) };
}
