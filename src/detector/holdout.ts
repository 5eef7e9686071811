// Images as a random-access source (a profile build makes two passes without holding them), and one set
// of known-good images split into background and calibration.
import { CancelledError, toImageError, type ImageError } from '../core/errors.ts';
import type { RgbaImage } from '../types.ts';

/**
 * Under Node, one turn of the event loop (before each image's decode and each run): its file reads,
 * decoders and onnxruntime-web's WASM runs never wait, so without it Ctrl-C (the CLI's handler) went
 * unseen until a build or a calibration ended. A browser's worker waits on every Blob read anyway.
 */
export const turn = (): Promise<void> | void => (typeof setImmediate === 'function' ? new Promise((r) => setImmediate(r)) : undefined);

/** Random access to images, so a profile build can make its two passes without holding them. */
export interface ImageSource {
  count: number;
  name(i: number): string;
  load(i: number): Promise<RgbaImage>;
  /** Throws what `load` would for a file that is no image, a cut one or one over the pixel limit, from its header alone (`readable`). */
  check?(i: number): Promise<void>;
}

/**
 * `src` without the images whose header check fails, and why each failed. A split planned before
 * decoding held such a file out to calibrate, and the verdict calibrated on fewer images than it
 * needs to flag. Where none passes, `src` whole: the build then says why each failed.
 */
export async function readable(src: ImageSource): Promise<{ images: ImageSource; refused: ImageError[] }> {
  if (!src.check) return { images: src, refused: [] };
  const kept: number[] = [];
  const refused: ImageError[] = [];
  for (let i = 0; i < src.count; i++) {
    try {
      await src.check(i);
      kept.push(i);
    } catch (e) {
      refused.push(toImageError(src.name(i), e));
    }
  }
  return kept.length ? { images: pickImages(src, kept), refused } : { images: src, refused: [] };
}

/**
 * One set of known-good images split into background and calibration: an image calibrates where its
 * position crosses a multiple of 1/share (every 5th at 0.2), so the calibration images are spread
 * through the order. Folders list images by name, often by class or by folder: the last share would
 * calibrate on the last classes alone. Under 10 images, none calibrate. A small set calibrates on
 * `atLeast` images (those the verdict needs to flag at all) where the share gives fewer, as long as
 * the background keeps half: a verdict that can flag is worth more than a tenth more background.
 */
export function holdOut(src: ImageSource, share: number, atLeast = 0): { background: ImageSource; calibration: ImageSource | null } {
  const { background, calibration } = splitPositions(src.count, share, atLeast);
  return { background: pickImages(src, background), calibration: calibration.length ? pickImages(src, calibration) : null };
}

/** holdOut's positions of n images. */
function splitPositions(n: number, share: number, atLeast: number): { background: number[]; calibration: number[] } {
  const byShare = Math.floor(n * share);
  const count = n < 10 ? 0 : byShare < atLeast && n >= imagesToCalibrate(atLeast) ? atLeast : byShare;
  const background: number[] = [];
  const calibration: number[] = [];
  // Position i calibrates where i·share (raised: i·count/n, in integers) crosses an integer.
  const step = (i: number) => (count === byShare ? Math.floor(i * share) : Math.floor((i * count) / n));
  for (let i = 0; i < n; i++) (count && step(i + 1) > step(i) ? calibration : background).push(i);
  return { background, calibration };
}

/**
 * holdOut of the images whose header passes (readable), each calibration image decoded once first:
 * one whose pixels do not decode (a right header over a corrupt stream) gives its place to the next
 * background image that does, so the verdict calibrates on as many images as planned (94 good
 * images and one such file calibrated on 18, one too few to flag at FPR 5%). `refused`: what was left
 * out, and why; `readable`: how many images passed their header check. `signal`: a cancel, seen
 * between decodes.
 */
export async function holdOutDecoded(src: ImageSource, share: number, atLeast = 0, signal?: { aborted: boolean }): Promise<{ background: ImageSource; calibration: ImageSource | null; refused: ImageError[]; readable: number }> {
  const { images, refused } = await readable(src);
  const { background, calibration } = splitPositions(images.count, share, atLeast);
  const spare = new Set(background);
  const decodes = async (i: number): Promise<boolean> => {
    await turn();
    if (signal?.aborted) throw new CancelledError(); // the page's Cancel, before the build proper starts
    try {
      await images.load(i);
      return true;
    } catch (e) {
      refused.push(toImageError(images.name(i), e));
      return false;
    }
  };
  const kept: number[] = [];
  // At most as many stand-ins as calibration images: a set of many files that do not decode is the build's to report.
  let standIns = calibration.length;
  for (const i of calibration) {
    let at: number | undefined = i;
    while (at !== undefined && !(await decodes(at))) {
      at = standIns-- > 0 ? ([...spare].find((j) => j > at!) ?? [...spare][0]) : undefined;
      if (at !== undefined) spare.delete(at);
    }
    if (at !== undefined) kept.push(at);
  }
  const rest = [...spare].sort((a, b) => a - b);
  return { background: pickImages(images, rest), calibration: kept.length ? pickImages(images, kept) : null, refused, readable: images.count };
}

/** The images of `src` at the positions `at`, in that order. */
export const pickImages = (src: ImageSource, at: number[]): ImageSource => ({
  count: at.length,
  name: (i) => src.name(at[i]),
  load: (i) => src.load(at[i]),
  ...(src.check && { check: (i: number) => src.check!(at[i]) }),
});

/** The fewest images of a set that holdOut calibrates on `atLeast` of: as many again stay for the histograms. */
export const imagesToCalibrate = (atLeast: number): number => 2 * atLeast;

/** The fewest images of a set that holdOut, at `share` and `atLeast`, calibrates on `count` or more of (what to give for a calibration that large). */
export function imagesGiven(count: number, share: number, atLeast: number): number {
  let n = Math.max(10, Math.floor(count / share) - 2);
  while (splitPositions(n, share, atLeast).calibration.length < count) n++;
  return count <= atLeast ? Math.min(n, Math.max(10, imagesToCalibrate(atLeast))) : n;
}
