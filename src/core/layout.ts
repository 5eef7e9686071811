import type { LayerLayout } from '../types.ts';

/** Layer name and index within the layer of a flat node index. */
export function locateNode(layers: LayerLayout[], node: number): { layer: string; index: number } {
  let offset = 0;
  for (const l of layers) {
    if (node < offset + l.nodes) return { layer: l.name, index: node - offset };
    offset += l.nodes;
  }
  return { layer: '(unknown)', index: node };
}

/** Start offset of each layer in the flat node vector. */
export function layerOffsets(layers: LayerLayout[]): number[] {
  const out: number[] = [];
  let offset = 0;
  for (const l of layers) {
    out.push(offset);
    offset += l.nodes;
  }
  return out;
}
