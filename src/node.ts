// histoscan's Node API (`histoscan/node`): the detector that the CLI and the page's worker drive, for
// scripts and servers. It runs on onnxruntime-node where that optional dependency installed, else on
// onnxruntime-web's WASM (model/runtime.ts decides).
//
//   const d = await Detector.create({ model: readFileSync('m.onnx'), profile: readFileSync('m.hsp') });
//   const r = await d.check(await decodeImage(readFileSync('x.jpg'), 'x.jpg'), 'x.jpg');  // r.verdict, r.q, r.score
export { Detector, holdOut, holdOutDecoded, readable } from './detector/index.ts';
export type { BuildOptions, BuildResult, FeatureOptions, ImageSource, ReductionChoice, Scorer, ScoreOptions, SkippedImage } from './detector/index.ts';
export type { DecodeLimits } from './model/decode-node.ts';
export type { SpecFlags } from './cli/spec-flags.ts';
export type { SpecSources } from './model/spec.ts';
export type { PlanBudget } from './model/plan.ts';
export { decodeImage } from './model/decode-node.ts';
export { fileSource, listImages } from './cli/io.ts';
export { specSources } from './cli/spec-flags.ts';
export { buildDefaults, DEFAULTS, defaultPlan } from './defaults.ts';
export { decodeProfile, encodeProfile } from './core/index.ts';
// The classes of what histoscan throws (instanceof holds with histoscan/core's too: core/errors.ts).
export { CancelledError, HistoscanError, ImageDecodeError, ModelError, ProfileError, UsageError } from './core/errors.ts';
export type { ErrorCode, ImageErrorCode, ModelErrorCode, ProfileErrorCode } from './core/errors.ts';
export type { Profile } from './core/index.ts';
// Every type the signatures above use (results, progress, headers), nameable without the UI entry.
export type * from './types.ts';
