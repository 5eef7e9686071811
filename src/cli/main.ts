// histoscan command line: inspect | profile | activations | score | eval | calibrate | merge (the flags they share: options.ts).
import { basename } from 'node:path';
import { Command, Option } from 'commander';
import { encodeProfile, excessNote, layerOffsets, layerReductions, payloadBytes, SCORINGS, toImageError, UsageError, verdictOf } from '../core/index.ts';
import { BUILD_CHOICES, DEFAULTS } from '../defaults.ts';
import { PEER_FEATURES } from '../peers/index.ts';
import { collectReadable, EVAL_METHODS, evalImages, runEval } from './eval.ts';
import { evalTable } from './eval-output.ts';
import { decodeImage } from '../model/decode-node.ts';
import type { Progress } from '../types.ts';
import { heldOut, listImageFiles, npy, outFile, readImageFile, readProfile, writeAtomic } from './io.ts';
import { assumedPreprocessing, specSources } from './spec-flags.ts';
import { binsOption, classOption, combineOption, conditionalOption, imagesOf, logitsOption, noGaussOption, openDetector, report, specOptions, strategyOption } from './options.ts';
import { choiceOf, enforceCap, layerOptions, providerOption } from './plan.ts';
import { runInspect } from './inspect.ts';
import { shardSettings } from './shards.ts';
import { profileCommands } from './profile-commands.ts';
import { batchStatus, EXIT, EXIT_HELP, isExpected } from './exit.ts';
import { addExamples, markRequired, version } from './help.ts';
import { afterColon, counted, printableLines, skippedLine, someOf } from '../core/words.ts';
import { groupCollector, resultSink, scoreLine } from './output.ts';
import { int, progress, rate, stopBars } from './progress.ts';

// Notes, warnings and errors name files: their control characters are escaped on stderr as on stdout
// (output.ts printable), so a file name cannot write to the terminal. The progress bar writes to the stream itself.
const toStderr = console.error.bind(console);
console.error = (...args: unknown[]) => toStderr(...args.map((a) => (typeof a === 'string' ? printableLines(a) : a)));

// A reader that stops early (`histoscan score … | head`) closes the pipe: stop quietly with the status
// of a process ended by SIGPIPE, as Unix tools do, so that `set -o pipefail` sees the run was cut
// short. Any other error of stdout (a full disk) is one line, not a stack.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  stopBars();
  if (e.code !== 'EPIPE') console.error(`histoscan: cannot write the output (${e.code ?? e.message}).`);
  process.exit(e.code === 'EPIPE' ? EXIT.pipe : EXIT.usage);
});
// Ctrl-C or a job's end: the bar gives the terminal its cursor back; the status is the signal's.
for (const [signal, n] of [['SIGINT', 2], ['SIGTERM', 15]] as const) {
  process.on(signal, () => {
    stopBars();
    process.exit(128 + n);
  });
}

const program = new Command('histoscan')
  .description('Detect unusual inputs to an ONNX image model from histograms of its activations, on your own machine.')
  .version(version)
  .showHelpAfterError('(add --help for the options)')
  .addHelpText('after', `\n${EXIT_HELP}`);
markRequired(program);

layerOptions(
  specOptions(
    program
      .command('inspect')
      .description("the model's input, its inferred preprocessing, the layers histoscan can monitor, and the byte-budget plan a profile gets; or what a profile holds")
      .option('--model <file>', 'ONNX model')
      .option('--profile <hsp>', 'a profile to describe: its writer, model, images, layers and parts (with --model, the model after it)')
      .option('--plan-count <n>', 'background images the plan assumes (1, 2 or 4 bytes per count)', int, DEFAULTS.planCount)
      .addOption(binsOption())
      .addOption(strategyOption())
      .addOption(classOption())
      .option('--json', 'machine-readable output'),
  ),
).action(runInspect);

