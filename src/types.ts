// Shared contracts between core, model, detector, worker, CLI and UI. Types only.
export type { ImageError } from './core/errors.ts';
export type { ImageResult, LayerPValues, NodeRef, PartEvidence, Timings } from './result-types.ts';

/**
 * How a layer tensor becomes nodes: every value; the mean over a g×g grid of each channel (adaptive
 * average pooling, 'pool4' = C×4×4); one mean or max per channel.
 */
export type Reduction = 'element' | 'pool4' | 'pool2' | 'channel-mean' | 'channel-max';
/** Bin edge placement of the histogram profile. */
export type BinStrategy = 'uniform' | 'tail';
/** Which tail of the background counts as surprising. */
export type Tail = 'upper' | 'lower' | 'two';
/** A scan's tail: one of the above, or 'both' = an upper-tail and a lower-tail scan, each calibrated, combined (Fisher). */
export type ScanTail = Tail | 'both';
/** Scan scoring functions: Berk-Jones, Higher Criticism, Kolmogorov-Smirnov. */
export type ScoringName = 'bj' | 'hc' | 'ks';
/** Which point of a p-value range [pMin, pMax] the scan uses. */
export type PointP = 'mid' | 'max';
/** Where a model runs: WebGPU or WASM in browsers; under Node, onnxruntime-node's native CPU provider or WASM. */
export type Provider = 'webgpu' | 'wasm' | 'cpu';
export type ProviderRequest = 'auto' | Provider;

/** Preprocessing of pixels into the model input: x = (pixel / scale - mean) / std per channel. */
export interface ModelSpec {
  inputName: string;
  /** Logits output; the first float graph output when absent. */
  outputName?: string;
  height: number;
  width: number;
  channels: 1 | 3;
  layout: 'nchw' | 'nhwc';
  scale: number;
  mean: number[];
  std: number[];
  /** Channel order BGR instead of RGB. */
  bgr?: boolean;
  resize: 'stretch' | 'center-crop' | 'pad';
  /**
   * Under 'center-crop', the share of the largest centred region (with the input's aspect ratio) that
   * is kept: 0.875 feeds its middle 87.5%, as an image processor that resizes the short side to 256
   * and crops 224 does. 1 when absent.
   */
  crop?: number;
  /** What transparent pixels are laid over: black when absent (MNIST-style data), white for logos, scans, text lines. */
  matte?: 'black' | 'white';
  classNames?: string[];
  /**
   * How the class scores become the probabilities shown: 'softmax' across the classes (one class per
   * image), or 'sigmoid', each class its own (a multi-label model, a detector's class scores). Absent:
   * as the graph says (a closing Sigmoid, a single logit), else softmax.
   */
  probabilities?: 'softmax' | 'sigmoid';
}

/** Decoded image in RGBA, 8 bits per channel (what a canvas or pngjs gives). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
  /** An animation's frames (model/frames.ts): the pixels are its first frame. Absent for a still image. */
  frames?: { count: number; exact: boolean };
  /** The lossy compression its file went through ('JPEG', 'lossy WebP', 'JPEG-compressed TIFF'; model/sniff.ts lossyCoding); false: a losslessly coded file; absent: not known (pixels given, or an AVIF, which codes either way). */
  lossy?: string | false;
}

/** A monitored layer and where its nodes sit in the flat node vector. */
export interface LayerLayout {
  name: string;
  /** Shape of the layer tensor for one image, batch dimension removed. */
  shape: number[];
  /** How this layer became nodes. Absent in profiles of histoscan ≤ 0.1: the header's global `reduction` then applies. */
  reduction?: Reduction;
  /** The channel axis when it is not the first: 1 for a transformer's [tokens, features] tensor (model/reduce.ts channelAxisOf). */
  channelAxis?: number;
  nodes: number;
}

/** A calibration table's own check (core/recheck.ts): made-up images' part scores per scoring (null: not finite), and the version that scored them. */
export interface CalibrationCheck {
  by?: string;
  scores: Partial<Record<ScoringName, (number | null)[]>>;
}

export interface CalibrationTable {
  /** Held-out clean images behind the table. */
  count: number;
  /** The separately scanned parts, in column order (e.g. ['upper', 'lower'] for scan tail 'both'). */
  parts: string[];
  /** Per scoring function: each calibration image's part scores, row-major [count, parts], in image order. */
  scores: Partial<Record<ScoringName, number[]>>;
  /** Digest of the histograms and scan settings the table was computed with: another profile's table is refused. */
  digest?: string;
  /**
   * The scorings whose verdict follows the Gaussian part alone, because pseudo-anomalies made from
   * the calibration images told it from them better than all witnesses together (core/surrogates.ts);
   * absent: every witness, as in profiles made before.
   */
  gaussAlone?: ScoringName[];
  /**
   * The scorings whose verdict adds the joint look (core/combine.ts jointLook) to every witness, because
   * the pseudo-anomalies told it from them better so; absent: without it, as in profiles made before.
   */
  joint?: ScoringName[];
  /**
   * The scorings whose verdict weighs the combination of witnesses (with or without the joint look) with
   * the Gaussian part alone (core/combine.ts combine's `hedge`), because the pseudo-anomalies could not
   * tell which of the two speaks better; absent: the one chosen, as in profiles made before.
   */
  hedged?: ScoringName[];
  /** Part scores of made-up images, scored when the table was (core/recheck.ts): a later version that scores them otherwise says so. */
  check?: CalibrationCheck;
}

