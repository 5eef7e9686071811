// Which feature rows the feature-space peers (Mahalanobis, k-NN) read from a set of node values.
import { gaussFeatures } from '../core/gauss.ts';
import type { LayerLayout } from '../types.ts';

/**
 * - 'penultimate': the last monitored layer (with `--layers auto`, the last activation before the
 *   classifier head), as its channel means when it is a spatial tensor: the global average pooling
 *   most CNNs apply there, and a d small enough for a d×d covariance.
 * - 'channel-means': the channel means of every monitored layer, concatenated (Lee et al.'s
 *   multi-layer features, without their per-layer ensemble).
 * Channel means of a layer however the profile keeps it (per element, pooled to a grid, or one node
 * per channel) are the Gaussian part's (core/gauss.ts gaussFeatures), so peers and part read alike.
 */
export type PeerFeatures = 'penultimate' | 'channel-means';
export const PEER_FEATURES: readonly PeerFeatures[] = ['penultimate', 'channel-means'];

/** A monitored layer as the set holds it: one image's shape, its channel axis when not the first, its nodes. */
export type FeatureLayer = Pick<LayerLayout, 'shape' | 'nodes' | 'channelAxis'>;

/** Feature rows [rows, d] from node values [rows, nodes] laid out layer after layer. */
export function peerFeatures(values: Float32Array, rows: number, layers: readonly FeatureLayer[], choice: PeerFeatures = 'penultimate'): { d: number; values: Float32Array } {
  const nodes = layers.reduce((a, l) => a + l.nodes, 0);
  if (values.length !== rows * nodes) throw new RangeError(`${values.length} values for ${rows} rows of ${nodes} nodes.`);
  const read = { layers: choice === 'penultimate' ? 1 : layers.length };
  const first = gaussFeatures(values.subarray(0, nodes), layers, read);
  const d = first.length;
  const out = new Float32Array(rows * d);
  out.set(first);
  for (let r = 1; r < rows; r++) out.set(gaussFeatures(values.subarray(r * nodes, (r + 1) * nodes), layers, read, first), r * d);
  return { d, values: out };
}
