import { describe, expect, it } from 'vitest';
import { afterColon, fmtBytes, ownMessage, printable, printableLines } from '../../src/core/words.ts';

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

describe('fmtBytes', () => {
  it('says bytes one way everywhere, three or four figures, never "0.00 MB"', () => {
    expect([812, 1000, 95_886, 400_000, 1_000_000, 5_843_210, 12_345_678, 562_300_000].map(fmtBytes)).toEqual(['812 B', '1.0 kB', '95.9 kB', '400.0 kB', '1.00 MB', '5.84 MB', '12.3 MB', '562.3 MB']);
  });
});

describe('afterColon', () => {
  it('continues a sentence in lower case, keeping an acronym and a number as they are', () => {
    expect(afterColon('The profile has no calibration.')).toBe('the profile has no calibration.');
    expect(afterColon('ONNX said no.')).toBe('ONNX said no.');
    expect(afterColon('4 calibration images cannot flag.')).toBe('4 calibration images cannot flag.');
  });
});