layerOptions(
  specOptions(
    program
      .command('profile')
      .description('build a histogram profile (.hsp) from known-good images')
      .requiredOption('--model <file>', 'ONNX model')
      .requiredOption('--images <dir>', 'known-good (background) images')
      .option('--calibration <dir>', 'held-out known-good images for the verdict calibration table (default: every 5th image of --images, in a small set the fewest that can flag at --fpr, unless --shard or --edges-from)')
      .option('--no-calibration', 'no calibration table: every image of --images is background (calibrate later with `calibrate`)')
      .option('--fpr <rate>', 'the verdict FPR the calibration set must be able to reach (warns when it is too small)', rate, DEFAULTS.fpr)
      .addOption(binsOption())
      .addOption(strategyOption())
      .addOption(new Option('--tail <t>', "which tail is surprising ('both': upper and lower scans, combined)").choices([...BUILD_CHOICES.tail]).default(DEFAULTS.tail))
      .addOption(classOption())
      .addOption(conditionalOption())
      .addOption(combineOption())
      .addOption(logitsOption())
      .addOption(noGaussOption())
      .addOption(new Option('--point <p>', "point p-value of a range: tie-aware mid-p, or ART's p_max").choices([...BUILD_CHOICES.pointP]).default(DEFAULTS.pointP))
      .option('--edges-from <hsp>', 'take bin edges from this profile (shards that merge exactly)')
      .option('--shard <K/N>', 'use every N-th image starting at K (0-based)')
      .option('--plan-count <n>', 'background images the plan assumes (default: the images given; for shards, their total)', int)
      .requiredOption('--out <file>', 'output .hsp', outFile),
  ),
).action(async (opts, cmd: Command) => {
  const edgesFrom = opts.edgesFrom ? readProfile(opts.edgesFrom) : undefined;
  // A shard's bins are the edges profile's: a flag that asks for others would be dropped in silence.
  for (const key of ['bins', 'strategy'] as const) {
    if (edgesFrom && cmd.getOptionValueSource(key) === 'cli' && opts[key] !== edgesFrom.header[key]) {
      throw new UsageError(`--${key} ${opts[key]} differs from the edges profile's (${edgesFrom.header[key]}): a shard takes its bins from --edges-from`);
    }
  }
  // ... and its scan settings, checked before its run, not by the merge after every job.
  const shard = edgesFrom && shardSettings(opts, cmd, edgesFrom, opts.edgesFrom);
  if (shard) Object.assign(opts, shard.settings);
  const given = imagesOf(opts.images, opts.shard);
  // Without a calibration folder, hold some of the images out (as the browser does); not for a
  // shard, whose calibration a merge drops (the merged profile is calibrated as a whole).
  const split = opts.calibration === undefined && !opts.shard && !edgesFrom;
  const { background: images, calibration, note, refused } = split
    ? await heldOut(given, opts.images, '--calibration DIR names held-out images instead, --no-calibration keeps them all as background', opts.fpr)
    : { background: given, calibration: opts.calibration ? imagesOf(opts.calibration) : null, refused: [] };
  // Shards share the edges profile's layers and reductions; otherwise the flags choose (plan by default).
  // A shard's detector holds its edges profile: its layers and reductions, and the refusal of another
  // model's profile or other preprocessing, as scoring with it would say.
  const detector = edgesFrom ? await openDetector({ ...opts, profile: opts.edgesFrom }, edgesFrom) : await openDetector(opts, undefined, choiceOf(opts, opts.planCount ?? images.count, calibration?.count));
  if (!edgesFrom) enforceCap(detector.features, opts, opts.planCount ?? images.count, calibration?.count);
  if (note) console.error(`note: ${note}`);
  for (const n of shard ? shard.notes : []) console.error(`note: ${n}`);
  const assumed = assumedPreprocessing(specSources(opts, opts.model), detector.features.spec);
  if (assumed) console.error(`note: ${assumed}`);
  const bar = progress(process.stderr, undefined, 'image passes'); // two passes over the background, then the calibration's
  const built = await detector.build(images, calibration, {
    bins: opts.bins,
    strategy: opts.strategy,
    tail: opts.tail,
    classConditional: opts.classes,
    conditional: opts.conditional,
    combine: opts.combine,
    logits: opts.logits,
    gauss: opts.gauss,
    pointP: opts.point,
    fpr: opts.fpr,
    edgesFrom,
    ...(opts.planCount ? { planCount: opts.planCount } : {}),
    source: given.source,
    modelName: basename(opts.model),
    budget: opts.budget * 1e6,
    onProgress: (p: Progress) => bar.update(p),
  });
  bar.stop();
  const bytes = encodeProfile(built.profile);
  writeAtomic(opts.out, bytes);
  const h = built.profile.header;
  report({ ...built, skipped: [...refused, ...built.skipped] });
  const reductions = layerReductions(h).join(', ');
  console.error(
    `wrote ${opts.out}: ${counted(h.nodes, 'node')} in ${counted(h.layers.length, 'layer')} (${reductions}), ${counted(h.count, 'background image')}, ${h.strategy} B=${h.bins}, ` +
      `${bytes.length.toLocaleString('en')} bytes (${(payloadBytes(h.nodes, h.strategy, h.bins, h.count) / h.nodes).toFixed(1)} B/node; budget ${(opts.budget * 1e6).toLocaleString('en')})` +
      `${h.calibration?.count ? `, calibrated on ${h.calibration.count}${opts.fpr !== DEFAULTS.fpr ? ` (score with --fpr ${opts.fpr})` : ''}` : ', not calibrated'}; provider ${detector.features.provider}`,
  );
  detector.release();
  if (built.skipped.length || refused.length) process.exitCode = EXIT.failed;
});

