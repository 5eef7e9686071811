// Maximum softmax probability (Hendrycks & Gimpel 2017): the model's own confidence, from its logits.
import { topProbability } from '../core/energy.ts';

/** 1 − max softmax probability, so that larger = more unusual like every histoscan score. */
export const msp = (logits: ArrayLike<number>): number => 1 - topProbability(logits);
