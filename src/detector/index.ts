// The one pipeline: pixels -> preprocess -> instrumented ONNX session -> node values (features.ts)
// -> p-values -> subset scan -> score -> verdict (scorer.ts, over core/score.ts). The browser
// worker and the Node CLI both drive this object; neither has a copy of it.
import { ProfileError, type Profile } from '../core/index.ts';
import { DEFAULTS } from '../defaults.ts';
import type { ImageResult, RgbaImage } from '../types.ts';
import { buildProfile, calibrate, type BuildOptions, type BuildResult } from './build.ts';
import { FeatureExtractor, type FeatureOptions, type ImageSource } from './features.ts';
import { Scorer, type ScoreOptions } from './scorer.ts';

export { FeatureExtractor, Scorer, buildProfile, calibrate };
export type { BuildOptions, BuildResult, FeatureOptions, ImageSource, ScoreOptions };
export type { SkippedImage } from './build.ts';

export class Detector {
  private constructor(
    readonly features: FeatureExtractor,
    private current: Scorer | null,
  ) {}

  /**
   * The model (and a profile, checked against it when given). This is an edge of the API: what
   * the caller leaves out comes from DEFAULTS.
   */
  static async create(opts: Partial<Omit<FeatureOptions, 'profileSpec'>> & { model: Uint8Array; profile?: Profile }): Promise<Detector> {
    const p = opts.profile;
    const features = await FeatureExtractor.create({
      layers: DEFAULTS.layers,
      reduction: DEFAULTS.reduction,
      provider: DEFAULTS.provider,
      ...opts,
      profileSpec: p?.header.spec,
      // A profile's own layers and reduction win over the options.
      ...(p ? { layers: p.header.layers.map((l) => l.name), reduction: p.header.reduction } : {}),
      accept: (fp) => p && checkFingerprint(p, fp),
    });
    const d = new Detector(features, null);
    if (p) d.useProfile(p);
    return d;
  }

  get scorer(): Scorer | null {
    return this.current;
  }

  get profile(): Profile | null {
    return this.current?.profile ?? null;
  }

  /** Use a profile: refused when built for another model or other layers. */
  useProfile(p: Profile): void {
    checkCompatible(p, this.features);
    this.current = new Scorer(p);
  }

  /** Check one decoded image. `decodeMs` is the caller's decode time, reported with the rest. */
  async check(img: RgbaImage, file: string, opts: Partial<ScoreOptions> = {}, decodeMs = 0): Promise<ImageResult> {
    const scorer = this.current;
    if (!scorer) throw new ProfileError('No profile loaded: load a .hsp profile or build one from known-good images.', 'mismatch');
    const { logits, nodes, errors, preprocessMs, inferenceMs } = await this.features.nodeValues([img]);
    if (errors.size) throw errors.get(0)!;
    const f = this.features;
    const { fpr, scoring, topNodes } = DEFAULTS;
    return scorer.result(file, img, logits[0], nodes, { fpr, scoring, topNodes, ...opts }, { decode: decodeMs, preprocess: preprocessMs, inference: inferenceMs }, f.spec.classNames, f.provider);
  }

  build(background: ImageSource, calibration: ImageSource | null, opts: BuildOptions): Promise<BuildResult> {
    return buildProfile(this.features, background, calibration, opts);
  }

  calibrate(profile: Profile, images: ImageSource, opts: Parameters<typeof calibrate>[3]): Promise<BuildResult> {
    checkCompatible(profile, this.features);
    return calibrate(this.features, profile, images, opts);
  }

  release(): void {
    this.features.release();
  }
}

/** A profile fits a model when it was built for its bytes and monitors the layers it provides. */
function checkFingerprint(p: Profile, fp: string): void {
  if (p.header.fingerprint && p.header.fingerprint !== fp) {
    throw new ProfileError(
      `This profile was built for another model (profile fingerprint ${p.header.fingerprint.slice(0, 12)}…, model ${fp.slice(0, 12)}…). Build a profile for this model with "histoscan profile".`,
      'mismatch',
    );
  }
}

function checkCompatible(p: Profile, f: FeatureExtractor): void {
  checkFingerprint(p, f.fingerprint);
  const a = p.header.layers;
  const b = f.layers;
  const same =
    p.header.reduction === f.reduction &&
    a.length === b.length &&
    a.every((l, i) => l.name === b[i].name && l.nodes === b[i].nodes && l.shape.join('x') === b[i].shape.join('x'));
  if (!same) {
    throw new ProfileError(
      `This profile monitors other layers than the model provides (profile: ${a.map((l) => `${l.name}[${l.nodes}]`).join(', ')}; model: ${b.map((l) => `${l.name}[${l.nodes}]`).join(', ')}, reduction ${f.reduction}).`,
      'mismatch',
    );
  }
}
