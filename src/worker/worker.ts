// The detector in a module Web Worker, exposed with comlink. One session at a time; images,
// activations and profiles stay in this worker and the page that owns it.
import * as Comlink from 'comlink';
import { calibrationNeeded, decodeProfile, encodeProfile, nodeHistogram, ProfileError, toImageError, type Profile } from '../core/index.ts';
import { buildDefaults, DEFAULTS, defaultPlan } from '../defaults.ts';
import { Detector, holdOutDecoded, sameSpec, type ImageSource } from '../detector/index.ts';
import { fromTensor, preprocessSteps, toTensor } from '../model/preprocess.ts';
import { startRuntime } from '../model/runtime.ts';
import { fetchBytes } from './download.ts';
import { pixelRangeWarning, specSource } from '../model/spec.ts';
import type { BinStrategy, ImageError, ImageResult, NodeHistogramData, Progress, Provider, ProviderRequest, Reduction, RgbaImage, ScoringName } from '../types.ts';
import { checkBlob, decodeBlob } from './decode.ts';

export interface InitOptions {
  model: string | ArrayBuffer;
  profile?: string | ArrayBuffer | null;
  /** A spec or a Hugging Face preprocessor_config.json: its URL, or its parsed JSON (model/spec.ts specSource). */
  spec?: string | object | null;
  provider?: ProviderRequest;
  /** Every layer one way; default: the byte-budget plan, also for profiles built here. */
  reduction?: Reduction;
  /** Byte budget of the plan in MB (default DEFAULTS.budgetMB). */
  budgetMB?: number;
  /** WASM threads; default: as many as useful when cross-origin isolated, else 1. */
  numThreads?: number;
}

export interface InitInfo {
  provider: Provider;
  note?: string;
  /** What the user should check in the preprocessing (model/spec.ts pixelRangeWarning). */
  warning?: string;
  modelBytes: number;
  profileBytes: number;
  nodes: number;
  layers: { name: string; shape: number[]; reduction?: Reduction; nodes: number }[];
  classNames?: string[];
  /** Calibration images behind the verdict (0: it cannot flag; see ImageResult.verdict). */
  calibrated: number;
  profileCount: number;
}

/** Bytes downloaded so far of all a start's files (onnxruntime's .wasm among them), and their total. */
export interface Download {
  done: number;
  /** 0 while a file still coming has no length its server said (or said it compressed): `done` is then what came so far. */
  total: number;
  /** Whether any download, counted or not, is still coming, or the runtime still starting. */
  waiting: boolean;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * An error about a downloaded file, named by its URL: a server's error page served as the file ("This file is
 * not an ONNX model") says what the bytes are not, not which of a start's files they were.
 */
function fromUrl(e: unknown, src: unknown, what: string): unknown {
  if (typeof src === 'string' && e instanceof Error) e.message = `The ${what} at ${src}: ${e.message[0].toLowerCase()}${e.message.slice(1)}`;
  return e;
}

function parseJson(bytes: ArrayBuffer, src: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new Error(`The model spec at ${src} is not JSON: ${(e as Error).message}`);
  }
}

/** The image as the model received it, in RGBA for display, and what preprocessing did to it (model/preprocess.ts preprocessSteps). */
export type ModelInput = RgbaImage & { steps: string[] };

let detector: Detector | null = null;
let modelSize = 0;
let profileSize = 0;
let note: string | undefined;
/** Opens the model again under a profile (its own layers, and its preprocessing where init named no spec). */
let reopen: { open: (p: Profile) => Promise<Detector>; ownSpec: boolean } | null = null;
/** The plan's budget in bytes; null when init named one reduction for every layer. */
let budget: number | null = null;
const signal = { aborted: false };

let modelTurn: Promise<unknown> = Promise.resolve();
/** Runs `f` after every earlier call has settled. */
function oneAtATime<T>(f: () => Promise<T>): Promise<T> {
  const run = modelTurn.then(f);
  modelTurn = run.catch(() => {});
  return run;
}

