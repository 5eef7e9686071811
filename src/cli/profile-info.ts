// `histoscan inspect --profile X.hsp`: what a profile holds, from its header, before it is used or shared.
import { statSync } from 'node:fs';
import { layerOffsets, layerReductions, type Profile } from '../core/index.ts';
import { counted } from '../core/words.ts';
import { fmtBytes } from '../core/words.ts';
import { readProfile } from './io.ts';

/** The header's facts a user asks of a profile (its arrays and the calibration scores left out). */
function profileSummary(p: Profile, bytes: number) {
  const h = p.header;
  const rs = layerReductions(h);
  return {
    bytes,
    generator: h.generator,
    createdAt: h.createdAt,
    modelName: h.modelName,
    source: h.source,
    background: h.count,
    /** Background images from lossy-coded files (JPEG, lossy WebP, JPEG-compressed TIFF); null where the profile does not say. */
    lossy: h.lossy ?? null,
    calibration: h.calibration?.count ?? 0,
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

export function printProfile(path: string, json: boolean): void {
  const s = profileOf(path);
  if (json) return console.log(JSON.stringify({ profile: s }, null, 2));
  const when = s.createdAt ? ` on ${s.createdAt.slice(0, 10)}` : '';
  console.log(`profile ${path}: ${s.bytes.toLocaleString('en')} bytes (${fmtBytes(s.bytes)}), written by ${s.generator ?? 'an unknown version'}${when}${s.modelName ? ` for ${s.modelName}` : ''}`);
  const coding = s.lossy === null ? '' : s.lossy ? `, ${s.lossy.toLocaleString('en')} of them lossy-coded` : ', all losslessly coded';
  console.log(`  background ${counted(s.background, 'image')}${s.source ? ` (${s.source})` : ''}${coding}${s.merged ? `, merged from ${s.merged} shards` : ''}; ${s.calibration ? `calibrated on ${counted(s.calibration, 'image')}` : 'no calibration: it cannot flag'}`);
  console.log(`  ${s.histograms.strategy} B=${s.histograms.bins}, ${s.histograms.nodes.toLocaleString('en')} nodes${s.parts.length ? `; parts ${s.parts.join(', ')}` : ''}${s.classLayers ? `; per predicted class for the last ${counted(s.classLayers, 'layer')}` : ''}${s.gauss ? `; Gaussian part of ${s.gauss.d} features` : ''}`);
  for (const l of s.layers) console.log(`  ${l.name}  ${l.shape.join('x')}  ${l.reduction}  ${l.nodes.toLocaleString('en')} nodes`);
}
