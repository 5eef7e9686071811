// How `score` prints its results: text, one JSON document, or NDJSON. The shapes here are the
// CLI's contract with scripts, so each format has exactly one shape.
import { evidenceLooks } from '../core/witnesses.ts';
import type { ImageError, ImageResult, PartEvidence, ScoringName } from '../types.ts';
import type { Scorer } from '../detector/index.ts';
import { nodesByLayer } from '../core/layout.ts';
import { afterColon, counted, ownMessage, printable, topLabel } from '../core/words.ts';

export type Format = 'text' | 'json' | 'jsonl';

/** One image as the CLI reports it (JSON and NDJSON). */
export interface ScoreLine {
  file: string;
  score: number;
  alpha: number;
  /** null in JSON when the profile has no calibration. */
  q: number;
  /** verdict === 'unusual' (kept for scripts that read a boolean). */
  flagged: boolean;
  verdict: ImageResult['verdict'];
  /** Why the verdict is 'uncalibrated'; absent otherwise. */
  verdictReason?: string;
  calibrationCount: number;
  fpr: number;
  /** The model's first class and its probability, as text ("Sneaker 97.3%", "mean: 0 99.8%" with topOfMean); `classes` has them as fields. */
  top: string;
  /** The model's three likeliest classes: index, label and probability. */
  classes: { index: number; label: string; prob: number }[];
  /** The classes are ranked by an output's mean over its positions, not one prediction (ImageResult.topOfMean). */
  topOfMean?: true;
  topNodes: { layer: string; index: number; value: number; p: number }[];
  /** Each calibrated part's own score and q (null in JSON without calibration): which evidence made the verdict. */
  parts: PartEvidence[];
  /** The joint look's q (how unusual the parts are together), where the verdict combines every part. */
  jointQ?: number;
  /** 'gauss': the verdict follows the Gaussian part alone (the profile's calibration chose it); 'hedged': every part, weighed with the Gaussian part alone; absent: every part. */
  decidedBy?: 'gauss' | 'hedged';
  /** On a lossy-coded image checked against a background of few or no such images: why it may be unusual whatever it shows. */
  codingNote?: string;
}

export interface GroupLine {
  score: number;
  alpha: number;
  images: string[];
  /** How many nodes the subset holds; `layers` names them. */
  nodes: number;
  /** The subset's nodes, by layer: each layer's own node indices (as topNodes' `index`). */
  layers: { layer: string; indices: number[] }[];
}

/**
 * The group scan's inputs as images are checked (capacity: how many may come): each one's point
 * p-values, 4 bytes a node, not its result, which holds three values a node (322 kB an image on the
 * default model: 4,000 images took 1.5 GB).
 */
export function groupCollector(scorer: Scorer, capacity: number) {
  const N = scorer.profile.header.nodes;
  const rows = new Float32Array(capacity * N);
  const files: string[] = [];
  return {
    get count() {
      return files.length;
    },
    add(r: ImageResult): void {
      scorer.groupRow(r, rows.subarray(files.length * N, (files.length + 1) * N));
      files.push(r.file);
    },
    /** The subset of images and nodes most anomalous together, or null without an image. */
    line(scoring: ScoringName, seed: number): GroupLine | null {
      if (!files.length) return null;
      const g = scorer.groupScan(rows.subarray(0, files.length * N), scoring, seed);
      return { score: g.score, alpha: g.alpha, images: g.images.map((i) => files[i]), nodes: g.nodes.length, layers: nodesByLayer(scorer.profile.header.layers, g.nodes) };
    },
  };
}

export function scoreLine(r: ImageResult): ScoreLine {
  return {
    file: r.file,
    score: r.score,
    alpha: r.alpha,
    q: r.q,
    flagged: r.flagged,
    verdict: r.verdict,
    ...(r.verdictReason ? { verdictReason: r.verdictReason } : {}),
    calibrationCount: r.calibrationCount,
    fpr: r.fpr,
    top: `${topLabel(r)} ${(100 * r.top[0].prob).toFixed(1)}%`,
    classes: r.top.map(({ index, label, prob }) => ({ index, label, prob })),
    ...(r.topOfMean ? { topOfMean: r.topOfMean } : {}),
    topNodes: r.topNodes.map((n) => ({ layer: n.layer, index: n.index, value: n.value, p: n.p })),
    parts: r.parts,
    ...(r.jointQ === undefined ? {} : { jointQ: r.jointQ }),
    ...(r.decidedBy ? { decidedBy: r.decidedBy } : {}),
    ...(r.codingNote ? { codingNote: r.codingNote } : {}),
  };
}

