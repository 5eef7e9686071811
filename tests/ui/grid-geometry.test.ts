// The p-value map's geometry: every node has one cell, and that cell (anywhere inside it) gives the node back.
import { describe, expect, it } from 'vitest';
import { layerNodeCount } from '../../src/model/reduce.ts';
import { cellOf, gridGeometry, nodeAt, perChannel, reductionText } from '../../src/ui/grid-geometry.ts';

describe('p-value map geometry', () => {
  const cases: [string, number[], number, number?][] = [
    ['per-element [C, H, W]', [5, 3, 4], 60],
    ['per-element with a batch axis', [1, 7, 2, 2], 28],
    ['per-channel means of [64, 8, 8]', [64, 8, 8], 64],
    ['4x4 grid per channel of [16, 112, 112]', [16, 112, 112], 256],
    ['2x4 grid per channel of [6, 2, 96], a map lower than the grid', [6, 2, 96], 48],
    ['dense vector', [10], 10],
    ['one node', [1], 1],
    ['per-element [H, W, C], channels last (a MatMul wrote them)', [3, 4, 5], 60, 2],
    ['4x4 grid per channel of [12, 160, 128], channels last', [12, 160, 128], 2048, 2],
  ];
  for (const [what, shape, n, axis] of cases) {
    it(`${what}: cells and nodes are one to one; gaps and the outside are no node`, () => {
      const g = gridGeometry(shape, n, 360, 18, axis);
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
    expect(gridGeometry([16, 112, 112], 256, 360, 18)).toMatchObject({ tiled: true, tileW: 4, tileH: 4 });
    expect(reductionText([16, 112, 112], 256)).toBe('4×4 means per channel');
    expect(gridGeometry([6, 2, 96], 48, 360, 18)).toMatchObject({ tiled: true, tileW: 4, tileH: 2 });
    expect(reductionText([6, 2, 96], 48)).toBe('2×4 means per channel');
    expect(reductionText([8, 8, 8], 32)).toBe('2×2 means per channel');
    expect(reductionText([64, 8, 8], 64)).toBe('one value per channel');
    expect(reductionText([5, 3, 4], 60)).toBe('');
    expect(reductionText([10], 10)).toBe('');
  });

  it('tiles a per-element layer by channel, one cell apart', () => {
    const g = gridGeometry([5, 3, 4], 60, 360, 18);
    expect(g).toMatchObject({ tiled: true, tileW: 4, tileH: 3 });
    expect(cellOf(g, 12)).toEqual([5, 0]); // channel 1 starts right of channel 0's 4 columns and a gap
  });

  it('reads a layer whose channels are on the last axis as reduce.ts laid its nodes out', () => {
    // Pooled: nodes [C, rows, cols] (reduce.ts poolLayer), whichever axis the channels were on.
    const [H, W, C] = [12, 160, 128];
    expect(layerNodeCount([H, W, C], 'pool4', 2)).toBe(C * 16);
    expect(gridGeometry([H, W, C], C * 16, 360, 18, 2)).toMatchObject({ tiled: true, tileW: 4, tileH: 4 });
    expect(reductionText([H, W, C], C * 16, 2)).toBe('4×4 means per channel');
    expect(reductionText([7, 7, 96], 96, 2)).toBe('one value per channel');
    // Per element: node (y, x, c) sits at (y·W + x)·C + c, and is drawn in channel c's tile at row y, column x.
    const [h, w, c] = [3, 4, 5];
    const data = Float32Array.from({ length: h * w * c }, (_, k) => k);
    const g = gridGeometry([h, w, c], data.length, 360, 18, 2);
    expect(g).toMatchObject({ tiled: true, tileW: w, tileH: h });
    const node = (1 * w + 2) * c + 3; // y 1, x 2, channel 3
    const ref = gridGeometry([c, h, w], data.length, 360, 18);
    expect(cellOf(g, node)).toEqual(cellOf(ref, 3 * h * w + 1 * w + 2));
    // A [tokens, features] layer read per feature says so.
    expect(reductionText([40, 240], 240, 1)).toBe('one value per feature over 40 tokens');
    expect(reductionText([40, 240], 240)).toBe('');
  });

  it("says which nodes are a channel's: a mean or max per channel, a [C, 1, 1] gate's elements; not a map's elements", () => {
    expect(perChannel([32, 1, 1], 32)).toBe(true); // per element, yet one node a channel (its caption says nothing)
    expect(reductionText([32, 1, 1], 32)).toBe('');
    expect(perChannel([64, 8, 8], 64)).toBe(true);
    expect(perChannel([7, 7, 96], 96, 2)).toBe(true);
    expect(perChannel([64, 8, 8], 64 * 64)).toBe(false);
    expect(perChannel([16, 112, 112], 256)).toBe(false);
    expect(perChannel([40, 240], 240, 1)).toBe(false); // a transformer's features: reductionText says so
  });
});
