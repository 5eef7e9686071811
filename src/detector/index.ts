// The one pipeline: pixels -> preprocess -> instrumented ONNX session -> node values (features.ts)
// -> p-values -> subset scan -> score -> verdict (scorer.ts, over core/score.ts). The browser
// worker and the Node CLI both drive this object; neither has a copy of it.
import { decodeProfile, fileBytes, layerReductions, preprocessingChanges, ProfileError, UsageError, type Profile } from '../core/index.ts';
import { checkPixels } from '../model/preprocess.ts';
import { buildDefaults, buildSettingProblems, DEFAULTS, defaultPlan, settingProblem } from '../defaults.ts';
import type { PlanBudget } from '../model/plan.ts';
import type { ImageResult, ModelSpec, RgbaImage } from '../types.ts';
import { buildProfile, calibrate, type BuildOptions, type BuildResult } from './build.ts';
import { FeatureExtractor, type FeatureOptions, type ReductionChoice } from './features.ts';
import { holdOut, holdOutDecoded, readable, type ImageSource } from './holdout.ts';
import { Scorer, SCORE_OPTIONS, type ScoreOptions } from './scorer.ts';
import { counted } from '../core/words.ts';
import { defined } from '../core/defined.ts';

export { FeatureExtractor, Scorer, buildProfile, calibrate, holdOut, holdOutDecoded, readable };
export type { BuildOptions, BuildResult, FeatureOptions, ImageSource, ReductionChoice, ScoreOptions };
export type { SkippedImage } from './build.ts';

export class Detector {
  private released = false;
  /** Calls that run the model now: after release() the session is freed when the last one ends. */
  private runs = 0;
  private freed = false;
  /** A build with a plan changed the layers this detector reads. */
  private replanned = false;

  private constructor(
    private extractor: FeatureExtractor,
    private current: Scorer | null,
    /** The budget the layers were planned by, where they were (not a profile's, nor reductions given). */
    private planned: PlanBudget | null = null,
  ) {}

  get features(): FeatureExtractor {
    return this.extractor;
  }

