import { describe, expect, it } from 'vitest';
import { decimal, int, LOG_EVERY_MS, progress, rate } from '../src/cli/progress.ts';

describe('progress where stderr is no terminal', () => {
  it('says nothing in a short run, and a line per LOG_EVERY_MS of a long one with its stage\'s pace and time left', () => {
    const lines: string[] = [];
    let t = 0;
    const bar = progress({ isTTY: false, write: (s: string) => (lines.push(s), true) } as never, () => t);
    for (let done = 1; done <= 10; done++) {
      t += 1000;
      bar.update({ done, total: 100, stage: 'background' });
    }
    expect(lines).toEqual([]);
    // 30 s in, 30 of 100 done at 1 s each: 70 s left, in whole minutes.
    for (let done = 11; done <= 30; done++) {
      t += 1000;
      bar.update({ done, total: 100, stage: 'background' });
    }
    expect(lines).toEqual(['background 30/100 images, 1.00 images/s, about 1 min left\n']);
    // A count that runs on into the next stage is timed from that stage's first report; the last seconds are no "1 min".
    bar.update({ done: 100, total: 150, stage: 'counting' });
    for (let done = 101; done <= 140; done++) {
      t += 1000;
      bar.update({ done, total: 150, stage: 'counting' });
    }
    expect(lines.at(-1)).toBe('counting 130/150 images, 1.00 images/s, under a minute left\n');
    // A new stage times its own pace; the last image of a stage has nothing left to time.
    t += LOG_EVERY_MS;
    bar.update({ done: 5, total: 5, stage: 'calibration' });
    expect(lines.at(-1)).toBe('calibration 5/5 images\n');
    bar.update({ done: 0, total: 20, stage: 'clean' });
    t += LOG_EVERY_MS;
    bar.update({ done: 15, total: 20, stage: 'clean' });
    expect(lines.at(-1)).toBe('clean 15/20 images, 0.500 images/s, under a minute left\n');
    bar.stop();
  });
});

describe('progress on a terminal', () => {
  it('draws a bar with the stage\'s pace and the time left, in what it counts', () => {
    let out = '';
    let t = 0;
    const bar = progress({ isTTY: true, write: (s: string) => ((out += s), true), columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true, on: () => {}, removeListener: () => {} } as never, () => t);
    bar.update({ done: 0, total: 40, stage: 'background' });
    // Before any pace, no time left is made up (cli-progress's own ETA printed "INF").
    expect(out).toContain('0/40 images | …');
    t += 2000;
    bar.update({ done: 20, total: 40, stage: 'background' });
    bar.stop();
    expect(out).toContain('20/40 images | 10.0 images/s, under a minute left');
    expect(out).not.toMatch(/INF|NaN/);
    // A build counts image passes (two over the background, then the calibration's), and says so.
    let passes = '';
    const build = progress({ isTTY: true, write: (s: string) => ((passes += s), true), columns: 140, cursorTo: () => true, clearLine: () => true, moveCursor: () => true, on: () => {}, removeListener: () => {} } as never, () => t, 'image passes');
    build.update({ done: 0, total: 61, stage: 'bin edges' });
    t += 1000;
    build.update({ done: 10, total: 61, stage: 'bin edges' });
    build.stop();
    expect(passes).toContain('10/61 image passes | 10.0 image passes/s, under a minute left');
  });
});

describe('numeric flags', () => {
  it('take decimal numbers only, not what Number() also reads (hex, binary, empty)', () => {
    expect(['8', ' 0.5 ', '1e4', '.25', '-2'].map(decimal)).toEqual([8, 0.5, 10000, 0.25, -2]);
    for (const v of ['0x10', '0b1', '0o7', '', ' ', 'abc', '8 MB', 'Infinity']) expect(decimal(v), v).toBeNaN();
    expect(() => int('0x10')).toThrow('wants a positive integer');
    expect(() => rate('0x0')).toThrow('wants a rate between 0 and 1');
  });
});
