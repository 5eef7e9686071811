// Profile building and calibration as functions of a feature extractor and image sources: two
// streaming passes over the background, then the calibration table from held-out clean images.
import { addsJoint, argmax, makeCheck, countWidth, MIN_CLASS_COUNT, withoutClasses, CalibrationCollector, chooseWitnesses, combinedOf, MIN_SURROGATE_IMAGES, surrogateCount, surrogateImages, ENERGY_MIN_CONFIDENCE, FeatureSample, keepingNear, keepsEnergy, medianConfidence, confidenceAboveChance, lastLayersClasses, GaussAccumulator, gaussChoice, gaussFeaturizer, Prototypes, histogramPValueFn, nodeKey, pixelKey, decodeKeys, keysField, BackgroundIndex, partGroups, partsOf, witnessesOf, profileDigest, quietScan, ProfileBuilder, scanOf, toImageError, UsageError, type Combination, type Part, type Profile, type PValueFn, type ScanSettings, type SurrogateKind, type WitnessChoice, type WitnessOption, type Witnesses, weighsGauss } from '../core/index.ts';
import type { BinStrategy, CalibrationTable, ClassLayers, ConditionalScan, ImageError, LogitPart, PointP, Progress, ScanTail, ScoringName } from '../types.ts';
import { GENERATOR } from '../defaults.ts';
import type { FeatureExtractor } from './features.ts';
import { pickImages, type ImageSource } from './holdout.ts';
import { calibrationWarnings, chanceWarning, farthestOut, witnessNote, fewImagesWarning, fprSpreadWarning, nearCopyWarning, noneReadMessage, repeatWarning, groupedWarning, twinWarning, unkeyedWarning, oneClassCalibrationWarning, oneClassWarning, otherClassNote, smallBackgroundWarning } from './build-notes.ts';

export interface BuildOptions {
  bins: number;
  strategy: BinStrategy;
  tail: ScanTail;
  pointP: PointP;
  aMax: number;
  /**
   * Which layers get class-conditional histograms: none, all, the last, or 'auto': those the
   * extractor's budget plan chose (model/plan.ts planProfile; the last layer without a plan).
   */
  classConditional: ClassLayers;
  /** How class-conditional nodes are scanned (ScanHeader.conditional). */
  conditional: ConditionalScan;
  /** How the calibrated parts combine (ScanHeader.combine). */
  combine: Combination;
  /** The logit part (ScanHeader.logits). */
  logits: LogitPart;
  /** The Gaussian part (core/gauss.ts): Mahalanobis statistics of the first and last layers' channel means, per background prototype. */
  gauss: boolean;
  /**
   * Profile bytes. Detector.build plans its layers again by it where the detector planned them; with
   * no plan (explicit reductions, a profile's layers) the Gaussian part must fit GAUSS_SHARE of it.
   */
  budget: number;
  batchSize: number;
  /** The verdict's FPR the calibration must be able to reach (warned about, not enforced). */
  fpr: number;
  edgesFrom?: Profile;
  /** Background images the plan was made for, where more than this build's (the edges of shards to come). */
  planCount?: number;
  source?: string;
  modelName?: string;
  generator: string;
  onProgress?: (p: Progress) => void;
  /** The counting pass's node values of each batch of background images (row-major), their positions in the source, and logits: for a caller that needs them too (eval's peers) instead of a pass of its own. */
  onRows?: (nodes: Float32Array, loaded: number[], logits: Float32Array[]) => void;
  /** Checked between batches: set it to stop (cancellation). */
  signal?: { aborted: boolean };
}

/** An image a build or calibration left out: its file, the message, and the error's code as check() gives it. */
export type SkippedImage = ImageError;

export interface BuildResult {
  profile: Profile;
  skipped: SkippedImage[];
  /** Things the user should know, e.g. a calibration set too small for the FPR. */
  warnings: string[];
  /** What the build chose by itself from the images, e.g. to leave the energy part out. */
  notes: string[];
}

type Passes = Pick<BuildOptions, 'batchSize' | 'onProgress' | 'signal'>;

/** Progress over several passes of several sources, reported as one bar. */
function tracker(total: number, opts: Passes) {
  let done = 0;
  return (stage: string) => (n: number) => {
    done += n;
    opts.onProgress?.({ done, total, stage });
  };
}

