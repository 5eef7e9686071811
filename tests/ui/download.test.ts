import { describe, expect, it } from 'vitest';
import { downloadText } from '../../src/ui/model-loader.ts';

describe('downloadText', () => {
  it('gives a share where every server said its length, the bytes so far where one did not, then the model starting', () => {
    expect(downloadText({ done: 0, total: 0, waiting: true })).toBe('Downloading the model, profile and runtime…');
    expect(downloadText({ done: 12e6, total: 34.1e6, waiting: true })).toBe('Downloading the model, profile and runtime: 35% of 34.1 MB…');
    // A compressed .wasm: what came, with no share of an unknown whole.
    expect(downloadText({ done: 12.3e6, total: 0, waiting: true })).toBe('Downloading the model, profile and runtime: 12.3 MB so far…');
    // Every byte came; the runtime still compiles.
    expect(downloadText({ done: 34.1e6, total: 34.1e6, waiting: true })).toBe('Downloading the model, profile and runtime…');
    expect(downloadText({ done: 34.1e6, total: 34.1e6, waiting: false })).toBe('Starting the model…');
  });
});
