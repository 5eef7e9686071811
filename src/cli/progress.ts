// Small pieces the CLI's commands share: a progress bar on stderr and numeric flag parsers.
import cliProgress from 'cli-progress';
import { InvalidArgumentError } from 'commander';
import { pacer, paceText } from '../core/pace.ts';
import type { Progress } from '../types.ts';

/** A flag's number as written in decimal ("8", "0.5", "1e4"); NaN for what Number() would also take: "0x10", "0b1", "". */
export const decimal = (v: string): number => (/^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(v) ? Number(v) : NaN);

export const int = (v: string) => {
  const n = decimal(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('wants a positive integer');
  return n;
};
/** A rate such as a false-positive rate: strictly between 0 and 1. */
export const rate = (v: string) => {
  const n = decimal(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('wants a rate between 0 and 1, such as 0.05');
  return n;
};

// Bars drawn on a terminal hide its cursor and re-arm a render timer until stopped: every exit stops
// them (an error, a signal, a closed pipe), or the terminal is left without a cursor and the process never ends.
const drawn = new Set<{ stop(): void }>();
/** Stop every bar still drawn (its timer, and the cursor shown again). */
export function stopBars(): void {
  for (const bar of drawn) bar.stop();
  drawn.clear();
}

/** How often a long run says where it is when stderr is no terminal (a log file, CI). */
export const LOG_EVERY_MS = 30_000;

/**
 * A progress bar on stderr where it is a terminal; elsewhere a plain line every LOG_EVERY_MS of a
 * long run (none for a short one). Both say the stage's pace in images per second and, in the plain
 * line, the time it has left at that pace.
 */
export function progress(stream: Pick<NodeJS.WriteStream, 'write' | 'isTTY'> = process.stderr, now = () => performance.now(), unit = 'images') {
  const pace = pacer(now);
  if (!stream.isTTY) {
    let last = now();
    const noop = () => {};
    return {
      update(p: Progress) {
        const at = pace(p);
        if (at.t - last < LOG_EVERY_MS) return;
        last = at.t;
        stream.write(`${[`${p.stage} ${p.done}/${p.total} ${unit}`, paceText(at, unit)].filter(Boolean).join(', ')}\n`);
      },
      clear: noop,
      stop: noop,
    };
  }
  const bar = new cliProgress.SingleBar(
    // The pace and the time left in the plain line's words (cli-progress's own ETA printed "INF" until the first image).
    // Cleared when it stops: a bar stopped to let a result line through leaves no copy of itself above it.
    { format: `{stage} {bar} {value}/{total} ${unit} | {pace}`, stream: stream as NodeJS.WriteStream, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const own = {
    update(p: Progress) {
      const at = paceText(pace(p), unit) || '…';
      if (!started) {
        bar.start(p.total, p.done, { stage: p.stage, pace: at });
        started = true;
        drawn.add(own);
      }
      bar.setTotal(p.total);
      bar.update(p.done, { stage: p.stage.padEnd(12), pace: at });
    },
    /**
     * Stops the bar (its line cleared) so that a result written to stdout takes its place; the next
     * update draws it again below. Drawn, it turns the terminal's line wrapping off and, stopped,
     * puts the cursor back where it started: a long result line printed under it was cut short, and
     * the lines after it were written over the results.
     */
    clear() {
      if (!started) return;
      bar.stop();
      started = false;
    },
    stop() {
      if (started) bar.stop();
      started = false;
      drawn.delete(own);
    },
  };
  return own;
}

