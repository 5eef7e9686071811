import type { LayerLayout, ProfileHeader, Reduction } from '../types.ts';

/** Layer name and index within the layer of a flat node index. */
export function locateNode(layers: LayerLayout[], node: number): { layer: string; index: number } {
  let offset = 0;
  for (const l of layers) {
    if (node < offset + l.nodes) return { layer: l.name, index: node - offset };
    offset += l.nodes;
  }
  return { layer: '(unknown)', index: node };
}

/** Flat node indices as each layer's own, ascending, layers in profile order (those without a node left out). */
export function nodesByLayer(layers: LayerLayout[], flat: readonly number[]): { layer: string; indices: number[] }[] {
  const nodes = [...flat].sort((a, b) => a - b);
  const out: { layer: string; indices: number[] }[] = [];
  let offset = 0;
  let i = 0;
  for (const l of layers) {
    const indices: number[] = [];
    for (; i < nodes.length && nodes[i] < offset + l.nodes; i++) indices.push(nodes[i] - offset);
    if (indices.length) out.push({ layer: l.name, indices });
    offset += l.nodes;
  }
  return out;
}

/** Start offset of each layer in the flat node vector. */
export function layerOffsets(layers: readonly Pick<LayerLayout, 'nodes'>[]): number[] {
  const out: number[] = [];
  let offset = 0;
  for (const l of layers) {
    out.push(offset);
    offset += l.nodes;
  }
  return out;
}

/** A layout's channel axis field: recorded only where it is not the first, so CNN layouts (and profiles) stay as they were. */
export const axisField = (channelAxis = 0): { channelAxis?: number } => (channelAxis ? { channelAxis } : {});

/** Every reduction, finest first (the planner's ladder is a subset of it: see model/plan.ts). */
export const REDUCTIONS: readonly Reduction[] = ['element', 'pool4', 'pool2', 'channel-mean', 'channel-max'];

/** Each layer's reduction; layers of older profiles inherit the header's global one. */
export function layerReductions(header: Pick<ProfileHeader, 'layers' | 'reduction'>): Reduction[] {
  return header.layers.map((l) => l.reduction ?? (header.reduction as Reduction));
}

/** The header's global reduction for these layers: the shared one, or 'mixed'. */
export function summaryReduction(reductions: readonly Reduction[]): Reduction | 'mixed' {
  return reductions.every((r) => r === reductions[0]) && reductions.length > 0 ? reductions[0] : 'mixed';
}
