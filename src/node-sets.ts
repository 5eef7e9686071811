// Node values of image sets, shared by `histoscan eval`, `npm run eval` and the tools: collected
// through the model in batches, split into the evaluation's fixed dev and test halves, and sorted
// per node into the background the empirical baselines hold.
import { argmax, rng, toImageError, type Background } from './core/index.ts';
import type { FeatureExtractor, ImageSource, SkippedImage } from './detector/index.ts';
import type { Progress } from './types.ts';

/** Node values (row-major [rows, nodes]) and logits of a set of images. */
export interface NodeSet {
  name: string;
  rows: number;
  nodes: number;
  values: Float32Array;
  logits: Float32Array[];
  files: string[];
  skipped: SkippedImage[];
}

export async function collectNodes(features: FeatureExtractor, name: string, src: ImageSource, batchSize: number, onProgress?: (p: Progress) => void): Promise<NodeSet> {
  const rows = nodeRows(name, src);
  const skip = new Map<number, Error>();
  let done = 0;
  await features.eachBatch(src, rows.add, { batchSize, skip, onBatch: (n) => onProgress?.({ done: (done += n), total: src.count, stage: name }) });
  return rows.finish(features.nodes, [...skip].map(([i, e]) => toImageError(src.name(i), e)));
}

/**
 * A node set gathered batch by batch, from whatever pass reads the images: collectNodes's own, or a
 * build's counting pass (Detector.build's onRows), which then needs no pass of its own.
 */
export function nodeRows(name: string, src: ImageSource) {
  const chunks: Float32Array[] = [];
  const logits: Float32Array[] = [];
  const files: string[] = [];
  return {
    add(nodes: Float32Array, loaded: number[], l: Float32Array[]): void {
      chunks.push(nodes);
      logits.push(...l);
      files.push(...loaded.map((i) => src.name(i)));
    },
    finish(nodes: number, skipped: SkippedImage[]): NodeSet {
      const values = new Float32Array(files.length * nodes);
      let off = 0;
      for (const c of chunks) {
        values.set(c, off);
        off += c.length;
      }
      return { name, rows: files.length, nodes, values, logits, files, skipped };
    },
  };
}

/** Seed of the evaluation's dev/test split (the data's own seed, data/README.md). */
export const SPLIT_SEED = 20261124;

/**
 * The fixed dev/test halves of a set of n images: indices shuffled by a seeded Fisher-Yates, then
 * even positions are dev and odd ones test (each sorted). The split depends on n and the seed only,
 * so sets made image by image from the clean set (the attacks: image i attacks clean image i) put
 * each clean image and its attacked copies in the same half.
 */
export function devTestSplit(n: number, seed = SPLIT_SEED): { dev: number[]; test: number[] } {
  const r = rng(seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const half = (parity: number) => idx.filter((_, k) => k % 2 === parity).sort((a, b) => a - b);
  return { dev: half(0), test: half(1) };
}

/** Node-major sorted copy of a node set: what the empirical baselines hold. */
export function backgroundOf(set: NodeSet, rows = set.rows): Background {
  const n = Math.min(rows, set.rows);
  const values = new Float32Array(n * set.nodes);
  for (let r = 0; r < n; r++) for (let j = 0; j < set.nodes; j++) values[j * n + r] = set.values[r * set.nodes + j];
  for (let j = 0; j < set.nodes; j++) values.subarray(j * n, (j + 1) * n).sort();
  return { nodes: set.nodes, n, values };
}

/** Node values of row r. */
export const rowOf = (set: NodeSet, r: number) => set.values.subarray(r * set.nodes, (r + 1) * set.nodes);
/** The model's predicted class for row r. */
export const classOf = (set: NodeSet, r: number) => argmax(set.logits[r]);
