// Maximum softmax probability (Hendrycks & Gimpel 2017): the model's own confidence, from its logits.

/** 1 − max softmax probability, so that larger = more unusual like every histoscan score. */
export function msp(logits: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > m) m = logits[i];
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += Math.exp(logits[i] - m); // shifted by the max: no overflow
  return 1 - 1 / s; // max softmax = exp(0) / s
}
