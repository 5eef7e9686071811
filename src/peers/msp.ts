// Maximum softmax probability (Hendrycks & Gimpel 2017): the model's own confidence, from its logits.
import { topProbability } from '../core/energy.ts';

/**
 * 1 − max softmax probability, so that larger = more unusual like every histoscan score. A single
 * output (a binary score) has a softmax of 1 for every image, which ranks nothing: its probability
 * is σ(z), as its class column shows, so 1 − max(σ(z), 1 − σ(z)) = σ(−|z|).
 */
export const msp = (logits: ArrayLike<number>): number => (logits.length === 1 ? 1 / (1 + Math.exp(Math.abs(logits[0]))) : 1 - topProbability(logits));