/** Images a calibration reads: the held-out clean ones, and the pseudo-anomalies made from them where the profile has a Gaussian part to choose. */
const calibrationImages = (gauss: boolean, count: number) => count + (gauss ? surrogateCount(count) : 0);

/** Calibration table of a profile from held-out clean images; a new profile, the old one untouched. */
export async function calibrate(
  features: FeatureExtractor,
  profile: Profile,
  images: ImageSource,
  /**
   * inBackground: nodeKey of every background image, and its near-copies (core/twins.ts BackgroundIndex), where the build has them.
   * onRows: every image's node values as the table's pass reads them (eval's other methods calibrate on them, with no pass of their own).
   */
  opts: Passes & Pick<BuildOptions, 'onRows'> & { fpr: number; inBackground?: { has(key: string): boolean; near?(x: Float32Array): number; nearerWithin?(sample: BackgroundIndex): { share: number; compared: number } | null } },
  progress = tracker(calibrationImages(!!profile.header.gauss, images.count), opts),
): Promise<BuildResult> {
  if (images.count === 0) throw new UsageError(noneReadMessage(0, 'calibration', new Map()));
  const scan = scanOf(profile);
  const pv = histogramPValueFn(profile);
  const collector = new CalibrationCollector(pv, scan);
  const skip = new Map<number, Error>();
  const N = features.nodes;
  // A calibration image that is also in the background ranks as more typical than new images do,
  // and the verdict would flag more than its FPR: it is left out.
  const twins = new Set<number>();
  const background = profile.header.pixelKeys ? new Set(decodeKeys(profile.header.pixelKeys)) : null; // a profile built earlier
  // Near-copies of a background image, and repeats of a calibration picture (in `order`): kept, and warned about.
  const [nearCopies, order, inCalibration] = [[] as number[], [] as number[], new BackgroundIndex(N)];
  const predicted = new Map<number, number>();
  let outputs = 0;
  // The images the pseudo-anomalies are made from are kept from this pass at about the model's size, not decoded again.
  const source = scan.gauss ? keepingNear(images, features.spec.width, features.spec.height) : images;
  await features.eachBatch(
    source,
    (nodes, loaded, logits, imgs) => {
      opts.onRows?.(nodes, loaded, logits);
      for (let r = 0; r < loaded.length; r++) {
        const x = nodes.subarray(r * N, (r + 1) * N);
        if (opts.inBackground?.has(nodeKey(x)) || background?.has(pixelKey(imgs[r]))) twins.add(loaded[r]);
        else {
          if ((opts.inBackground?.near?.(x) ?? -1) >= 0) nearCopies.push(loaded[r]);
          inCalibration.add(x, N);
          order.push(loaded[r]);
          collector.add(x, logits[r]);
          const c = argmax(logits[r]);
          predicted.set(c, (predicted.get(c) ?? 0) + 1);
          outputs = logits[r].length;
        }
      }
    },
    { batchSize: opts.batchSize, skip, signal: opts.signal, onBatch: progress('calibration') },
  );
  if (skip.size === images.count) throw new UsageError(noneReadMessage(images.count, 'calibration', skip));
  const kept = twins.size ? pickImages(source, [...Array(images.count).keys()].filter((i) => !twins.has(i))) : source;
  const scans = partsOf(scan, N);
  const { table, notes, chance } = await chooseWitnessesOn(features, pv, scan, scans, collector.finish(N, profileDigest(profile)), kept, opts, progress);
  const check = makeCheck(profile, pv, scan, Object.keys(table.scores) as ScoringName[], GENERATOR);
  const calibrated: Profile = { ...profile, header: { ...profile.header, calibration: { ...table, check } } };
  // The witnesses the verdict follows (under every scoring the table holds): the Gaussian part alone is
  // one. The joint look adds no tie of its own (the calibration images that top it are those that top
  // single parts: tests/calibration-size.test.ts).
  const alone = (Object.keys(table.scores) as ScoringName[]).every((f) => witnessesOf(table, f) === 'gauss');
  const groups = alone ? [1] : partGroups(scans.length, table.parts.length, quietScan(scans) >= 0);
  const repeats = inCalibration.repeats().map((i) => order[i]);
  // Pictures repeated are groups too: said once, as repeats.
  const repeated = repeatWarning(repeats.length, collector.count, repeats.length ? images.name(repeats[0]) : '');
  const overlap = [...unkeyedWarning(!!background || !!opts.inBackground), ...twinWarning(twins.size, images.count, twins.size ? images.name(Math.min(...twins)) : ''), ...nearCopyWarning(nearCopies.length, collector.count, nearCopies.length ? images.name(nearCopies[0]) : ''), ...repeated, ...(repeated.length ? [] : groupedWarning(opts.inBackground?.nearerWithin?.(inCalibration) ?? null, collector.count))];
  const oneKind = oneClassCalibrationWarning(predicted, outputs, profile.header.classes?.counts, features.spec.classNames, features.model.classMap);
  return { profile: calibrated, skipped: named(images, skip), notes, warnings: [...overlap, ...oneKind, ...chance, ...calibrationWarnings(collector.count, opts.fpr, groups, profile.header.scan.combine, alone ? [] : table.parts, () => farthestOut(table, scan, scans, (i) => images.name(order[i]))), ...fprSpreadWarning(collector.count, opts.fpr)] };
}