export type ConditionalScan = 'mixed' | 'split' | 'added';
/** Which monitored layers get histograms per predicted class (model/plan.ts planProfile). */
export type ClassLayers = 'none' | 'last' | 'all' | 'auto';
/** A build's logit part: the model's energy, none, or 'auto': energy where the model is sure of its background, beyond chance (core/energy.ts ENERGY_MIN_CONFIDENCE). */
export type LogitPart = 'auto' | 'energy' | 'none';

/** How calibrated parts combine: Fisher's sum, Tippett's minimum q, or the truncated product of the small q. */
export type Combination = 'fisher' | 'min' | 'tpm';

export interface ScanHeader {
  aMax: number;
  tail: ScanTail;
  pointP: PointP;
  /**
   * How class-conditional nodes are scanned (profiles with `classes`): 'mixed' (default) in one
   * scan per tail with the pooled ones; 'split' as separately calibrated parts from the pooled
   * nodes (their p-values come from different backgrounds); 'added' every node pooled as without
   * classes, plus the class-conditional nodes as extra parts.
   */
  conditional?: ConditionalScan;
  /** How the calibrated parts combine into one statistic (core/combine.ts); absent: Fisher. */
  combine?: Combination;
  /**
   * A logit part: the model's own energy, −logsumexp(logits) (Liu et al. 2020), calibrated and
   * combined like the scan parts. Its scale is not a scan score's, so it counts only in calibrated q.
   */
  logits?: 'energy';
}

/** Mahalanobis statistics of the monitored layers' channel means, per group of background rows (mergeable). */
export interface GaussStats {
  /**
   * Feature dimension: the channels of the layers read, or fewer, and then those channels projected
   * by core/gauss.ts's seeded sign matrix (gaussFeaturizer).
   */
  d: number;
  /** How many of the last monitored layers it reads (core/gauss.ts gaussChoice); absent: 1, as in profiles made before it could read more. */
  layers?: number;
  /** How many of the first monitored layers it reads besides; absent: none, as in profiles made before it read both ends. */
  first?: number;
  /**
   * How the background rows are grouped, each group with its mean: by nearest k-means prototype
   * (core/prototypes.ts Prototypes); absent: by predicted class, as in profiles made before prototypes.
   */
  groups?: 'prototypes';
  /** Background images per group. */
  counts: number[];
  /** Per group, the sum of its feature rows, row-major [groups, d]. */
  sums: number[];
  /** Sum over all rows of x xᵀ, upper triangle row by row (d (d + 1) / 2 values). */
  scatter: number[];
}

export interface ClassBlocks {
  from: number;
  to: number;
  /** Background images per predicted class. */
  counts: number[];
}

/** JSON header of a .hsp profile. */
export interface ProfileHeader {
  /** Fingerprint of the (uninstrumented) model the profile was built for. */
  fingerprint: string;
  modelName?: string;
  spec?: ModelSpec;
  layers: LayerLayout[];
  /** The tensor read as the logits when it is not the model's output: the input of a closing Softmax. */
  logitsFrom?: string;
  /** The layers' reduction when they all share one, else 'mixed' (each layer then says its own). */
  reduction: Reduction | 'mixed';
  nodes: number;
  /** Number of background inputs. */
  count: number;
  /** How many of them came from lossy-coded files (JPEG, lossy WebP, JPEG-compressed TIFF); absent where not known for every one (before 0.4.16, pixels given, AVIFs). */
  lossy?: number;
  /** Where the background came from (a path, a list digest), for provenance. */
  source?: string;
  /** A merged profile's shards (core/hsp.ts profileDigest of each): merging one of them again with it is refused. */
  merged?: string[];
  /**
   * core/twins.ts pixelKey of each background image (encodeKeys: sorted u32, base64), so that calibrating
   * the profile later leaves the background's own images out. Absent for more than MAX_PIXEL_KEYS images,
   * before 0.4.23, and in a merge of shards not all of which keep them.
   */
  pixelKeys?: string;
  strategy: BinStrategy;
  bins: number;
  /** Scan settings the calibration table was computed with. */
  scan: ScanHeader;
  /**
   * Class-conditional counts: for nodes [from, to), one histogram per class the model predicts
   * (counts[c] background images), on the pooled edges, after the pooled tails.
   */
  classes?: ClassBlocks;
  /** Sufficient statistics of the Gaussian part (core/gauss.ts), when the profile has one. */
  gauss?: GaussStats;
  calibration?: CalibrationTable;
  createdAt?: string;
  generator?: string;
}

export interface GroupScanResult {
  score: number;
  alpha: number;
  images: number[];
  nodes: number[];
}

export interface Progress {
  done: number;
  total: number;
  stage: string;
}

/** One node's background histogram (core/classes.ts nodeHistogram). */
export interface NodeHistogramData {
  layer: string;
  index: number;
  /** Bin edges e_0..e_B (expanded for uniform bins). */
  edges: number[];
  counts: number[];
  lo: number;
  hi: number;
  /** Background images behind the counts: the class's where `cls` is set. */
  count: number;
  /** The predicted class whose histogram this is; absent: the pooled histogram (every background image). */
  cls?: number;
}