layerOptions(
  specOptions(
    program
      .command('activations')
      .description('node values of images as a float32 .npy [images, nodes] plus a .json index')
      .requiredOption('--model <file>', 'ONNX model')
      .requiredOption('--images <dir>', 'images')
      .option('--profile <file>', "the nodes of this profile (its layers and reductions), so that columns match what `score` reports; default: the plan for these images")
      .option('--plan-count <n>', 'background images the plan assumes (default: the images given)', int)
      .requiredOption('--out <file>', 'output .npy', outFile),
  ),
).action(async (opts) => {
  const images = imagesOf(opts.images);
  const detector = opts.profile ? await openDetector(opts, readProfile(opts.profile)) : await openDetector(opts, undefined, choiceOf(opts, opts.planCount ?? images.count));
  const bar = progress();
  const f = detector.features;
  const set = await collectReadable(f, opts.images, images, (p) => bar.update(p));
  bar.stop();
  writeAtomic(opts.out, npy(set.values, [set.rows, set.nodes]));
  const offsets = layerOffsets(f.layers);
  const layers = f.layers.map((l, i) => ({ ...l, offset: offsets[i] }));
  writeAtomic(opts.out.replace(/\.npy$/, '') + '.json', JSON.stringify({ files: set.files, layers, reduction: f.reduction, plan: f.plan, skipped: set.skipped }, null, 2));
  for (const k of set.skipped) console.error(skippedLine(k));
  console.error(`wrote ${opts.out}: ${set.rows} x ${set.nodes}`);
  detector.release();
  if (set.skipped.length) process.exitCode = EXIT.failed;
});

specOptions(
  program
    .command('score')
    .description('score images against a profile: anomaly score, calibrated q and verdict')
    .requiredOption('--model <file>', 'ONNX model')
    .requiredOption('--profile <file>', 'profile (.hsp) built for this model')
    .addOption(new Option('--scoring <f>', 'scan scoring function').choices(SCORINGS).default(DEFAULTS.scoring))
    .option('--fpr <rate>', 'false-positive rate of the verdict', rate, DEFAULTS.fpr)
    .addOption(providerOption())
    .addOption(new Option('--json', 'print one JSON object { results: [...], group? } on stdout').conflicts('jsonl'))
    .option('--jsonl', 'print NDJSON: one line per image as it finishes (then one { group } line with --group)')
    .option('--fail-on-flagged', 'exit 3 when any image is flagged unusual (for CI gates and scripts)')
    .option('--group', 'also scan the batch as a group (images x nodes) for a coordinated anomaly')
    .argument('<paths...>', 'image files or folders'),
).action(async (paths: string[], opts) => {
  const profile = readProfile(opts.profile);
  const detector = await openDetector(opts, profile);
  // A gate on a profile that cannot flag would pass every image: refused before any is checked.
  const gate = opts.failOnFlagged && verdictOf(0, opts.fpr, detector.scorer!.calibrated, detector.scorer!.calibrationProblem);
  if (gate && gate.state === 'uncalibrated') throw new UsageError(`--fail-on-flagged cannot gate at FPR ${opts.fpr}: ${gate.reason}`);
  let unread = false;
  const files = listImageFiles(paths, () => void (unread = true));
  // Nothing to check is an input error, not a pass: a gate on an empty folder must not go green.
  if (files.length === 0) throw new UsageError(`No image files in ${paths.join(', ')}: nothing to check.`);
  const bar = progress();
  const sink = resultSink(opts.json ? 'json' : opts.jsonl ? 'jsonl' : 'text', (s) => {
    bar.clear();
    process.stdout.write(s);
  });
  const group = opts.group ? groupCollector(detector.scorer!, files.length) : null;
  const animations: string[] = [];
  const coded = new Map<string, string[]>(); // unusual images whose lossy coding may be why, by the note saying so
  for (const [i, file] of files.entries()) {
    try {
      const t0 = performance.now();
      const img = await decodeImage(readImageFile(file), basename(file));
      if (img.frames) animations.push(`${basename(file)} (${img.frames.count} frames)`);
      const r = await detector.check(img, file, { scoring: opts.scoring, fpr: opts.fpr, topNodes: DEFAULTS.topNodes }, performance.now() - t0);
      if (r.flagged && r.codingNote) coded.set(r.codingNote, coded.get(r.codingNote) ?? []).get(r.codingNote)!.push(file);
      sink.add(scoreLine(r));
      group?.add(r);
    } catch (e) {
      sink.add(toImageError(file, e));
    }
    bar.update({ done: i + 1, total: files.length, stage: 'scoring' });
  }
  bar.stop();
  if (animations.length) console.error(`note: an animation is checked on its first frame: ${someOf(animations)}.`);
  for (const [note, some] of coded) console.error(`note: unusual and lossy-coded: ${someOf(some)}; each ${note}`);
  // The group scan searches subsets of images and nodes at once: seconds to a minute on thousands, said first.
  if (group && group.count > 100) console.error(`note: scanning the ${counted(group.count, 'image')} as a group…`);
  const done = sink.end(group?.line(opts.scoring, DEFAULTS.groupSeed));
  const calibrated = detector.scorer!.calibrated;
  detector.release();
  if (done.uncalibrated) console.error(`${opts.failOnFlagged ? 'histoscan: --fail-on-flagged cannot gate' : 'warning: no verdict'} at FPR ${opts.fpr}: ${afterColon(done.uncalibrated)}`);
  const excess = excessNote(done.flagged, done.verdicts, opts.fpr, calibrated);
  if (excess) console.error(`note: ${excess}`);
  process.exitCode = batchStatus({ ...done, unread, failOnFlagged: opts.failOnFlagged });
});