/**
 * The calibration table with the witnesses the verdict follows (core/surrogates.ts): the pseudo-anomalies
 * made from the calibration images are scored like them, and where the Gaussian part alone tells
 * them apart better than all witnesses together, the table says so (gaussAlone). Unchanged without a
 * Gaussian part or with too few images.
 */
async function chooseWitnessesOn(features: FeatureExtractor, pv: PValueFn, scan: ScanSettings, scans: Part[], table: CalibrationTable, images: ImageSource, opts: Passes, progress: ReturnType<typeof tracker>): Promise<{ table: CalibrationTable; notes: string[]; chance: string[] }> {
  if (!scan.gauss) return { table, notes: [], chance: [] };
  const made = surrogateCount(images.count);
  if (!made) return { table, chance: [], notes: [`with ${table.count} calibration images (fewer than ${MIN_SURROGATE_IMAGES + 1}) no pseudo-anomalies are made to choose the witnesses: the verdict follows all of them.`] };
  const N = features.nodes;
  const source = surrogateImages(images, features.spec.width, features.spec.height);
  // Their part scores, as a second table of the same columns, and each one's kind.
  const anomalies = new CalibrationCollector(pv, scan);
  const kinds: SurrogateKind[] = [];
  await features.eachBatch(
    source,
    (nodes, loaded, logits) => {
      for (let r = 0; r < loaded.length; r++) {
        anomalies.add(nodes.subarray(r * N, (r + 1) * N), logits[r]);
        kinds.push(source.kind(loaded[r]));
      }
    },
    // A calibration image that cannot be read was reported as one; a pseudo-anomaly made from it is left out.
    { batchSize: opts.batchSize, signal: opts.signal, onBatch: progress('pseudo-anomalies') },
  );
  const scores = anomalies.finish(N).scores;
  const choices = (Object.keys(table.scores) as ScoringName[]).map((f) => [f, witnessChoice(table, scores[f]!, f, scan, scans.length, quietScan(scans), kinds)] as const);
  const where = (test: (w: Witnesses) => boolean) => choices.filter(([, c]) => test(c.chosen)).map(([f]) => f);
  const [alone, joint, hedged] = [where((w) => w === 'gauss'), where(addsJoint), where(weighsGauss)];
  const hc = choices.find(([f]) => f === 'hc')?.[1];
  const notes = hc ? [witnessNote(kinds.length, hc)] : [];
  const chance = hc ? chanceWarning(Math.max(hc.all, hc.joint, hc.gauss)) : [];
  return { table: { ...table, ...(alone.length ? { gaussAlone: alone } : {}), ...(joint.length ? { joint } : {}), ...(hedged.length ? { hedged } : {}) }, notes, chance };
}

