// Energy score (Liu et al. 2020) from the logits, temperature 1: a peer in the evaluation, and the
// logit part of a histoscan score (ScanHeader.logits).
import type { LogitPart } from '../types.ts';

/** The largest logit m and Σ exp(z − m): shifted by the max, so no exp overflows (the softmax of z is exp(z − m) / Σ). */
export function softmaxTerms(logits: ArrayLike<number>): [number, number] {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > m) m = logits[i];
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += Math.exp(logits[i] - m);
  return [m, s];
}

/** E(x) = −logsumexp(logits). In-distribution inputs get low energy, so E is the anomaly score. */
export function energy(logits: ArrayLike<number>): number {
  const [m, s] = softmaxTerms(logits);
  return -(m + Math.log(s));
}

/** The top class's softmax probability, exp(0) / Σ exp(z − max): the model's confidence in one image. */
export const topProbability = (logits: ArrayLike<number>): number => 1 / softmaxTerms(logits)[1];

/**
 * How sure the model is of one image: how far its top-class probability stands from chance (1/K for K
 * classes) toward certainty, 0 at chance and 1 when sure. Chance, not 0, is where being unsure starts:
 * a binary classifier's top class always has at least 0.5. A single output has no classes to be
 * sure between (a sigmoid score, an embedding): 0.
 */
export function confidenceAboveChance(logits: ArrayLike<number>): number {
  const k = logits.length;
  return k < 2 ? 0 : (topProbability(logits) - 1 / k) / (1 - 1 / k);
}

/**
 * The energy part (DEFAULTS.logits 'auto') needs a model that is sure of its background: a median
 * confidenceAboveChance of at least this. Energy scores an input by how confident the model is,
 * which presumes known-good inputs get confident logits. A model unsure of its own background (the
 * photo model in development, a detector's class heat-map read as 80 classes, most crops with no
 * object: median top-class probability 0.094, 0.083 above chance) gives it no footing: there its
 * energy ranked every anomalous dev set below or near the clean ones (AUC 0.19–0.63), and leaving it
 * out raised the dev mean 0.796 -> 0.825. The default model (0.998 of 10 classes: 0.998 above chance)
 * and the ViT (0.984 of 10: 0.982) keep it; any threshold between 0.09 and 0.98 splits the three the
 * same way. (Until version 0.2 the threshold was on the top-class probability itself, which every
 * binary classifier passes.)
 */
export const ENERGY_MIN_CONFIDENCE = 0.5;

/** The median of per-image confidences (0 for none). */
export function medianConfidence(confidences: readonly number[]): number {
  if (confidences.length === 0) return 0;
  const s = [...confidences].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/**
 * Whether a build keeps the energy part: asked for it (`energy`), or `auto` and `sure`, the model
 * sure of its background (median confidenceAboveChance at least ENERGY_MIN_CONFIDENCE; for a shard,
 * as its edges profile decided).
 */
export const keepsEnergy = (part: LogitPart, sure: boolean): boolean => part === 'energy' || (part === 'auto' && sure);
