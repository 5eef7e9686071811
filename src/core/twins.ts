// The same input twice: a calibration image that the background holds ranks as more typical than new
// images, and a test image that either holds lifts an evaluation. Keyed by node values, so a copy
// under another name, or another file the model sees alike, is caught in Node and in the browser.
import { crc32 } from './hsp.ts';

/** An image as the model sees it, by its node values: equal keys, the same input (the CRC and the sum together rule out chance). */
export const nodeKey = (x: Float32Array): string => `${crc32(new Uint8Array(x.buffer, x.byteOffset, x.byteLength))}:${x.reduce((a, v) => a + v, 0)}`;

/** The keys of every row of `values` ([rows, nodes]). */
export function rowKeys(values: Float32Array, nodes: number): string[] {
  return Array.from({ length: nodes ? values.length / nodes : 0 }, (_, r) => nodeKey(values.subarray(r * nodes, (r + 1) * nodes)));
}