  /**
   * The model (and a profile, checked against it when given). This is an edge of the API: what
   * the caller leaves out comes from DEFAULTS; without a `reduction` the layers are reduced by the
   * default byte-budget plan. A single `reduction` means every layer. The profile may be given
   * decoded or as the .hsp file's bytes.
   */
  static async create(opts: Partial<Omit<FeatureOptions, 'profileSpec' | 'model'>> & { model: Uint8Array | ArrayBuffer; profile?: Profile | Uint8Array | ArrayBuffer }): Promise<Detector> {
    refuse({ provider: opts.provider, numThreads: opts.numThreads, maxRunValues: opts.maxRunValues });
    // Plain JS passes anything: an option create() does not take would be dropped without a word.
    const foreign = Object.keys(opts).filter((k) => !CREATE_OPTIONS.includes(k));
    if (foreign.length) {
      const checks = foreign.filter((k) => SCORE_OPTIONS.includes(k));
      throw new UsageError(`Detector.create takes no ${foreign.map((k) => `"${k}"`).join(', ')}${checks.length ? ` (${checks.join(' and ')} ${checks.length > 1 ? 'are' : 'is'} check()'s: detector.check(image, name, { ${checks[0]} }))` : ''}; it takes ${CREATE_OPTIONS.join(', ')}.`);
    }
    const p = opts.profile && profileOf(opts.profile);
    const reduction: ReductionChoice = opts.reduction ?? { plan: defaultPlan() };
    const features = await FeatureExtractor.create({
      layers: DEFAULTS.layers,
      provider: DEFAULTS.provider,
      ...opts,
      model: fileBytes(opts.model, 'model', '.onnx'),
      reduction,
      profileSpec: p?.header.spec,
      // A profile's own layers and reductions win over the options.
      ...(p ? { layers: p.header.layers.map((l) => l.name), reduction: layerReductions(p.header) } : {}),
      accept: (fp) => p && checkFingerprint(p, fp),
      acceptSpec: (spec) => p && checkSpec(p, spec),
    });
    const d = new Detector(features, null, !p && typeof reduction === 'object' && 'plan' in reduction && features.plan ? reduction.plan : null);
    if (p) d.useProfile(p);
    return d;
  }

  get scorer(): Scorer | null {
    return this.current;
  }

  get profile(): Profile | null {
    return this.current?.profile ?? null;
  }

  /** Use a profile (decoded, or the .hsp file's bytes): refused when built for another model or other layers. */
  useProfile(profile: Profile | Uint8Array | ArrayBuffer): void {
    this.live();
    const p = profileOf(profile);
    // A profile of this model planned otherwise (another budget or background size, a page's build)
    // reads layers the session outputs already, reduced its own way: no second session needed.
    const rs = layerReductions(p.header);
    const f = (!compatible(p, this.extractor) && this.extractor.readingAs(p.header.layers.map((l, i) => ({ name: l.name, reduction: rs[i] })))) || this.extractor;
    // After a build with a plan, the layers are that plan's, not the model's first ones: say where they came from.
    checkCompatible(p, f, this.replanned ? " This detector's layers are those its build planned (for the images given, or by build(…, { plan })); for a profile of other layers, use a detector made for it (Detector.create with that profile)." : '');
    this.extractor = f;
    this.current = new Scorer(p);
  }

  /** Check one decoded image. `decodeMs` is the caller's decode time, reported with the rest. */
  async check(img: RgbaImage, file: string, opts: Partial<ScoreOptions> = {}, decodeMs = 0): Promise<ImageResult> {
    this.live();
    const scorer = this.current;
    if (!scorer && this.replanned) {
      throw new ProfileError('No profile loaded: its build planned the layers again (for the images given, or by build(…, { plan })), and the profile this detector held does not fit them; use the built one (useProfile(result.profile)).', 'mismatch');
    }
    if (!scorer) throw new UsageError('No profile loaded: load a .hsp profile for this model, or build one from known-good images (in Node: Detector.create({ profile }) or useProfile).');
    // An option given as undefined (or no options, as null) leaves its default standing, as the other methods' do.
    const given = defined(opts ?? {});
    const foreign = Object.keys(given).filter((k) => !SCORE_OPTIONS.includes(k));
    if (foreign.length) throw new UsageError(`Detector.check takes no ${foreign.map((k) => `"${k}"`).join(', ')}; it takes ${SCORE_OPTIONS.join(', ')}.`);
    refuse(given);
    checkPixels(img, file);
    const { logits, nodes, errors, preprocessMs, inferenceMs } = await this.running(() => this.features.nodeValues([img]));
    if (errors.size) throw errors.get(0)!;
    const f = this.features;
    const { fpr, scoring, topNodes } = DEFAULTS;
    const timings = { decode: decodeMs, preprocess: preprocessMs, inference: inferenceMs };
    const run = { file, img, logits: logits[0], values: nodes, timings, classNames: f.spec.classNames, provider: f.provider, probabilities: f.model.classProbabilities, classMap: f.model.classMap };
    return scorer.result(run, { fpr, scoring, topNodes, ...given });
  }

  /**
   * Build a profile. With `plan`, the layers are first re-reduced by that budget (same session), e.g.
   * for the real background size; on success the detector keeps the new reductions and drops a
   * profile it held that no longer fits them (load the built one with useProfile). Layers the
   * detector planned by itself are planned again for the images given, as `histoscan profile` plans,
   * and for `budget` (bytes, as `--budget` in MB) where given. A detector made with a profile builds
   * that profile's layers and reductions (a profile that can replace it); `budget` there bounds the
   * Gaussian part only.
   */
  async build(background: ImageSource, calibration: ImageSource | null, options: Partial<BuildOptions> & { plan?: PlanBudget } = {}): Promise<BuildResult> {
    this.live();
    refuseSettings('build', options, BUILD_OPTIONS);
    const opts = buildDefaults(options); // what the caller leaves out, as the CLI's defaults
    // A build without calibration images keeps the room its plan set aside for a table (eval calibrates after).
    // Priced for the bins, classes and Gaussian part this build writes, as the CLI's plan is (cli/plan.ts choiceOf).
    const was = this.planned && { ...this.planned, calibration: this.planned.calibration ?? 0 };
    const sized = was && !opts.edgesFrom && { ...was, bins: opts.bins, strategy: opts.strategy, classLayers: opts.classConditional, gauss: opts.gauss, count: opts.planCount ?? background.count, calibration: calibration?.count ?? was.calibration, budget: options.budget ?? was.budget };
    const plan = opts.plan ?? (sized && (Object.keys(sized) as (keyof PlanBudget)[]).some((k) => sized[k] !== was![k]) ? sized : undefined);
    const f = plan ? this.extractor.withReductions({ plan }) : this.extractor;
    const result = await this.running(() => buildProfile(f, background, calibration, opts));
    if (f !== this.extractor) {
      this.extractor = f;
      this.planned = plan!;
      this.replanned = true;
      if (this.current && !compatible(this.current.profile, f)) this.current = null;
    }
    return result;
  }

  /** A calibration table for `profile` from held-out known-good images; options as the CLI's (batch size, FPR, progress). */
  async calibrate(profile: Profile, images: ImageSource, opts: Partial<Parameters<typeof calibrate>[3]> = {}): Promise<BuildResult> {
    this.live();
    refuseSettings('calibrate', opts, CALIBRATE_OPTIONS);
    checkCompatible(profile, this.features);
    return this.running(() => calibrate(this.features, profile, images, { batchSize: DEFAULTS.batchSize, fpr: DEFAULTS.fpr, ...defined(opts) }));
  }

  /**
   * Frees the model's session once the calls already made have finished (they finish as if it had
   * not been called: a service can drain); a call made after it is refused.
   */
  release(): void {
    this.released = true;
    this.freeWhenIdle();
  }

  private async running<T>(work: () => Promise<T>): Promise<T> {
    this.runs++;
    try {
      return await work();
    } finally {
      this.runs--;
      this.freeWhenIdle();
    }
  }

  private freeWhenIdle(): void {
    if (this.released && this.runs === 0 && !this.freed) {
      this.freed = true;
      this.features.release();
    }
  }

  private live(): void {
    if (this.released) throw new UsageError('This detector was released (release() frees its model): create another with Detector.create.');
  }
}

/** What Detector.create takes from a caller (accept and acceptSpec are its own): tied to its type, so a new option cannot be missed here. */
const CREATE_OPTIONS = Object.keys({ model: 1, profile: 1, layers: 1, reduction: 1, provider: 1, numThreads: 1, maxRunValues: 1, spec: 1, overrides: 1, beside: 1 } satisfies Record<Exclude<keyof Parameters<typeof Detector.create>[0], 'accept' | 'acceptSpec'>, 1>);

/** What build and calibrate take (Detector.build: BuildOptions and a plan), tied to their types as CREATE_OPTIONS is. */
const BUILD_OPTIONS = Object.keys({ bins: 1, strategy: 1, tail: 1, pointP: 1, aMax: 1, classConditional: 1, conditional: 1, combine: 1, logits: 1, gauss: 1, budget: 1, batchSize: 1, fpr: 1, edgesFrom: 1, planCount: 1, source: 1, modelName: 1, generator: 1, onProgress: 1, onRows: 1, signal: 1, plan: 1 } satisfies Record<keyof BuildOptions | 'plan', 1>);
const CALIBRATE_OPTIONS = Object.keys({ batchSize: 1, fpr: 1, onProgress: 1, onRows: 1, signal: 1, inBackground: 1 } satisfies Record<keyof Parameters<typeof calibrate>[3], 1>);

/** A build or calibration refused before it runs, where a setting is wrong (defaults.ts buildSettingProblems). */
function refuseSettings(call: string, options: object, known: readonly string[]): void {
  const problems = buildSettingProblems(options as Record<string, unknown>, known);
  if (problems.length) throw new UsageError(`Detector.${call}: ${problems.join('; ')}.`);
}

/** Settings given to the API that it cannot use, refused in the element's words. */
function refuse(o: Partial<Record<keyof typeof settingProblem, unknown>>): void {
  const problems = (Object.keys(settingProblem) as (keyof typeof settingProblem)[]).map((k) => o[k] !== undefined && settingProblem[k](o[k])).filter(Boolean);
  if (problems.length) throw new UsageError(`${problems.join('; ')}.`);
}

/** A decoded profile, or one decoded from its file's bytes. */
function profileOf(p: Profile | Uint8Array | ArrayBuffer): Profile {
  if (p instanceof Uint8Array || p instanceof ArrayBuffer) return decodeProfile(p);
  if (!Array.isArray((p as Partial<Profile>)?.header?.layers)) fileBytes(p, 'profile', '.hsp', 'a decoded profile (decodeProfile) or '); // throws, saying what to pass
  return p;
}

/** A profile fits a model when it was built for its bytes and monitors the layers it provides. */
function checkFingerprint(p: Profile, fp: string): void {
  if (p.header.fingerprint && p.header.fingerprint !== fp) {
    throw new ProfileError(
      // Its file's name (where the profile records one): the same network exported again or retrained is another model too.
      `This profile was built for another model${p.header.modelName ? `, ${p.header.modelName}` : ''} (profile fingerprint ${p.header.fingerprint.slice(0, 12)}…, model ${fp.slice(0, 12)}…): a profile holds for the model file it was built from, and the same network exported again (another opset) or retrained is another model. Build one for this model: on the command line with "histoscan profile", or in the page from known-good images (pick the model alone, then "Calibrate on your own images").`,
      'mismatch',
    );
  }
}

/** Whether two specs preprocess an image alike. */
export function sameSpec(a: ModelSpec, b: ModelSpec): boolean {
  return preprocessingChanges(a, b).length === 0;
}

/** Same layers, shapes, channel axes, reductions and node counts, in the same order. */
function compatible(p: Profile, f: FeatureExtractor): boolean {
  const a = p.header.layers;
  const ra = layerReductions(p.header);
  const b = f.layers;
  return a.length === b.length && a.every((l, i) => l.name === b[i].name && ra[i] === b[i].reduction && l.nodes === b[i].nodes && l.shape.join('x') === b[i].shape.join('x') && (l.channelAxis ?? 0) === (b[i].channelAxis ?? 0));
}

/** A profile holds for images preprocessed as its own were. */
function checkSpec(p: Profile, spec: ModelSpec): void {
  const changed = preprocessingChanges(p.header.spec, spec);
  if (changed.length) {
    throw new ProfileError(
      `This profile was built from images preprocessed otherwise than these would be (${changed.join('; ')}): its histograms and calibration do not apply. Drop the spec or flags that change it, or build a profile with them.`,
      'mismatch',
    );
  }
}

/** `layersHint`: said after the message where the profile monitors other layers than the detector reads. */
function checkCompatible(p: Profile, f: FeatureExtractor, layersHint = ''): void {
  checkFingerprint(p, f.fingerprint);
  checkSpec(p, f.spec);
  const { outputName, logitsName } = f.model;
  const from = p.header.logitsFrom ?? outputName;
  if (from !== logitsName) {
    throw new ProfileError(
      `This profile read the model's logits from "${from}", but they come from "${logitsName}"${logitsName !== outputName ? `, the input of the Softmax that closes output "${outputName}"` : ''}: its calibration does not apply. Rebuild the profile with "histoscan profile".`,
      'mismatch',
    );
  }
  const moved = p.header.layers.findIndex((l, i) => f.layers[i]?.name === l.name && (l.channelAxis ?? 0) !== (f.layers[i].channelAxis ?? 0));
  if (moved >= 0) {
    const l = p.header.layers[moved];
    throw new ProfileError(
      `This profile read the channels of layer "${l.name}" [${l.shape.join('×')}] on axis ${l.channelAxis ?? 0}, this version on axis ${f.layers[moved].channelAxis ?? 0} (a transformer's [tokens, features] tensor is read per feature). Rebuild the profile with "histoscan profile".`,
      'mismatch',
    );
  }
  if (!compatible(p, f)) {
    const rs = layerReductions(p.header);
    const one = (l: (typeof f.layers)[number] | undefined, r: string | undefined) => (l ? `"${l.name}" [${l.nodes} ${r}${l.channelAxis ? `, channels on axis ${l.channelAxis}` : ''}]` : 'none');
    const count = (ls: readonly { nodes: number }[]) => `${counted(ls.length, 'layer')}, ${counted(ls.reduce((a, l) => a + l.nodes, 0), 'node')}`;
    // The first few places where they differ, not every layer twice (a photo model has dozens).
    const at = Array.from({ length: Math.max(p.header.layers.length, f.layers.length) }, (_, i) => i).filter((i) => {
      const [a, b] = [p.header.layers[i], f.layers[i]];
      return !a || !b || one(a, rs[i]) !== one(b, b.reduction) || a.shape.join('x') !== b.shape.join('x');
    });
    const diffs = at.slice(0, 3).map((i) => `layer ${i + 1}: profile ${one(p.header.layers[i], rs[i])}, model ${one(f.layers[i], f.layers[i]?.reduction)}`);
    // Before 0.4.5 a map lower or narrower than its pooling grid repeated its rows as nodes.
    const older = p.header.layers.some((l, i) => f.layers[i]?.name === l.name && rs[i]?.startsWith('pool') && rs[i] === f.layers[i].reduction && l.nodes > f.layers[i].nodes);
    throw new ProfileError(
      `This profile monitors other layers than the model provides (profile: ${count(p.header.layers)}; model: ${count(f.layers)}; ${diffs.join('; ')}${at.length > 3 ? `; ${at.length - 3} more` : ''}).` +
        (older ? ' It was built by a version before 0.4.5, which repeated the rows of a map smaller than its pooling grid; rebuild it with "histoscan profile".' : '') +
        layersHint,
      'mismatch',
    );
  }
}