/** The pseudo-anomalies' verdict for one scoring: every witness together (as scoring combines them), with their joint look, or the Gaussian part (the last column) alone. */
function witnessChoice(table: CalibrationTable, anomalies: number[], scoring: ScoringName, scan: ScanSettings, scans: number, quiet: number, kinds: SurrogateKind[]): WitnessChoice {
  const rows = table.scores[scoring]!;
  const k = table.parts.length;
  const row = (t: number[], i: number) => t.slice(i * k, (i + 1) * k);
  const by = (p: number[]): Record<WitnessOption, number> => ({
    all: combinedOf(scan, p.slice(0, scans), p, rows, quiet).score,
    joint: combinedOf(scan, p.slice(0, scans), p, rows, quiet, 'joint').score,
    gauss: p[k - 1],
  });
  const clean = Array.from({ length: table.count }, (_, i) => by(row(rows, i)));
  const column = (w: WitnessOption) => clean.map((c) => c[w]);
  return chooseWitnesses({ all: column('all'), joint: column('joint'), gauss: column('gauss') }, kinds.map((kind, i) => ({ kind, ...by(row(anomalies, i)) })));
}

/** How many of the last layers get histograms per class: for 'auto', the plan's count where there is a plan (0 where it had no room). */
function classLayerCount(which: ClassLayers, f: FeatureExtractor): number {
  if (which === 'none' || f.classes < 2) return 0; // one output: every image is class 0, its histograms the pooled ones
  if (which === 'all') return f.layers.length;
  return which === 'auto' && f.plan ? f.plan.classLayers : 1;
}

const named = (src: ImageSource, skip: Map<number, Error>): SkippedImage[] => [...skip].map(([i, e]) => toImageError(src.name(i), e));

/**
 * Build a profile from known-good images (two streaming passes, see ProfileBuilder), then
 * calibrate the verdict on held-out clean images. Images that fail are skipped and reported;
 * they never stop the build.
 */
