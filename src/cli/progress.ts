// Small pieces the CLI's commands share: a progress bar on stderr and numeric flag parsers.
import cliProgress from 'cli-progress';
import { InvalidArgumentError } from 'commander';
import type { Progress } from '../types.ts';

export const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('wants a positive integer');
  return n;
};
/** A rate such as a false-positive rate: strictly between 0 and 1. */
export const rate = (v: string) => {
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('wants a rate between 0 and 1, such as 0.05');
  return n;
};

/** A progress bar on stderr, only when stderr is a terminal. */
export function progress() {
  const bar = new cliProgress.SingleBar(
    { format: '{stage} {bar} {value}/{total} | {eta_formatted} left', stream: process.stderr, hideCursor: true, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p: Progress) {
      if (!started) {
        bar.start(p.total, p.done, { stage: p.stage });
        started = true;
      }
      bar.setTotal(p.total);
      bar.update(p.done, { stage: p.stage.padEnd(12) });
    },
    /** Clears the bar's line on a terminal, so that a result written to stdout takes it (the next update draws the bar below). */
    clear() {
      if (started && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

