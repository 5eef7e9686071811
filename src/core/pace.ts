// How fast a long run goes and how long it has left, for the CLI's progress and the page's build.
import type { Progress } from '../types.ts';

/**
 * A pace per stage: images per ms since the stage's first report, so that a count that runs on across
 * stages (a build's passes) and one that starts again at each (eval's sets) are timed alike; and the
 * time the run has left at that pace (NaN until there is a pace, or when it is done).
 */
export function pacer(now = () => performance.now()): (p: Progress) => { t: number; perMs: number; leftMs: number } {
  let [stage, since, from] = ['', now(), 0];
  return (p) => {
    const t = now();
    if (p.stage !== stage) [stage, since, from] = [p.stage, t, p.done];
    const perMs = t > since && p.done > from ? (p.done - from) / (t - since) : NaN;
    return { t, perMs, leftMs: p.done < p.total ? (p.total - p.done) / perMs : NaN };
  };
}

/** "12.3 images/s", or '' without a pace; `unit` is what the count counts (the page's build counts image passes). */
export const rateText = (perMs: number, unit = 'images'): string => (Number.isFinite(perMs) ? `${(perMs * 1000).toPrecision(3)} ${unit}/s` : '');

/** "under a minute left", "about 3 min left", or '' where it is not known. */
const leftText = (ms: number): string => (!Number.isFinite(ms) ? '' : ms < 60_000 ? 'under a minute left' : `about ${Math.round(ms / 60_000)} min left`);

/** Both, as far as they are known: "12.3 images/s, about 3 min left". */
export const paceText = ({ perMs, leftMs }: { perMs: number; leftMs: number }, unit?: string): string => [rateText(perMs, unit), leftText(leftMs)].filter(Boolean).join(', ');
