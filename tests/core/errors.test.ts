// The package's entry points load their own copies of core/errors.ts (histoscan/core from dist-esm,
// histoscan/node from dist-cli): an error one throws must be an instance of the other's classes.
import { expect, it } from 'vitest';
import * as mine from '../../src/core/errors.ts';

it('an error of one copy of the module is an instance of the same class, and its bases, in another copy', async () => {
  // @ts-expect-error: the query makes vite load a second copy of the module, which tsc does not resolve.
  const other = (await import('../../src/core/errors.ts?copy')) as typeof mine;
  expect(other.HistoscanError).not.toBe(mine.HistoscanError); // the premise: two copies
  const e = new other.ProfileError('bad', 'magic');
  expect([e instanceof mine.ProfileError, e instanceof mine.HistoscanError, e instanceof Error]).toEqual([true, true, true]);
  expect([e instanceof mine.ModelError, e instanceof mine.UsageError]).toEqual([false, false]);
  expect(new other.UsageError('x') instanceof mine.HistoscanError).toBe(true);
  expect(new mine.HistoscanError('x', 'usage') instanceof mine.ProfileError).toBe(false);
  for (const x of [null, undefined, 3, 'ProfileError', { name: 'ProfileError' }, new Error('plain')]) expect(x instanceof mine.ProfileError).toBe(false);
});
