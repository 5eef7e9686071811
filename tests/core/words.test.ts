import { describe, expect, it } from 'vitest';
import { ownMessage, printable, printableLines } from '../../src/core/words.ts';

describe('printable', () => {
  it('escapes control characters and the bidirectional controls that make a name read as another', () => {
    expect(printable('esc\u001b[31mred\n.png')).toBe('esc\\u001b[31mred\\n.png');
    // "x<RLO>gnp.exe" is drawn "xexe.png"; escaped it reads as what it is.
    expect(printable('x\u202egnp.exe')).toBe('x\\u202egnp.exe');
    expect(printable('a\u2066b\u2069\u0085\u007f')).toBe('a\\u2066b\\u2069\\u0085\\u007f');
    // Names of other scripts, emoji and the marks inside right-to-left names are kept as they are.
    expect(printable('تقرير 2024 نهائي.png')).toBe('تقرير 2024 نهائي.png');
    expect(printable('a😀mage.png')).toBe('a😀mage.png');
    expect(printableLines('line one\n\tline two\u001b')).toBe('line one\n\tline two\\u001b');
  });

  it('ownMessage drops the file name a message starts with', () => {
    expect(ownMessage('a.png: not an image', 'dir/a.png')).toBe('not an image');
  });
});
