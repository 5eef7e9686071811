// What one image's check returns (the detector's result and its parts). Types only; src/types.ts re-exports them.
import type { VerdictState } from './core/verdict.ts';
import type { Provider, Reduction, ScoringName } from './types.ts';

/** Per-layer p-values of one image, node order as in the profile. */
export interface LayerPValues {
  name: string;
  shape: number[];
  /** The layer's channel axis when not the first (a transformer's [tokens, features]: 1). */
  channelAxis?: number;
  /** How the layer became nodes (per element, pooled to a grid, a mean or max per channel): the map draws and names them by it. */
  reduction: Reduction;
  /** Node values (after reduction). */
  values: Float32Array;
  pMin: Float32Array;
  pMax: Float32Array;
}

export interface NodeRef {
  /** Index into the flat node vector of all monitored layers. */
  node: number;
  layer: string;
  /** Index within the layer. */
  index: number;
  value: number;
  p: number;
}

export interface Timings {
  decode: number;
  preprocess: number;
  inference: number;
  pvalues: number;
  scan: number;
}

/** One calibrated part of an image's score: a scan, the energy or the Gaussian part (core/score.ts partNames). */
export interface PartEvidence {
  /** 'upper', 'lower', 'upper:class', 'lower:class', 'energy', 'gauss', … */
  name: string;
  score: number;
  /** Share of calibration images whose part scores at least as high (with this image: (k + 1) / (m + 1)); NaN without calibration. */
  q: number;
  /**
   * The pooled upper-tail scan only: the share whose part scores at most as high, its quiet look (an image
   * lighting up fewer nodes than clean ones; core/witnesses.ts combineParts); absent for other parts.
   */
  qBelow?: number;
}

/** What the detector returns for one image. */
export interface ImageResult {
  file: string;
  width: number;
  height: number;
  /** Top classes of the model's own prediction, best first. */
  top: { index: number; label: string; prob: number }[];
  /**
   * The classes are ranked by an output's mean over its positions (a text recogniser's tokens, a segmentation
   * map's pixels), not by one prediction: its first is often the same for every image (a CTC blank, the background).
   */
  topOfMean?: true;
  /**
   * The anomaly statistic the verdict ranks against the calibration images (larger: more unusual).
   * Calibrated, it combines the parts' ranks among them (the profile's `combine`); without
   * calibration, the sum of the parts' scan scores. Its scale is the profile's own: compare it
   * within one profile, and decide by `q` and `verdict`.
   */
  score: number;
  /** The scan's α*: the p-value threshold of the most anomalous part's subset. */
  alpha: number;
  /** Calibrated p-value of the score against clean calibration inputs; NaN without calibration. */
  q: number;
  /** verdict === 'unusual'. */
  flagged: boolean;
  /** 'uncalibrated' when this profile cannot flag at `fpr` (see core/verdict.ts); never read it as typical. */
  verdict: VerdictState;
  verdictReason?: string;
  /** Calibration images behind q (0: none), so a new FPR can be applied to q without the worker. */
  calibrationCount: number;
  fpr: number;
  scoring: ScoringName;
  layers: LayerPValues[];
  /** Each calibrated part on its own: which evidence made the verdict. */
  parts: PartEvidence[];
  /**
   * The joint look's q: the share of calibration images whose parts are as unusual together (core/combine.ts
   * jointLook), one more witness of the verdict; absent where the verdict follows one part or is uncalibrated.
   */
  jointQ?: number;
  /**
   * 'gauss': the verdict follows the Gaussian part alone (CalibrationTable.gaussAlone); 'hedged': every
   * part, weighed once more with the Gaussian part alone (CalibrationTable.hedged); absent: every part.
   */
  decidedBy?: 'gauss' | 'hedged';
  /**
   * Set on a lossy-coded image checked against a background of few or no such images, whatever its verdict: why
   * it may be unusual whatever it shows (core/verdict.ts codingNote). The CLI and the page say it with an unusual verdict.
   */
  codingNote?: string;
  /** Anomalous subset found by the scan: flat node indices, ascending. */
  subset: Uint32Array;
  /** Most anomalous nodes, smallest p first. */
  topNodes: NodeRef[];
  provider: Provider;
  timings: Timings;
}
