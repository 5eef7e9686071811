// Which feature rows the feature-space peers (Mahalanobis, k-NN) read from a set of node values.
import { reduceLayer } from '../model/reduce.ts';

/**
 * - 'penultimate': the last monitored layer (with `--layers auto`, the last activation before the
 *   classifier head), as its channel means when it is a spatial tensor kept per element: the global
 *   average pooling most CNNs apply there, and a d small enough for a d×d covariance.
 * - 'channel-means': the channel means of every monitored layer, concatenated (Lee et al.'s
 *   multi-layer features, without their per-layer ensemble).
 * A layer already reduced to one node per channel ('channel-mean' or 'channel-max' profiles) is
 * taken as it is.
 */
export type PeerFeatures = 'penultimate' | 'channel-means';
export const PEER_FEATURES: readonly PeerFeatures[] = ['penultimate', 'channel-means'];

export interface FeatureLayer {
  /** Shape of one image's layer tensor, batch removed. */
  shape: readonly number[];
  /** Its channel axis when not the first (a transformer's [tokens, features]: 1). */
  channelAxis?: number;
  /** Node values this layer has in the set (all elements, or one per channel). */
  nodes: number;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const perChannel = (l: FeatureLayer) => (l.shape.length >= 2 && l.nodes === size(l.shape) ? l.shape[l.channelAxis ?? 0] : l.nodes);

/** Feature rows [rows, d] from node values [rows, nodes] laid out layer after layer. */
export function peerFeatures(values: Float32Array, rows: number, layers: readonly FeatureLayer[], choice: PeerFeatures = 'penultimate'): { d: number; values: Float32Array } {
  const nodes = layers.reduce((a, l) => a + l.nodes, 0);
  if (values.length !== rows * nodes) throw new RangeError(`${values.length} values for ${rows} rows of ${nodes} nodes.`);
  const offsets = layers.map((_, i) => layers.slice(0, i).reduce((a, l) => a + l.nodes, 0));
  const used = choice === 'penultimate' ? [layers.length - 1] : layers.map((_, i) => i);
  const d = used.reduce((a, i) => a + perChannel(layers[i]), 0);
  const out = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) {
    let dst = r * d;
    for (const i of used) {
      const l = layers[i];
      const src = values.subarray(r * nodes + offsets[i], r * nodes + offsets[i] + l.nodes);
      const f = perChannel(l) === l.nodes ? src : reduceLayer(src, l.shape, 'channel-mean', l.channelAxis ?? 0);
      out.set(f, dst);
      dst += f.length;
    }
  }
  return { d, values: out };
}
