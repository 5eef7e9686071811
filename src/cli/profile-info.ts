// `histoscan inspect --profile X.hsp`: what a profile holds, from its header, before it is used or shared.
import { statSync } from 'node:fs';
import { driftText, layerOffsets, layerReductions, type Profile } from '../core/index.ts';
import { Scorer } from '../detector/scorer.ts';
import { counted } from '../core/words.ts';
import { fmtBytes } from '../core/words.ts';
import { readProfile } from './io.ts';

/** The header's facts a user asks of a profile (its arrays and the calibration scores left out). */
function profileSummary(p: Profile, bytes: number) {
  const h = p.header;
  const rs = layerReductions(h);
  const check = h.calibration?.check;
  // The scorer's reading: a table it cannot use (another profile's, other parts) is not compared with its check.
  const { drift, calibrationProblem } = new Scorer(p);
  return {
    bytes,
    generator: h.generator,
    createdAt: h.createdAt,
    modelName: h.modelName,
    source: h.source,
    background: h.count,
    /** Background images from lossy-coded files (JPEG, lossy WebP, JPEG-compressed TIFF); null where the profile does not say. */
    lossy: h.lossy ?? null,
    /** Whether it keeps a key of each background image's pixels, so that `calibrate` leaves those images out (from 0.4.23, up to 50,000 images). */
    backgroundKeys: h.pixelKeys !== undefined,
    calibration: h.calibration?.count ?? 0,
    /** The smallest FPR its verdict can flag at (q reaches 1/(m + 1) with m calibration images); null without a table it can use. */
    flagsFrom: h.calibration?.count && !calibrationProblem ? 1 / (h.calibration.count + 1) : null,
    /** The table's own check (core/recheck.ts): who scored it, and whether this version scores alike (else the part that moved most, by its relative change); null for a table without one (before 0.4.19). */
    /** Why this version cannot use the table, where it cannot (another profile's, other parts). */
    calibrationProblem: calibrationProblem ?? null,
    check: check && !calibrationProblem ? { scoredBy: check.by ?? null, agrees: !drift, ...(drift ? { part: drift.part, moved: drift.by } : {}) } : null,
    /** The preprocessing the profile was built with, which `score` holds a model to. */
    spec: h.spec ?? null,
    histograms: { strategy: h.strategy, bins: h.bins, nodes: h.nodes },
    layers: h.layers.map((l, i) => ({ name: l.name, shape: l.shape, reduction: rs[i], nodes: l.nodes })),
    // Layers whose nodes have histograms per predicted class too.
    classLayers: h.classes ? layerOffsets(h.layers).filter((at, i) => at < h.classes!.to && at + h.layers[i].nodes > h.classes!.from).length : 0,
    gauss: h.gauss ? { d: h.gauss.d } : null,
    /** The calibrated parts (the table's columns). */
    parts: h.calibration?.parts ?? [],
    merged: h.merged?.length ?? 0,
  };
}

/** The summary of the profile at `path`. */
export const profileOf = (path: string) => profileSummary(readProfile(path), statSync(path).size);

/** What the table's check says, after "calibrated on N images". */
function checkText({ check: c, calibrationProblem }: ReturnType<typeof profileSummary>): string {
  const by = c?.scoredBy ?? 'its writer';
  if (calibrationProblem) return `, which this version cannot use: ${calibrationProblem}`;
  if (!c) return ' (its table carries no check of its scoring: written before 0.4.19)';
  if (c.agrees) return ` (checked: this version scores its parts as ${by} did)`;
  return ` (checked: this version scores its ${c.part} part otherwise than ${by} did, ${driftText(c.moved!)}; recalibrate with "histoscan calibrate")`;
}

export function printProfile(path: string, json: boolean): void {
  const s = profileOf(path);
  if (json) return console.log(JSON.stringify({ profile: s }, null, 2));
  const when = s.createdAt ? ` on ${s.createdAt.slice(0, 10)}` : '';
  console.log(`profile ${path}: ${s.bytes.toLocaleString('en')} bytes (${fmtBytes(s.bytes)}), written by ${s.generator ?? 'an unknown version'}${when}${s.modelName ? ` for ${s.modelName}` : ''}`);
  const coding = s.lossy === null ? '' : s.lossy ? `, ${s.lossy.toLocaleString('en')} of them lossy-coded` : ', all losslessly coded';
  const keys = s.backgroundKeys ? ', keyed (calibrate leaves them out)' : ', not keyed (calibrate cannot tell them from new images)';
  console.log(`  background ${counted(s.background, 'image')}${s.source ? ` (${s.source})` : ''}${coding}${keys}${s.merged ? `, merged from ${s.merged} shards` : ''}; ${s.calibration ? `calibrated on ${counted(s.calibration, 'image')}${checkText(s)}${s.flagsFrom ? `, so it can flag at FPR ${Math.ceil(1e4 * s.flagsFrom) / 1e4} or more` : ''}` : 'no calibration: it cannot flag'}`);
  console.log(`  ${s.histograms.strategy} B=${s.histograms.bins}, ${s.histograms.nodes.toLocaleString('en')} nodes${s.parts.length ? `; parts ${s.parts.join(', ')}` : ''}${s.classLayers ? `; per predicted class for the last ${counted(s.classLayers, 'layer')}` : ''}${s.gauss ? `; Gaussian part of ${s.gauss.d} features` : ''}`);
  if (s.spec) {
    // Class names by their count: a thousand of them would bury the line.
    const { classNames, ...rest } = s.spec;
    console.log(`  preprocessing ${JSON.stringify(rest)}${classNames ? `, ${counted(classNames.length, 'class name')}` : ''}`);
  }
  for (const l of s.layers) console.log(`  ${l.name}  ${l.shape.join('x')}  ${l.reduction}  ${l.nodes.toLocaleString('en')} nodes`);
}
