// The p-value map's geometry: every node has one cell, and that cell (anywhere inside it) gives the node back.
import { describe, expect, it } from 'vitest';
import { cellOf, gridGeometry, nodeAt, reductionText } from '../../src/ui/grid-geometry.ts';

describe('p-value map geometry', () => {
  const cases: [string, number[], number][] = [
    ['per-element [C, H, W]', [5, 3, 4], 60],
    ['per-element with a batch axis', [1, 7, 2, 2], 28],
    ['per-channel means of [64, 8, 8]', [64, 8, 8], 64],
    ['4x4 grid per channel of [16, 112, 112]', [16, 112, 112], 256],
    ['2x4 grid per channel of [6, 2, 96], a map lower than the grid', [6, 2, 96], 48],
    ['dense vector', [10], 10],
    ['one node', [1], 1],
  ];
  for (const [what, shape, n] of cases) {
    it(`${what}: cells and nodes are one to one; gaps and the outside are no node`, () => {
      const g = gridGeometry(shape, n, 360, 18);
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
});
