// The SVG plots of `eval --plots` and the bench: a title that does not fit is cut, whole in its tooltip.
import { describe, expect, it } from 'vitest';
import { plot } from '../src/cli/plots.ts';

describe('plot', () => {
  it('cuts a title past 64 characters, keeping it whole in the tooltip and the label', () => {
    const long = `ROC: clean vs ${'a very long anomalous set name '.repeat(3)}(test half)`;
    const svg = plot({ title: long, xLabel: 'x', yLabel: 'y', series: [{ name: 's', x: [0, 1], y: [0, 1] }] });
    expect(svg).toContain(`<title>${long}</title>${long.slice(0, 63)}…</text>`);
    expect(svg).toContain(`aria-label="${long}"`);
    const short = plot({ title: 'ROC: clean vs pgd', xLabel: 'x', yLabel: 'y', series: [{ name: 's', x: [0, 1], y: [0, 1] }] });
    expect(short).toContain('<title>ROC: clean vs pgd</title>ROC: clean vs pgd</text>');
  });
});
