// The p-value map's geometry: every node has one cell, and that cell (anywhere inside it) gives the node back.
import { describe, expect, it } from 'vitest';
import { layerNodeCount } from '../../src/model/reduce.ts';
import type { Reduction } from '../../src/types.ts';
import { cellOf, gridGeometry, nodeAt, perChannel, reductionText } from '../../src/ui/grid-geometry.ts';

/** A layer as a result gives it to the map. */
const at = (shape: number[], reduction: Reduction, channelAxis?: number) => ({ shape, reduction, ...(channelAxis === undefined ? {} : { channelAxis }) });

describe('p-value map geometry', () => {
  const cases: [string, number[], Reduction, number, number?][] = [
    ['per-element [C, H, W]', [5, 3, 4], 'element', 60],
    ['per-element with a batch axis', [1, 7, 2, 2], 'element', 28],
    ['per-channel means of [64, 8, 8]', [64, 8, 8], 'channel-mean', 64],
    ['4x4 grid per channel of [16, 112, 112]', [16, 112, 112], 'pool4', 256],
    ['2x4 grid per channel of [6, 2, 96], a map lower than the grid', [6, 2, 96], 'pool4', 48],
    ['dense vector', [10], 'element', 10],
    ['one node', [1], 'channel-mean', 1],
    ['per-element [H, W, C], channels last (a MatMul wrote them)', [3, 4, 5], 'element', 60, 2],
    ['4x4 grid per channel of [12, 160, 128], channels last', [12, 160, 128], 'pool4', 2048, 2],
  ];
  for (const [what, shape, how, n, axis] of cases) {
    it(`${what}: cells and nodes are one to one; gaps and the outside are no node`, () => {
      expect(layerNodeCount(shape, how, axis ?? 0)).toBe(n);
      const g = gridGeometry(at(shape, how, axis), n, 360, 18);
      const taken = new Set<string>();
      for (let i = 0; i < n; i++) {
        const [x, y] = cellOf(g, i);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThan(g.gridW);
        expect(y).toBeLessThan(g.gridH);
        taken.add(`${x},${y}`);
        expect(nodeAt(g, n, x + 0.5, y + 0.99)).toBe(i);
      }
      expect(taken.size).toBe(n);
      for (let y = 0; y < g.gridH; y++) for (let x = 0; x < g.gridW; x++) if (!taken.has(`${x},${y}`)) expect(nodeAt(g, n, x + 0.5, y + 0.5)).toBe(-1);
      expect(nodeAt(g, n, -0.1, 0)).toBe(-1);
      expect(nodeAt(g, n, g.gridW, 0)).toBe(-1);
    });
  }

  it('reads a pooled layer as a small grid per channel, and says how nodes stand for the tensor', () => {
    expect(gridGeometry(at([16, 112, 112], 'pool4'), 256, 360, 18)).toMatchObject({ tiled: true, tileW: 4, tileH: 4 });
    expect(reductionText(at([16, 112, 112], 'pool4'))).toBe('4×4 means per channel');
    expect(gridGeometry(at([6, 2, 96], 'pool4'), 48, 360, 18)).toMatchObject({ tiled: true, tileW: 4, tileH: 2 });
    expect(reductionText(at([6, 2, 96], 'pool4'))).toBe('2×4 means per channel');
    expect(reductionText(at([8, 8, 8], 'pool2'))).toBe('2×2 means per channel');
    expect(reductionText(at([64, 8, 8], 'channel-mean'))).toBe('one mean per channel');
    expect(reductionText(at([5, 3, 4], 'element'))).toBe('');
    expect(reductionText(at([10], 'channel-mean'))).toBe(''); // a vector is its own nodes under every reduction
  });

  it('names what the profile did, not what a node count suggests', () => {
    // A channel max and a channel mean have the same count; a 2×2 pooled [C, 4, 4] map has a per-element [C, 2, 2] map's count.
    expect(reductionText(at([64, 8, 8], 'channel-max'))).toBe('one maximum per channel');
    expect(reductionText(at([3, 4, 4], 'pool2'))).toBe('2×2 means per channel');
    expect(reductionText(at([3, 2, 2], 'element'))).toBe('');
    // A pool of a map no larger than one cell per channel is one value a channel, drawn as a grid of channels.
    expect(gridGeometry(at([8, 1, 1], 'pool4'), 8, 360, 18)).toMatchObject({ tiled: false });
    expect(perChannel(at([8, 1, 1], 'pool4'))).toBe(true);
  });

  it('tiles a per-element layer by channel, one cell apart', () => {
    const g = gridGeometry(at([5, 3, 4], 'element'), 60, 360, 18);
    expect(g).toMatchObject({ tiled: true, tileW: 4, tileH: 3 });
    expect(cellOf(g, 12)).toEqual([5, 0]); // channel 1 starts right of channel 0's 4 columns and a gap
  });

  it('reads a layer whose channels are on the last axis as reduce.ts laid its nodes out', () => {
    // Pooled: nodes [C, rows, cols] (reduce.ts poolLayer), whichever axis the channels were on.
    const [H, W, C] = [12, 160, 128];
    expect(layerNodeCount([H, W, C], 'pool4', 2)).toBe(C * 16);
    expect(gridGeometry(at([H, W, C], 'pool4', 2), C * 16, 360, 18)).toMatchObject({ tiled: true, tileW: 4, tileH: 4 });
    expect(reductionText(at([H, W, C], 'pool4', 2))).toBe('4×4 means per channel');
    expect(reductionText(at([7, 7, 96], 'channel-mean', 2))).toBe('one mean per channel');
    // Per element: node (y, x, c) sits at (y·W + x)·C + c, and is drawn in channel c's tile at row y, column x.
    const [h, w, c] = [3, 4, 5];
    const data = Float32Array.from({ length: h * w * c }, (_, k) => k);
    const g = gridGeometry(at([h, w, c], 'element', 2), data.length, 360, 18);
    expect(g).toMatchObject({ tiled: true, tileW: w, tileH: h });
    const node = (1 * w + 2) * c + 3; // y 1, x 2, channel 3
    const ref = gridGeometry(at([c, h, w], 'element'), data.length, 360, 18);
    expect(cellOf(g, node)).toEqual(cellOf(ref, 3 * h * w + 1 * w + 2));
    // A [tokens, features] layer read per feature says so.
    expect(reductionText(at([40, 240], 'channel-mean', 1))).toBe('one mean per feature over 40 tokens');
    expect(reductionText(at([40, 240], 'element', 1))).toBe('');
  });

  it("says which nodes are a channel's: a mean or max per channel, a [C, 1, 1] gate's elements; not a map's elements", () => {
    expect(perChannel(at([32, 1, 1], 'element'))).toBe(true); // per element, yet one node a channel (its caption says nothing)
    expect(reductionText(at([32, 1, 1], 'element'))).toBe('');
    expect(reductionText(at([32, 1, 1], 'channel-mean'))).toBe(''); // nothing was averaged
    expect(perChannel(at([64, 8, 8], 'channel-max'))).toBe(true);
    expect(perChannel(at([7, 7, 96], 'channel-mean', 2))).toBe(true);
    expect(perChannel(at([64, 8, 8], 'element'))).toBe(false);
    expect(perChannel(at([16, 112, 112], 'pool4'))).toBe(false);
    expect(perChannel(at([40, 240], 'channel-mean', 1))).toBe(true); // a transformer's features: the map says "feature i"
    expect(perChannel(at([40, 240], 'element', 1))).toBe(false);
  });
});
