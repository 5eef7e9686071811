// Exit statuses of the CLI, one table so that help, README and code say the same thing.
// A CI gate or a shell script branches on these, so they are part of the interface.
import { HistoscanError } from '../core/index.ts';

export const EXIT = {
  /** Everything given was read and checked. */
  ok: 0,
  /** A usage or input error: bad flags, a missing or unreadable model, profile or folder, no image to check, a gate on a profile that cannot flag. */
  usage: 1,
  /** Some images could not be read or checked; the others were (their results are printed). */
  failed: 2,
  /** With --fail-on-flagged: at least one image was flagged unusual. */
  flagged: 3,
  /** The reader of stdout stopped early (`| head`): cut short, as a process ended by SIGPIPE (128 + 13). */
  pipe: 141,
} as const;

export const EXIT_HELP = `Exit status:
  0  ok
  1  usage or input error (bad flags; missing or unreadable model, profile or folder;
     no image to check; --fail-on-flagged with a profile that cannot flag at the FPR)
  2  some images failed (the rest were checked and printed; profile: skipped images);
     a folder inside could not be read, or held a pipe or device file, an image that is a
     link to nothing or a name that is not UTF-8 (left out); merge: shards missing
  3  with --fail-on-flagged: at least one image was flagged unusual
     (2 wins over 3: a batch with failures is not a complete check)
  130, 143  interrupted (Ctrl-C, SIGTERM); 141  the reader of the output stopped early (| head)`;

/** Errors the CLI expects and explains in one line; anything else is a bug and keeps its stack under DEBUG=1. */
export function isExpected(e: unknown): boolean {
  return e instanceof HistoscanError;
}

/**
 * Status of a batch command. A gate (--fail-on-flagged) on a profile that cannot flag would pass
 * everything silently, so it is an input error; then failures or what could not be read (`unread`:
 * the check is incomplete); then flags.
 */
export function batchStatus(o: { failed: number; flagged: number; unread?: boolean; uncalibrated?: string; failOnFlagged?: boolean }): number {
  if (o.failOnFlagged && o.uncalibrated) return EXIT.usage;
  if (o.failed > 0 || o.unread) return EXIT.failed;
  if (o.failOnFlagged && o.flagged > 0) return EXIT.flagged;
  return EXIT.ok;
}
