// What the commands share: their option groups (the model's spec, the scan's settings), the
// detector opened from those flags, the images of a folder, and what a build reports.
import { Command, Option } from 'commander';
import { ModelError, TPM_TAU, UsageError, type Profile } from '../core/index.ts';
import { BUILD_CHOICES, DEFAULTS } from '../defaults.ts';
import { Detector, type BuildResult, type ImageSource, type ReductionChoice } from '../detector/index.ts';
import { fileSource, listImageFiles, naming, readModelBytes, shard } from './io.ts';
import { besideNote, specSources, type SpecFlags } from './spec-flags.ts';
import { shardSource, sourceOf } from './shards.ts';
import { counted, skippedLine } from '../core/words.ts';
import { layersOf } from './plan.ts';
import { int } from './progress.ts';
import { pixelRangeWarning, RESIZES } from '../model/spec.ts';

export function specOptions(cmd: Command): Command {
  return cmd
    .option('--spec <file>', 'model spec JSON (input size, channels, layout, scaling, class names), or a Hugging Face preprocessor_config.json')
    .option('--size <HxW>', 'model input size, e.g. 224x224')
    .addOption(new Option('--channels <n>', 'input channels').choices(['1', '3']))
    .addOption(new Option('--layout <layout>', 'input layout').choices(['nchw', 'nhwc']))
    .option('--scale <s>', 'x = (pixel / scale - mean) / std', undefined)
    .option('--mean <m>', 'per-channel mean, e.g. 0.485,0.456,0.406')
    .option('--std <s>', 'per-channel std, e.g. 0.229,0.224,0.225')
    .option('--bgr', 'feed channels in BGR order')
    .addOption(new Option('--matte <color>', 'what transparent pixels are laid over (default black, as MNIST-style data; white for logos, scans and text drawn on white)').choices(['black', 'white']))
    .addOption(new Option('--resize <how>', 'meet the input size by stretching, centre-cropping to its aspect ratio, or as text-line models are fed: the height filled, the width by the aspect ratio, zeros to the right (pad)').choices([...RESIZES]))
    .option('--center-crop', 'the same as --resize center-crop')
    .option('--crop <share>', 'centre-crop keeping this share of the centred region, e.g. 0.875 (resize 256, crop 224)')
    .option('--input <name>', 'input tensor name')
    .option('--output <name>', "the output that holds the class scores (default: a Softmax's, else one named like logits, probabilities or scores, else the first per-image vector)");
}

export const binsOption = () => new Option('--bins <n>', 'bins per node').argParser(int).default(DEFAULTS.bins);
export const strategyOption = () => new Option('--strategy <s>', 'bin edges').choices([...BUILD_CHOICES.strategy]).default(DEFAULTS.strategy);
export const classOption = () =>
  new Option('--classes <which>', "layers with histograms per predicted class: the last and as many earlier ones as the budget leaves room for (auto), none, all, or the last").choices([...BUILD_CHOICES.classConditional]).default(DEFAULTS.classConditional);
export const combineOption = () =>
  new Option('--combine <how>', `combine the calibrated parts: truncated product of the q <= ${TPM_TAU} (tpm), Fisher, or their minimum q`).choices([...BUILD_CHOICES.combine]).default(DEFAULTS.combine);
export const logitsOption = () =>
  new Option('--logits <part>', "add the model's energy (-logsumexp of its logits) as one more calibrated part, or not; auto: where the model's top class on the background stands a median halfway or more from chance (1/K) to certainty").choices([...BUILD_CHOICES.logits]).default(DEFAULTS.logits);
export const noGaussOption = () => new Option('--no-gauss', "leave out the Gaussian part (Mahalanobis distance of the first and last layers' channel means)");
export const conditionalOption = () =>
  new Option('--conditional <how>', 'scan class-conditional nodes mixed with the pooled ones, split from them, or added to an all-pooled scan').choices([...BUILD_CHOICES.conditional]).default(DEFAULTS.conditional);

/**
 * The model (read, not parsed: Detector.create parses it once) with a profile, or with the reduction
 * the flags choose. With a profile, a spec beside the model that preprocesses otherwise is noted.
 */
export async function openDetector(opts: SpecFlags & { model: string; profile?: string; layers?: string; provider?: string }, profile?: Profile, reduction?: ReductionChoice): Promise<Detector> {
  const sources = specSources(opts, opts.model);
  const detector = await Detector.create({
    model: readModelBytes(opts.model),
    ...sources,
    profile,
    layers: layersOf(opts.layers ?? DEFAULTS.layers),
    reduction,
    provider: (opts.provider ?? DEFAULTS.provider) as 'auto',
  }).catch((e: unknown) => {
    throw naming(e instanceof ModelError ? opts.model : profile && opts.profile, e);
  });
  const note = besideNote(sources, opts.model, profile?.header.spec);
  if (note) console.error(`note: ${note}`);
  const sliver = pixelRangeWarning(detector.features.spec);
  if (sliver) console.error(`warning: ${sliver}`);
  if (detector.scorer?.note) console.error(`note: ${detector.scorer.note}`);
  return detector;
}

/** Skipped files, notes and warnings of a build or calibration, on stderr. */
export function report(r: BuildResult): void {
  for (const s of r.skipped) console.error(skippedLine(s));
  for (const n of r.notes) console.error(`note: ${n}`);
  for (const w of r.warnings) console.error(`warning: ${w}`);
}

/** A folder's images as a source (those of `--shard K/N`), and what a shard's profile names as its source. */
export const imagesOf = (dir: string, shardSpec?: string): ImageSource & { source: string } => {
  const all = listImageFiles([dir]);
  const files = shard(all, shardSpec);
  if (all.length === 0) throw new UsageError(`No image files in ${dir}`);
  // A job array with more shards than images: say which, not that the folder is empty.
  if (files.length === 0) throw new UsageError(`--shard ${shardSpec} holds no image: ${dir} has ${counted(all.length, 'image')}, fewer than its shards.`);
  return Object.assign(fileSource(files), { source: shardSpec ? shardSource(dir, all, shardSpec) : sourceOf(all) });
};
