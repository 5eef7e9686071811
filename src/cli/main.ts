// histoscan command line: inspect | profile | activations | score | eval | merge.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { calibrationNeeded, encodeProfile, mergeProfiles, payloadBytes, type Profile } from '../core/index.ts';
import { DEFAULTS } from '../defaults.ts';
import { Detector, type ImageSource } from '../detector.ts';
import { backgroundOf, bothTailsScorer, collectNodes, empiricalMethod, evaluateMethods, histogramMethod, kdeMethod, scanScorer, type PValueMethod, type Scorer } from '../evaluate.ts';
import { decodeImage } from '../model/decode-node.ts';
import type { ImageResult, Progress, Reduction, ScoringName, Tail } from '../types.ts';
import { batchStatus, EXIT, EXIT_HELP, isExpected } from './exit.ts';
import { addExamples, markRequired, version } from './help.ts';
import { fileSource, listImages, npy, readModel, readProfile, resolveSpec, shard, UsageError, writeAtomic, type SpecFlags } from './io.ts';
import { resultSink, scoreLine } from './output.ts';

const program = new Command('histoscan')
  .description('Detect unusual inputs to an ONNX image model from histograms of its activations, on your own machine.')
  .version(version)
  .showHelpAfterError()
  .addHelpText('after', `\n${EXIT_HELP}`);
markRequired(program);

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('wants a positive integer');
  return n;
};
const float = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('wants a number');
  return n;
};

function specOptions(cmd: Command): Command {
  return cmd
    .option('--spec <file>', 'model spec JSON (input size, channels, layout, scaling, class names)')
    .option('--size <HxW>', 'model input size, e.g. 224x224')
    .addOption(new Option('--channels <n>', 'input channels').choices(['1', '3']))
    .addOption(new Option('--layout <layout>', 'input layout').choices(['nchw', 'nhwc']))
    .option('--scale <s>', 'x = (pixel / scale - mean) / std', undefined)
    .option('--mean <m>', 'per-channel mean, e.g. 0.485,0.456,0.406')
    .option('--std <s>', 'per-channel std, e.g. 0.229,0.224,0.225')
    .option('--bgr', 'feed channels in BGR order')
    .option('--center-crop', 'centre-crop to the input aspect ratio instead of stretching')
    .option('--input <name>', 'input tensor name');
}

function layerOptions(cmd: Command): Command {
  return cmd
    .option('--layers <list>', "monitored layers: 'auto' or comma-separated tensor names", 'auto')
    .addOption(new Option('--reduce <how>', 'layer tensor to nodes').choices(['element', 'channel-mean', 'channel-max']).default(DEFAULTS.reduction))
    .addOption(providerOption());
}

/**
 * Node runs onnxruntime-web's WASM backend only, so the CLI offers no WebGPU choice. The flag stays
 * accepted (hidden) for scripts that pass `--provider wasm|auto`.
 */
const providerOption = () =>
  new Option('--provider <p>', 'execution provider (Node: WASM only)')
    .default('auto')
    .hideHelp()
    .argParser((v: string) => {
      if (v === 'auto' || v === 'wasm') return v;
      throw new InvalidArgumentError(v === 'webgpu' ? 'WebGPU is not available under Node; the CLI runs on WASM (use the browser component for WebGPU).' : 'wants auto or wasm');
    });

const layersOf = (s: string) => (s === 'auto' ? 'auto' : s.split(',').map((x) => x.trim()).filter(Boolean));