layerOptions(
  specOptions(
    program
      .command('eval')
      .description('detection power (AUC), bytes and time of histoscan (histogram, empirical, KDE p-values) and its peers on the same images')
      .requiredOption('--model <file>', 'ONNX model')
      .requiredOption('--background <dir>', 'known-good images the methods learn from')
      .option('--calibration <dir>', 'held-out known-good images (calibration table of the histogram profile; default: every 5th background image, in a small set the fewest that can flag at --fpr)')
      .requiredOption('--clean <dir>', 'clean test images (label 0)')
      .option('--anomalous <NAME=DIR...>', 'anomalous test sets (label 1)', (v: string, acc: string[]) => [...acc, v], [] as string[])
      .option('--methods <list>', `any of ${EVAL_METHODS.join(',')}`, 'histogram,empirical,mahalanobis,knn,msp,energy')
      .addOption(binsOption())
      .addOption(strategyOption())
      .addOption(classOption())
      .addOption(conditionalOption())
      .addOption(combineOption())
      .addOption(logitsOption())
      .addOption(noGaussOption())
      .addOption(new Option('--scoring <f>', 'scan scoring function').choices(SCORINGS).default(DEFAULTS.scoring))
      .option('--kde-background <n>', 'background images the KDE keeps (it costs O(n) per node)', int, 1000)
      .option('--kde-images <n>', 'test images per set scored by KDE', int, 200)
      .addOption(new Option('--peer-features <f>', 'features of mahalanobis and knn: the last monitored layer (channel means if spatial) or channel means of all layers').choices([...PEER_FEATURES]).default('penultimate'))
      .option('--k <n>', 'k of the k-NN peer', int, 10)
      .addOption(new Option('--split <half>', 'score the dev half, the test half or all of each test folder (seeded split; tune on dev, report test)').choices(['dev', 'test', 'all']).default('all'))
      .option('--parts', 'also a row per calibrated part of histoscan scored alone (each scan, energy, Gaussian): which evidence carries each set on your model')
      .option('--parts-out <file>', 'write every image\'s calibrated part scores and the calibration table as JSON lines (one per method and set), to try other combination rules offline', outFile)
      .option('--plots <file>', 'write ROC curves of every method, one plot per anomalous set, and the images histoscan\'s AUC is lost on, as a self-contained HTML page', outFile)
      .option('--fpr <rate>', "the verdict's false-positive rate: what share of each set histoscan flags there (q <= rate)", rate, DEFAULTS.fpr)
      .option('--json', 'print {"version", "options", "split", "results": [...]} on stdout'),
  ),
).action(async (opts) => {
  const known = await evalImages(opts);
  const [bgCount, calCount] = [known.background.count, known.calibration?.count ?? 0];
  const detector = await openDetector(opts, undefined, choiceOf(opts, bgCount, calCount));
  enforceCap(detector.features, opts, bgCount, calCount);
  if (known.note) console.error(`note: ${known.note}`);
  const bar = progress();
  const { results, skipped } = await runEval(detector, opts, known, (p) => bar.update(p));
  bar.stop();
  for (const s of skipped) console.error(s);
  // The version and every option beside the figures, so that a saved report says how to make it again.
  if (opts.json) console.log(JSON.stringify({ version, options: opts, split: opts.split, results }, null, 2));
  else console.log(evalTable(results, opts.split));
  detector.release();
  if (skipped.length) process.exitCode = EXIT.failed;
});

profileCommands(program);

addExamples(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // Nothing was checked: a usage or input error (exit 1). Unexpected errors keep their stack under DEBUG=1.
  const err = e as Error;
  stopBars(); // first, so the message has its own line; a bar left drawing would keep the process alive
  console.error(`histoscan: ${err.message}${isExpected(e) || process.env.DEBUG ? '' : ' (DEBUG=1 shows where)'}`);
  if (process.env.DEBUG) console.error(err.stack);
  process.exitCode = EXIT.usage;
}