export async function buildProfile(features: FeatureExtractor, background: ImageSource, calibration: ImageSource | null, opts: BuildOptions): Promise<BuildResult> {
  const classes = opts.edgesFrom ? undefined : lastLayersClasses(features.layers, classLayerCount(opts.classConditional, features), features.classes);
  const builder = new ProfileBuilder({ layers: features.layers, bins: opts.bins, strategy: opts.strategy, tail: opts.tail, edgesFrom: opts.edgesFrom, classes });
  const skip = new Map<number, Error>();
  const passes = builder.needsEdgePass ? 2 : 1;
  // Within the plan's budget, as the plan reserved it (explicit reductions: opts.budget). Shards
  // built on shared edges read and group as the first profile did, so that they merge.
  const budget = features.plan?.budget ?? opts.budget;
  const shared = opts.edgesFrom?.header.gauss;
  const own = opts.gauss && !opts.edgesFrom ? gaussChoice(features.layers, budget, background.count) : null;
  const choice = own ?? (opts.gauss && shared ? { layers: shared.layers ?? 1, first: shared.first, d: shared.d, prototypes: shared.counts.length } : null);
  const total = background.count * passes + (calibration ? calibrationImages(!!choice, calibration.count) : 0);
  const progress = tracker(total, opts);
  const batch = { batchSize: opts.batchSize, skip, signal: opts.signal };
  opts.onProgress?.({ done: 0, total, stage: 'background' });
  // The prototypes come from a sample taken in the first pass.
  const sample = own && new FeatureSample(gaussFeaturizer(features.layers, own), own.d, own.prototypes, background.count);
  if (builder.needsEdgePass) {
    await features.eachBatch(
      background,
      (n, loaded) => {
        builder.observe(n, loaded.length);
        sample?.add(n, loaded.length);
      },
      { ...batch, onBatch: progress('bin edges') },
    );
  }
  // Nothing to build from: say why each image failed, not what fails further in.
  const noneRead = () => {
    if (skip.size === background.count) throw new UsageError(noneReadMessage(background.count, 'background', skip));
  };
  noneRead();
  const groups = sample ? sample.prototypes() : shared?.groups === 'prototypes' ? Prototypes.of(shared) : features.classes;
  const gauss = choice ? new GaussAccumulator(features.layers, groups, choice) : null;
  const confidences: number[] = [];
  const predicted = new Map<number, number>();
  const inBackground = new BackgroundIndex(features.nodes);
  let outputs = 0;
  // How many background images were lossy-coded, where every image's coding is known (decoded from its file); each image read, by its pixels.
  let [lossy, coded, keys] = [0, 0, [] as number[]];
  await features.eachBatch(
    background,
    (n, loaded, logits, imgs) => {
      lossy += imgs.filter((img) => img.lossy).length;
      coded += imgs.filter((img) => img.lossy !== undefined).length;
      keys.push(...imgs.map(pixelKey));
      if (calibration) inBackground.add(n, features.nodes);
      const labels = logits.map(argmax);
      for (const c of labels) predicted.set(c, (predicted.get(c) ?? 0) + 1);
      builder.add(n, loaded.length, labels);
      gauss?.add(n, loaded.length, labels);
      opts.onRows?.(n, loaded, logits);
      confidences.push(...logits.map(confidenceAboveChance));
      outputs = logits[0]?.length ?? outputs;
    },
    { ...batch, onBatch: progress('counting') },
  );
  noneRead(); // where the counting pass was the first (shards on shared edges)
  const confidence = medianConfidence(confidences);
  // Shards built on shared edges follow the first profile's choice, so that they merge.
  const sure = opts.edgesFrom ? opts.edgesFrom.header.scan.logits === 'energy' : confidence >= ENERGY_MIN_CONFIDENCE;
  const withEnergy = keepsEnergy(opts.logits, sure);
  const notes =
    opts.logits === 'auto' && !withEnergy && !opts.edgesFrom
      ? [`the energy part is left out: ${outputs < 2 ? 'the model has a single output, no classes for energy to weigh' : `on the background the model's top class stands a median ${confidence.toFixed(3)} of the way from chance (1/${outputs}) to certainty (below ${ENERGY_MIN_CONFIDENCE})`}, so its confidence says little about what is known-good (the command line's --logits energy keeps it).`]
      : [];
  const built = builder.finish({
    fingerprint: features.fingerprint,
    modelName: opts.modelName,
    spec: features.spec,
    ...(features.model.logitsName !== features.model.outputName ? { logitsFrom: features.model.logitsName } : {}),
    reduction: features.reduction,
    source: opts.source,
    ...(coded === keys.length ? { lossy } : {}),
    ...keysField(keys, keys.length),
    scan: { aMax: opts.aMax, tail: opts.tail, pointP: opts.pointP, conditional: opts.conditional, combine: opts.combine, ...(withEnergy ? { logits: 'energy' as const } : {}) },
    createdAt: new Date().toISOString(),
    generator: opts.generator,
  });
  // Class histograms that no class fills, or that one class fills with every image (a map's means led by a CTC blank), are
  // pooled ones again, in other bytes: left out where no shard is to add to them.
  const [most, all] = [Math.max(0, ...predicted.values()), [...predicted.values()].reduce((a, b) => a + b, 0)];
  const unfilled = built.header.classes && (most < MIN_CLASS_COUNT || most === all) && !opts.edgesFrom && (opts.planCount ?? 0) <= background.count;
  if (unfilled) notes.push(`no histograms per predicted class: ${most < MIN_CLASS_COUNT ? `no class has the ${MIN_CLASS_COUNT} background images its histograms need (the most: ${most})` : `the model puts every background image in one class, whose histograms are the pooled ones`}, so every image is scored against the pooled histograms; ${((built.tails.length - built.header.nodes * built.header.bins) * countWidth(built.header.count)).toLocaleString('en')} bytes saved.`);
  const pooled = unfilled ? withoutClasses(built) : built;
  const profile: Profile = gauss ? { ...pooled, header: { ...pooled.header, gauss: gauss.finish() } } : pooled;
  const skipped = named(background, skip);
  notes.push(...otherClassNote(predicted, outputs, features.spec.classNames, features.model.classMap));
  const part = !!opts.edgesFrom || (opts.planCount ?? 0) > background.count; // a shard, or the edges of shards to come
  const fed = [...smallBackgroundWarning(built.header.count, part), ...fewImagesWarning(built.header.count, built.header.bins, built.header.strategy), ...oneClassWarning(predicted, outputs, features.spec.classNames, features.model.classMap)];
  // A shard is calibrated after the merge (`calibrate` on the merged profile), which `merge` says.
  if (!calibration || calibration.count === 0) return { profile, skipped, notes, warnings: [...fed, ...(part ? [] : calibrationWarnings(0, opts.fpr))] };
  const cal = await calibrate(features, profile, calibration, { ...opts, inBackground }, progress);
  return { profile: cal.profile, skipped: [...skipped, ...cal.skipped], notes: [...notes, ...cal.notes], warnings: [...fed, ...cal.warnings] };
}