/** A progress bar on stderr, only when stderr is a terminal. */
function progress() {
  const bar = new cliProgress.SingleBar(
    { format: '{stage} {bar} {value}/{total} | {eta_formatted} left', stream: process.stderr, hideCursor: true, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p: Progress) {
      if (!started) {
        bar.start(p.total, p.done, { stage: p.stage });
        started = true;
      }
      bar.setTotal(p.total);
      bar.update(p.done, { stage: p.stage.padEnd(12) });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

async function openDetector(opts: SpecFlags & { model: string; layers?: string; reduce?: Reduction; provider?: string }, profile?: Profile): Promise<Detector> {
  const { bytes, info } = readModel(opts.model);
  const spec = resolveSpec(opts, opts.model, info, profile);
  return Detector.create({
    model: bytes,
    spec,
    profile,
    layers: layersOf(opts.layers ?? 'auto'),
    reduction: opts.reduce,
    provider: (opts.provider ?? 'auto') as 'auto',
  });
}

const imagesOf = (dir: string, shardSpec?: string): ImageSource => {
  const files = shard(listImages([dir]), shardSpec);
  if (files.length === 0) throw new UsageError(`No image files in ${dir}`);
  return fileSource(files);
};

specOptions(
  program
    .command('inspect')
    .description("the model's input, its inferred preprocessing, and the layers histoscan can monitor")
    .requiredOption('--model <file>', 'ONNX model')
    .option('--json', 'machine-readable output'),
).action(async (opts) => {
  const { info } = readModel(opts.model);
  let spec: unknown = null;
  try {
    spec = resolveSpec(opts, opts.model, info);
  } catch (e) {
    spec = { error: (e as Error).message };
  }
  if (opts.json) {
    console.log(JSON.stringify({ ...info, spec }, null, 2));
    return;
  }
  console.log(`opset ${info.opset}`);
  for (const i of info.inputs) console.log(`input  ${i.name} [${i.shape.join(', ')}]`);
  for (const o of info.outputs) console.log(`output ${o.name} [${o.shape.join(', ')}]`);
  console.log(`spec   ${JSON.stringify(spec)}`);
  console.log(`\ncandidate layers (* = auto):`);
  for (const c of info.candidates) {
    console.log(`${info.autoLayers.includes(c.name) ? '*' : ' '} ${c.opType.padEnd(20)} ${c.name}${c.shape ? ` [${c.shape.join(', ')}]` : ''}`);
  }
});

layerOptions(
  specOptions(
    program
      .command('profile')
      .description('build a histogram profile (.hsp) from known-good images')
      .requiredOption('--model <file>', 'ONNX model')
      .requiredOption('--images <dir>', 'known-good (background) images')
      .option('--calibration <dir>', 'held-out known-good images for the verdict calibration table')
      .option('--bins <n>', 'bins per node', int, DEFAULTS.bins)
      .addOption(new Option('--strategy <s>', 'bin edges').choices(['uniform', 'tail']).default(DEFAULTS.strategy))
      .addOption(new Option('--tail <t>', "which tail is surprising ('both': upper and lower scans, combined)").choices(['upper', 'lower', 'two', 'both']).default(DEFAULTS.tail))
      .option('--edges-from <hsp>', 'take bin edges from this profile (shards that merge exactly)')
      .option('--shard <K/N>', 'use every N-th image starting at K (0-based)')
      .requiredOption('--out <file>', 'output .hsp'),
  ),
).action(async (opts) => {
  const edgesFrom = opts.edgesFrom ? readProfile(opts.edgesFrom) : undefined;
  const detector = await openDetector({ ...opts, ...(edgesFrom ? { layers: edgesFrom.header.layers.map((l) => l.name).join(','), reduce: edgesFrom.header.reduction } : {}) });
  const bar = progress();
  const { profile, skipped } = await detector.buildProfile(imagesOf(opts.images, opts.shard), opts.calibration ? imagesOf(opts.calibration) : null, {
    bins: opts.bins,
    strategy: opts.strategy,
    tail: opts.tail,
    edgesFrom,
    source: `${opts.images}${opts.shard ? ` shard ${opts.shard}` : ''}`,
    modelName: basename(opts.model),
    onProgress: (p) => bar.update(p),
  });
  bar.stop();
  const bytes = encodeProfile(profile);
  writeAtomic(opts.out, bytes);
  const h = profile.header;
  for (const s of skipped) console.error(`skipped ${s.file}: ${s.error}`);
  console.error(
    `wrote ${opts.out}: ${h.nodes} nodes in ${h.layers.length} layers (${h.reduction}), ${h.count} background images, ${h.strategy} B=${h.bins}, ` +
      `${bytes.length.toLocaleString('en')} bytes (${(payloadBytes(h.nodes, h.strategy, h.bins, h.count) / h.nodes).toFixed(1)} B/node)` +
      `${h.calibration ? `, calibrated on ${h.calibration.count}` : ', not calibrated'}; provider ${detector.provider}`,
  );
  const need = calibrationNeeded(DEFAULTS.fpr);
  if ((h.calibration?.count ?? 0) < need) {
    console.error(`warning: this profile cannot flag at FPR ${DEFAULTS.fpr}: it needs at least ${need} calibration images (--calibration DIR), it has ${h.calibration?.count ?? 0}.`);
  }
  detector.release();
  if (skipped.length) process.exitCode = EXIT.failed;
});

layerOptions(
  specOptions(
    program
      .command('activations')
      .description('node values of images as a float32 .npy [images, nodes] plus a .json index')
      .requiredOption('--model <file>', 'ONNX model')
      .requiredOption('--images <dir>', 'images')
      .requiredOption('--out <file>', 'output .npy'),
  ),
).action(async (opts) => {
  const detector = await openDetector(opts);
  const bar = progress();
  const set = await collectNodes(detector, 'activations', imagesOf(opts.images), (p) => bar.update(p));
  bar.stop();
  writeAtomic(opts.out, npy(set.values, [set.rows, set.nodes]));
  let offset = 0;
  const layers = detector.layers.map((l) => ({ ...l, offset: (offset += l.nodes) - l.nodes }));
  writeAtomic(opts.out.replace(/\.npy$/, '') + '.json', JSON.stringify({ files: set.files, layers, reduction: detector.reduction, skipped: set.skipped }, null, 2));
  console.error(`wrote ${opts.out}: ${set.rows} x ${set.nodes}`);
  detector.release();
});

specOptions(
  program
    .command('score')
    .description('score images against a profile: anomaly score, calibrated q and verdict')
    .requiredOption('--model <file>', 'ONNX model')
    .requiredOption('--profile <file>', 'profile (.hsp) built for this model')
    .addOption(new Option('--scoring <f>', 'scan scoring function').choices(['bj', 'hc', 'ks']).default(DEFAULTS.scoring))
    .option('--fpr <rate>', 'false-positive rate of the verdict', float, DEFAULTS.fpr)
    .addOption(providerOption())
    .addOption(new Option('--json', 'print one JSON object { results: [...], group? } on stdout').conflicts('jsonl'))
    .option('--jsonl', 'print NDJSON: one line per image as it finishes (then one { group } line with --group)')
    .option('--fail-on-flagged', 'exit 3 when any image is flagged unusual (for CI gates and scripts)')
    .option('--group', 'also scan the batch as a group (images x nodes) for a coordinated anomaly')
    .argument('<paths...>', 'image files or folders'),
).action(async (paths: string[], opts) => {
  const profile = readProfile(opts.profile);
  const detector = await openDetector(opts, profile);
  const files = listImages(paths);
  const bar = progress();
  const sink = resultSink(opts.json ? 'json' : opts.jsonl ? 'jsonl' : 'text');
  const full: ImageResult[] = [];
  for (const [i, file] of files.entries()) {
    try {
      const t0 = performance.now();
      const img = decodeImage(new Uint8Array(readFileSync(file)), basename(file));
      const r = await detector.check(img, file, { scoring: opts.scoring, fpr: opts.fpr }, performance.now() - t0);
      sink.add(scoreLine(r));
      if (opts.group) full.push(r);
    } catch (e) {
      sink.add({ file, error: (e as Error).message, code: (e as { code?: string }).code ?? 'error' });
    }
    bar.update({ done: i + 1, total: files.length, stage: 'scoring' });
  }
  bar.stop();
  const group = opts.group && full.length ? detector.groupScan(full, opts.scoring) : null;
  const done = sink.end(group && { score: group.score, alpha: group.alpha, images: group.images.map((i) => full[i].file), nodes: group.nodes.length });
  detector.release();
  if (done.uncalibrated) console.error(`${opts.failOnFlagged ? 'histoscan: --fail-on-flagged cannot gate' : 'warning: no verdict'} at FPR ${opts.fpr}: ${done.uncalibrated}`);
  process.exitCode = batchStatus({ ...done, failOnFlagged: opts.failOnFlagged });
});

layerOptions(
  specOptions(
    program
      .command('eval')
      .description('detection power (AUC), bytes and time of histogram vs empirical vs KDE p-values')
      .requiredOption('--model <file>', 'ONNX model')
      .requiredOption('--background <dir>', 'known-good images the methods learn from')
      .option('--calibration <dir>', 'held-out known-good images (calibration table of the histogram profile)')
      .requiredOption('--clean <dir>', 'clean test images (label 0)')
      .option('--anomalous <NAME=DIR...>', 'anomalous test sets (label 1)', (v: string, acc: string[]) => [...acc, v], [] as string[])
      .option('--methods <list>', 'histogram,empirical,kde', 'histogram,empirical')
      .option('--bins <n>', 'bins per node', int, DEFAULTS.bins)
      .addOption(new Option('--strategy <s>', 'bin edges').choices(['uniform', 'tail']).default(DEFAULTS.strategy))
      .addOption(new Option('--scoring <f>', 'scan scoring function').choices(['bj', 'hc', 'ks']).default(DEFAULTS.scoring))
      .option('--kde-background <n>', 'background images the KDE keeps (it costs O(n) per node)', int, 1000)
      .option('--kde-images <n>', 'test images per set scored by KDE', int, 200)
      .option('--json', 'print {"results": [...]} on stdout'),
  ),
).action(async (opts) => {
  if (opts.anomalous.length === 0) throw new UsageError('give at least one --anomalous NAME=DIR');
  const detector = await openDetector(opts);
  const bar = progress();
  const tick = (p: Progress) => bar.update(p);
  const sets = opts.anomalous.map((s: string) => {
    const i = s.indexOf('=');
    if (i < 1) throw new UsageError(`--anomalous wants NAME=DIR, got "${s}"`);
    return { name: s.slice(0, i), dir: s.slice(i + 1) };
  });
  const { profile } = await detector.buildProfile(imagesOf(opts.background), opts.calibration ? imagesOf(opts.calibration) : null, {
    bins: opts.bins,
    strategy: opts.strategy,
    onProgress: tick,
  });
  const background = await collectNodes(detector, 'background', imagesOf(opts.background), tick);
  const clean = await collectNodes(detector, 'clean', imagesOf(opts.clean), tick);
  const anomalous = [];
  for (const s of sets) anomalous.push(await collectNodes(detector, s.name, imagesOf(s.dir), tick));
  const wanted = String(opts.methods).split(',');
  const scan = profile.header.scan;
  const both = scan.tail === 'both';
  if (both && !opts.calibration) throw new UsageError('the default scan combines both tails and calibrates each: give --calibration DIR');
  const calibration = both ? await collectNodes(detector, 'calibration', imagesOf(opts.calibration), tick) : null;
  const bg = wanted.some((w) => w !== 'histogram') ? backgroundOf(background) : null;
  const kdeBg = wanted.includes('kde') ? backgroundOf(background, opts.kdeBackground) : null;
  const make = (name: string, methodFor: (t: Tail) => PValueMethod): Scorer =>
    both ? bothTailsScorer(name, methodFor, calibration!, scan) : scanScorer(methodFor(scan.tail as Tail), scan);
  const scorers: Scorer[] = [];
  if (wanted.includes('histogram')) scorers.push(make('histogram', (t) => histogramMethod(profile, 'histogram', t)));
  if (wanted.includes('empirical')) scorers.push(make('empirical', (t) => empiricalMethod(bg!, t)));
  if (wanted.includes('kde')) scorers.push(make(`KDE (n=${kdeBg!.n})`, (t) => kdeMethod(kdeBg!, t)));
  const rows = evaluateMethods(scorers, clean, anomalous, {
    scorings: [opts.scoring as ScoringName],
    limit: (m) => (m.name.startsWith('KDE') ? opts.kdeImages : undefined),
    onProgress: tick,
  });
  bar.stop();
  const results = rows.map(({ method, set, auc, bytes, pvalueMsPerImage, scanMsPerImage }) => ({ method, set, auc, bytes, pvalueMsPerImage, scanMsPerImage }));
  if (opts.json) console.log(JSON.stringify({ results }, null, 2));
  else for (const r of results) console.log(`${r.method.padEnd(24)} ${r.set.padEnd(16)} AUC ${r.auc.toFixed(4)}  ${r.bytes.toLocaleString('en')} B  p ${r.pvalueMsPerImage.toFixed(3)} ms  scan ${r.scanMsPerImage.toFixed(3)} ms`);
  detector.release();
});

program
  .command('merge')
  .description('merge shard profiles built with shared edges (exact: counts add)')
  .argument('<profiles...>', '.hsp files')
  .requiredOption('--out <file>', 'output .hsp')
  .action((paths: string[], opts) => {
    const merged = mergeProfiles(paths.map(readProfile));
    writeAtomic(opts.out, encodeProfile(merged));
    console.error(`wrote ${opts.out}: ${merged.header.count} background images from ${paths.length} shards`);
  });

addExamples(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // Nothing was checked: a usage or input error (exit 1). Unexpected errors keep their stack under DEBUG=1.
  const err = e as Error;
  console.error(`histoscan: ${err.message}${isExpected(e) || process.env.DEBUG ? '' : ' (DEBUG=1 shows where)'}`);
  if (process.env.DEBUG) console.error(err.stack);
  process.exitCode = EXIT.usage;
}
