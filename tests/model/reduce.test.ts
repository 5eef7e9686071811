import { describe, expect, it } from 'vitest';
import { rng } from '../../src/core/rng.ts';
import { channelAxisOf, layerNodeCount, reduceLayer } from '../../src/model/reduce.ts';

/**
 * Plain reference of adaptive average pooling: cell (i, j) of a g×g grid averages every input
 * pixel whose unit square overlaps the cell's rectangle [i·H/g, (i+1)·H/g) × [j·W/g, (j+1)·W/g).
 */
function referencePool(data: Float32Array, C: number, H: number, W: number, g: number, at: (c: number, y: number, x: number) => number): number[] {
  // An axis shorter than the grid keeps one cell per row (or column).
  const [gy, gx] = [Math.min(g, H), Math.min(g, W)];
  const out: number[] = [];
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < gy; i++) {
      for (let j = 0; j < gx; j++) {
        let s = 0;
        let n = 0;
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            const rows = y < ((i + 1) * H) / gy && y + 1 > (i * H) / gy;
            const cols = x < ((j + 1) * W) / gx && x + 1 > (j * W) / gx;
            if (rows && cols) {
              s += data[at(c, y, x)];
              n++;
            }
          }
        }
        out.push(s / n);
      }
    }
  }
  return out;
}

describe('spatial pooling', () => {
  it('pool2 of a 4x4 map is the mean of each 2x2 block', () => {
    const data = Float32Array.from({ length: 16 }, (_, k) => k);
    expect(Array.from(reduceLayer(data, [1, 4, 4], 'pool2'))).toEqual([2.5, 4.5, 10.5, 12.5]);
  });

  it('pool4 and pool2 equal the reference on any H, W (divisible, not, smaller than the grid: no cell repeated)', () => {
    const r = rng(11);
    for (const [C, H, W] of [[3, 8, 8], [2, 7, 5], [4, 14, 14], [2, 1, 3], [1, 3, 2], [5, 28, 28], [2, 9, 13], [3, 2, 96], [2, 1, 1]]) {
      const data = Float32Array.from({ length: C * H * W }, () => r() * 4 - 1);
      for (const [how, g] of [['pool4', 4], ['pool2', 2]] as const) {
        const got = reduceLayer(data, [C, H, W], how);
        const want = referencePool(data, C, H, W, g, (c, y, x) => (c * H + y) * W + x);
        expect(got.length).toBe(layerNodeCount([C, H, W], how));
        expect(got.length).toBe(C * Math.min(g, H) * Math.min(g, W));
        for (let k = 0; k < want.length; k++) expect(got[k]).toBeCloseTo(want[k], 6);
        // Every node of a channel is its own mean of the map, none a copy of another.
        for (let c = 0; c < C; c++) expect(new Set(got.subarray((c * got.length) / C, ((c + 1) * got.length) / C)).size).toBe(got.length / C);
      }
    }
  });

  it('a channel-last layer pools like the reference, nodes in [C, g, g] order', () => {
    const r = rng(12);
    const [H, W, C] = [6, 10, 3];
    const data = Float32Array.from({ length: H * W * C }, () => r() * 10 - 5);
    const got = reduceLayer(data, [H, W, C], 'pool2', 2);
    const want = referencePool(data, C, H, W, 2, (c, y, x) => (y * W + x) * C + c);
    expect(got.length).toBe(12);
    for (let k = 0; k < want.length; k++) expect(got[k]).toBeCloseTo(want[k], 5);
  });

  it('NaN shows in its cell; dense features are their own nodes; other ranks are refused', () => {
    const data = new Float32Array(16);
    data[0] = NaN;
    const p = reduceLayer(data, [1, 4, 4], 'pool2');
    expect(Number.isNaN(p[0])).toBe(true);
    expect(Array.from(p.subarray(1))).toEqual([0, 0, 0]);
    const dense = Float32Array.from([1, 2, 3]);
    expect(reduceLayer(dense, [3], 'pool4')).toEqual(dense);
    expect(layerNodeCount([3], 'pool4')).toBe(3);
    expect(() => reduceLayer(new Float32Array(20), [4, 5], 'pool2')).toThrow(/C×H×W/);
    expect(() => layerNodeCount([4, 5], 'pool2')).toThrow(/C×H×W/);
    expect(() => layerNodeCount([1, 4, 5, 5], 'pool4')).toThrow(RangeError);
  });
});

describe('channel axis', () => {
  it('a [tokens, features] layer is reduced per feature; a C×H×W map per channel', () => {
    const [T, D] = [3, 4];
    const data = Float32Array.from({ length: T * D }, (_, k) => k);
    // What the graph says wins (a MatMul writes the last axis, a Conv the first); else rank 2 is [tokens, features].
    expect([channelAxisOf([T, D]), channelAxisOf([2, T, D]), channelAxisOf([D]), channelAxisOf([2, T, D], 'last'), channelAxisOf([T, D], 'first')]).toEqual([1, 0, 0, 2, 0]);
    // Feature c of token t sits at t·D + c: its mean over the tokens is c + D·(T - 1)/2.
    expect(Array.from(reduceLayer(data, [T, D], 'channel-mean', 1))).toEqual([4, 5, 6, 7]);
    expect(Array.from(reduceLayer(data, [T, D], 'channel-max', 1))).toEqual([8, 9, 10, 11]);
    expect(layerNodeCount([T, D], 'channel-mean', 1)).toBe(D);
    // Axis 0 (the default, and what a layout without channelAxis means) averages each token.
    expect(Array.from(reduceLayer(data, [T, D], 'channel-mean'))).toEqual([1.5, 5.5, 9.5]);
  });
});
