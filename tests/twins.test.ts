// The same input in two sets (core/twins.ts): what `profile` leaves out of a calibration and `eval` warns about.
import { describe, expect, it } from 'vitest';
import { nodeKey, rowKeys } from '../src/core/index.ts';
import { parseEvalFlags, twinWarnings } from '../src/cli/eval.ts';
import type { NodeSet } from '../src/node-sets.ts';

const set = (name: string, rows: number[][]): NodeSet => ({
  name,
  rows: rows.length,
  nodes: rows[0].length,
  values: Float32Array.from(rows.flat()),
  logits: rows.map(() => new Float32Array(2)),
  files: rows.map((_, i) => `${name}/${i}.png`),
  skipped: [],
});

describe('twins', () => {
  it('equal node values have equal keys; a change in any value, or the same values in another order, does not', () => {
    const x = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
    expect(nodeKey(x.slice())).toBe(nodeKey(x));
    const y = x.slice();
    y[500] += 1e-6;
    expect(nodeKey(y)).not.toBe(nodeKey(x));
    expect(nodeKey(x.slice().reverse())).not.toBe(nodeKey(x));
    expect(rowKeys(Float32Array.from([...x, ...y]), 1000)).toEqual([nodeKey(x), nodeKey(y)]);
  });

  it('eval warns about test images that the background, the calibration or the clean set also hold, and calibration images the background holds', () => {
    const bg = set('background', [[1, 2], [3, 4], [5, 6]]);
    const cal = set('calibration', [[7, 8], [9, 10], [5, 6]]);
    const clean = set('clean', [[3, 4], [11, 12], [9, 10], [13, 14]]);
    const attacked = set('attacked', [[11, 12], [15, 16]]);
    const also = (n: string, of: string, b: string, e: string) => `1 of the ${n} ${of} images are also among the ${b} images (the same input to the model, e.g. ${e}): the figures they enter are not those of new images.`;
    expect(twinWarnings(clean, [attacked], bg, cal)).toEqual([
      also('4', 'clean', 'background', 'clean/0.png'),
      also('4', 'clean', 'calibration', 'clean/2.png'),
      also('2', 'attacked', 'clean', 'attacked/0.png'),
      also('3', 'calibration', 'background', 'calibration/2.png'),
    ]);
    expect(twinWarnings(set('clean', [[20, 21]]), [attacked], bg, set('calibration', [[7, 8]]))).toEqual([]);
    expect(twinWarnings(clean, [], null, null)).toEqual([]);
    // The same folder given as two anomalous sets: each image would be compared with itself.
    const again = set('again', [[15, 16], [17, 18]]);
    expect(twinWarnings(set('clean', [[20, 21]]), [attacked, again], null, null)).toEqual([also('2', 'again', 'attacked', 'again/0.png')]);
  });

  it("eval refuses an anomalous set named as one of its own sets, or given without a folder", () => {
    const flags = (...anomalous: string[]) => ({ anomalous, methods: 'histogram' }) as Parameters<typeof parseEvalFlags>[0];
    expect(() => parseEvalFlags(flags('clean=x'))).toThrow(/"clean" names one of eval's own sets/);
    expect(() => parseEvalFlags(flags('calibration=x'))).toThrow(/"calibration" names one of eval's own sets/);
    expect(() => parseEvalFlags(flags('x='))).toThrow(/--anomalous wants NAME=DIR, got "x="/);
    expect(() => parseEvalFlags(flags('a=x', 'a=y'))).toThrow(/names "a" twice/);
    expect(parseEvalFlags(flags('k=v=dir')).sets).toEqual([{ name: 'k', dir: 'v=dir' }]);
  });
});