/** The verdict in words: never "ok" or "typical" for a profile that could not have said "unusual". */
export function verdictText(r: Pick<ScoreLine, 'verdict' | 'verdictReason'>): string {
  if (r.verdict === 'unusual') return 'unusual';
  if (r.verdict === 'typical') return 'typical';
  return `not calibrated: ${afterColon(r.verdictReason ?? 'the profile cannot flag at this FPR')}`;
}

/** A score with three decimals, or an exponent where that would read 0.000 (a score of only its tie-break, core/combine.ts). */
const scoreText = (s: number): string => (s === 0 || !Number.isFinite(s) || Math.abs(s) >= 0.0005 ? s.toFixed(3) : s.toExponential(2));

export function textLine(r: ScoreLine | ImageError): string {
  if ('error' in r) return `${printable(r.file)}\tERROR\t${printable(ownMessage(r.error, r.file))}`;
  const q = Number.isFinite(r.q) ? r.q.toFixed(4) : '-';
  const line = `${printable(r.file)}\t${verdictText(r)}\tscore ${scoreText(r.score)}\tq ${q}\t${r.top}`;
  if (r.verdict !== 'unusual') return line;
  // Which evidence: the Gaussian part where it alone decides, else the look with the smallest q of its
  // own, as the detail view ranks them: each part, the quiet look, the parts' joint look.
  const gauss = r.decidedBy === 'gauss' ? r.parts.find((p) => p.name === 'gauss') : undefined;
  if (gauss) return `${line}\tdecided by: gauss (q ${gauss.q.toPrecision(2)})`;
  const strongest = evidenceLooks(r).reduce((a, b) => (b.q < a.q ? b : a));
  return `${line}\tstrongest part: ${strongest.name} (q ${strongest.q.toPrecision(2)})`;
}

/** The group scan's subset: which images, as many nodes each (an uncalibrated score: compare batches, not one with a threshold). */
export function groupText(g: GroupLine): string {
  const named = g.images.slice(0, 5).join(', ') + (g.images.length > 5 ? ', …' : '');
  return `group scan: score ${scoreText(g.score)} at alpha ${g.alpha.toPrecision(2)}: ${counted(g.images.length, 'image')} x ${counted(g.nodes, 'node')} (${named})`;
}

/** `json` pretty-printed (2 spaces) as it reads `depth` levels into a document: every line after the first indented that much more. */
const nested = (json: string, depth: number): string => json.replace(/\n/g, `\n${'  '.repeat(depth)}`);

/**
 * Where results go. Text and NDJSON are written as each image finishes (a long run shows
 * progress and a pipe can act early); JSON is one document `{ results, group? }`, whatever the
 * options, so a script parses one shape. It is written as results come, the same bytes as
 * JSON.stringify(document, null, 2) at the end: a batch of any size holds none of its results
 * (held, 1,000 photos took 2.9 MB of text and their objects until the last one).
 */
export function resultSink(format: Format, write: (s: string) => void = (s) => process.stdout.write(s)) {
  let written = 0;
  let flagged = 0;
  let verdicts = 0;
  let failed = 0;
  let uncalibrated: string | undefined;
  return {
    add(r: ScoreLine | ImageError) {
      if ('error' in r) failed++;
      else {
        if (r.flagged) flagged++;
        if (r.verdict === 'uncalibrated') uncalibrated ??= r.verdictReason;
        else verdicts++;
      }
      if (format === 'json') write(`${written++ ? ',' : '{\n  "results": ['}\n    ${nested(JSON.stringify(r, null, 2), 2)}`);
      else if (format === 'jsonl') write(`${JSON.stringify(r)}\n`);
      else write(`${textLine(r)}\n`);
    },
    /** The group scan, if any, goes last: NDJSON as one `{ "group": … }` line. */
    end(group?: GroupLine | null) {
      if (format === 'json') write(`${written ? '\n  ]' : '{\n  "results": []'}${group ? `,\n  "group": ${nested(JSON.stringify(group, null, 2), 1)}` : ''}\n}\n`);
      else if (group) write(format === 'jsonl' ? `${JSON.stringify({ group })}\n` : `${groupText(group)}\n`);
      return { flagged, verdicts, failed, uncalibrated };
    },
  };
}