const api = {
  /** `onDownload`: the bytes of the model, profile, spec and runtime downloaded so far, as they come. */
  async init(opts: InitOptions, onDownload?: (d: Download) => void): Promise<InitInfo> {
    detector?.release();
    detector = null;
    // The downloads at once (one after another took their sum on a slow connection), counted together:
    // the model, profile and spec, and onnxruntime's WebAssembly, until each has come and the runtime started.
    // sizes[i]: NaN until file i is heard of, 0 while its length is unknown (not said, or said compressed).
    const sizes = [NaN, NaN, NaN, NaN];
    const got = [0, 0, 0, 0];
    let waiting = 0;
    let said = ''; // the last tenth (or, with no total, MB) said, and whether any is still coming: a status line read out at each chunk would be noise
    const tell = () => {
      const d = { done: sum(got), total: sizes.includes(0) ? 0 : sum(sizes.filter((s) => s > 0)), waiting: waiting > 0 };
      const now = `${d.total ? Math.floor((10 * d.done) / d.total) : `${Math.floor(d.done / 1e6)} MB`} ${d.waiting}`;
      if (now !== said) onDownload?.(d);
      said = now;
    };
    const heard = (i: number) => (n: number, size: number) => {
      [got[i], sizes[i]] = [n, size];
      tell();
    };
    // A runtime this worker loaded before has no count: it is waited for all the same.
    const awaited = <T>(p: Promise<T>): Promise<T> => {
      waiting++;
      return p.finally(() => {
        waiting--;
        tell();
      });
    };
    // Its failure is createSession's to report, in the start's words.
    void awaited(startRuntime(opts.numThreads, heard(3))).catch(() => {});
    const [modelBytes, profileBuf, specBytes] = await Promise.all([
      awaited(fetchBytes(opts.model, 'model', heard(0))),
      opts.profile ? awaited(fetchBytes(opts.profile, 'profile', heard(1))) : null,
      typeof opts.spec === 'string' ? awaited(fetchBytes(opts.spec, 'model spec', heard(2))) : null,
    ]);
    const modelBuf = new Uint8Array(modelBytes);
    let profile: Profile | undefined;
    try {
      profile = profileBuf ? decodeProfile(profileBuf) : undefined;
    } catch (e) {
      throw fromUrl(e, opts.profile, 'profile');
    }
    const json = typeof opts.spec === 'string' ? parseJson(specBytes!, opts.spec) : opts.spec;
    // Kept to reopen the model under a profile's own preprocessing (useProfile).
    const open = (profile?: Profile) =>
      Detector.create({
        model: modelBuf,
        ...(json ? specSource(json) : {}),
        profile,
        layers: DEFAULTS.layers,
        reduction: opts.reduction ?? { plan: defaultPlan({ budget: opts.budgetMB && opts.budgetMB * 1e6 }) },
        provider: opts.provider ?? DEFAULTS.provider,
        numThreads: opts.numThreads,
      });
    reopen = { open, ownSpec: !!json };
    try {
      detector = await open(profile);
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw code === 'not-onnx' ? fromUrl(e, opts.model, 'model') : code === 'bad-spec' ? fromUrl(e, opts.spec, 'model spec') : e;
    }
    budget = opts.reduction ? null : (opts.budgetMB ?? DEFAULTS.budgetMB) * 1e6;
    modelSize = modelBuf.byteLength;
    profileSize = profileBuf?.byteLength ?? 0;
    note = detector.features.model.note;
    return info();
  },

  /** Check one image; a bad file resolves to an ImageError instead of rejecting. */
  async check(file: Blob | ArrayBuffer, name: string, opts: { fpr?: number; scoring?: ScoringName } = {}): Promise<ImageResult | ImageError> {
    const d = need();
    try {
      const t0 = performance.now();
      const img = await decodeBlob(file, name);
      const decodeMs = performance.now() - t0;
      // The page keeps more than one check in flight (ui/queue.ts): decoding overlaps, the model runs one image at a time.
      const r = await oneAtATime(() => d.check(img, name, { fpr: opts.fpr ?? DEFAULTS.fpr, scoring: opts.scoring ?? DEFAULTS.scoring, topNodes: DEFAULTS.topNodes }, decodeMs));
      return Comlink.transfer(r, r.layers.flatMap((l) => [l.values.buffer, l.pMin.buffer, l.pMax.buffer]) as ArrayBuffer[]);
    } catch (e) {
      return toImageError(name, e);
    }
  },

  /** Build a profile from known-good images on this device; `calibrationShare` of them (or the fewest that can flag at `fpr`, where half remain), spread through the list (holdOut), calibrate it. */
  async buildProfile(
    files: Blob[],
    names: string[],
    opts: { bins?: number; strategy?: BinStrategy; calibrationShare?: number; fpr?: number; budgetMB?: number; modelName?: string },
    onProgress?: (p: Progress) => void,
  ): Promise<{ bytes: ArrayBuffer; count: number; calibrated: number; skipped: { file: string; error: string }[]; warnings: string[] }> {
    const d = need();
    signal.aborted = false;
    const all: ImageSource = { count: files.length, name: (i) => names[i], load: (i) => decodeBlob(files[i], names[i]), check: (i) => checkBlob(files[i], names[i]) };
    // Files that are no image, or do not decode, take no calibration place (holdout.ts holdOutDecoded).
    const { background, calibration, refused } = await holdOutDecoded(all, opts.calibrationShare ?? DEFAULTS.calibrationShare, calibrationNeeded(opts.fpr ?? DEFAULTS.fpr), signal);
    const settings = buildDefaults({ bins: opts.bins, strategy: opts.strategy, fpr: opts.fpr, source: `${background.count} images built in the browser`, modelName: opts.modelName, onProgress, signal });
    // The same plan as the CLI's, for the background actually given (its size sets the count width),
    // within this build's budget where the page gives one.
    const planBudget = opts.budgetMB ? opts.budgetMB * 1e6 : budget;
    const plan = planBudget === null ? undefined : defaultPlan({ budget: planBudget, bins: settings.bins, strategy: settings.strategy, count: background.count, calibration: calibration?.count ?? 0 });
    const inUse = d.profile;
    const { profile, skipped, notes, warnings } = await d.build(background, calibration, { ...settings, plan });
    // The page decides whether the built profile is used (useProfile below); until then the one in use
    // stays, on the layers it reads (a build's plan may have read others).
    if (inUse) d.useProfile(inUse);
    const bytes = encodeProfile(profile);
    const buf = bytes.buffer as ArrayBuffer;
    return Comlink.transfer({ bytes: buf, count: profile.header.count, calibrated: profile.header.calibration?.count ?? 0, skipped: [...refused, ...skipped], warnings: [...notes, ...warnings] }, [buf]);
  },

  async useProfile(bytes: ArrayBuffer): Promise<InitInfo> {
    const d = need();
    const p = decodeProfile(bytes);
    // A profile built with other preprocessing (a CLI build with --mean, --size, …) brings it along,
    // unless the page named a spec of its own (then the profile is refused for it); one that reads
    // layers this session does not output (another --layers) gets a session of its own.
    let next: Detector | null = null;
    if (!reopen!.ownSpec && p.header.spec && !sameSpec(p.header.spec, d.features.spec)) next = await oneAtATime(() => reopen!.open(p));
    else {
      try {
        d.useProfile(p);
      } catch (e) {
        if (!(e instanceof ProfileError) || e.code !== 'mismatch') throw e;
        // Another model's profile, or another spec's, is refused again before any session: the first message says it best.
        next = await oneAtATime(() => reopen!.open(p)).catch(() => Promise.reject(e));
      }
    }
    if (next) {
      d.release();
      detector = next;
      note = next.features.model.note;
    }
    profileSize = bytes.byteLength;
    return info();
  },

  /**
   * The image as the model receives it (decoded, resized, colour-converted by the model spec), turned
   * back into 8-bit RGBA for display: the detail view shows what "unusual" is about.
   */
  async modelInput(file: Blob, name: string): Promise<ModelInput> {
    const s = need().features.spec;
    const img = await decodeBlob(file, name);
    const shown = fromTensor(toTensor(img, s), s);
    return Comlink.transfer({ ...shown, steps: preprocessSteps(img, s) }, [shown.data.buffer]);
  },

  /**
   * A PNG of the image, at most `side` pixels on its longer side, for formats the page cannot show
   * in an <img> (TIFF, which only this worker decodes).
   */
  async preview(file: Blob, name: string, side: number): Promise<Blob> {
    const img = await decodeBlob(file, name);
    const k = Math.min(1, side / Math.max(img.width, img.height));
    const full = new OffscreenCanvas(img.width, img.height);
    full.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(img.data), img.width, img.height), 0, 0);
    const small = new OffscreenCanvas(Math.max(1, Math.round(img.width * k)), Math.max(1, Math.round(img.height * k)));
    small.getContext('2d')!.drawImage(full, 0, 0, small.width, small.height);
    return small.convertToBlob({ type: 'image/png' });
  },

  /** Background histogram of one node, for the detail view: class `cls`'s where the node's p-value came from it. */
  histogram(node: number, cls: number): NodeHistogramData {
    return nodeHistogram(need().profile!, node, cls);
  },

  cancelBuild(): void {
    signal.aborted = true;
  },

  /** Liveness probe: the page restarts a worker that stops answering. */
  ping(): boolean {
    return true;
  },
};

function need(): Detector {
  if (!detector) throw new Error('The detector is not initialised yet.');
  return detector;
}

function info(): InitInfo {
  const d = need();
  return {
    provider: d.features.provider,
    note,
    warning: [pixelRangeWarning(d.features.spec), d.scorer?.note].filter(Boolean).join(' ') || undefined,
    modelBytes: modelSize,
    profileBytes: profileSize,
    nodes: d.features.nodes,
    layers: d.features.layers,
    classNames: d.features.spec.classNames,
    calibrated: d.scorer?.calibrated ?? 0,
    profileCount: d.profile?.header.count ?? 0,
  };
}

export type DetectorWorkerApi = typeof api;
Comlink.expose(api);
