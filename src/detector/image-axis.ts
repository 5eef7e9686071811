// Which axis of a monitored tensor counts images, read from the model's first runs, and one image's
// values along it: most layers are batch-first, a tokens-first transformer's are not, and attention
// scores with the heads folded into the batch axis cannot be told apart by image at all.
import { elementCount } from '../model/reduce.ts';
import type { Activation } from '../model/session.ts';

/**
 * Why a tensor cannot be a monitored layer, from one run on one image, or ''. Its static shape may
 * look per image where the run shows otherwise: attention heads folded into the batch axis, a
 * shape computation's integers.
 */
export function notPerImage(a: Activation, batchAxis: number): string {
  const see = '; choose another layer ("histoscan inspect" lists the candidates).';
  // 8-bit integers are a statically quantized graph's activations (model/onnx.ts); int64 and int32, shape arithmetic.
  if (!a.type.startsWith('float') && a.type !== 'uint8' && a.type !== 'int8') return `Layer "${a.name}" holds ${a.type} values [${a.dims.join(', ')}], not activations${see}`;
  if (batchAxis < 0) {
    return `Layer "${a.name}" is [${a.dims.join(', ')}] for one image and no axis of it counts images (as where attention heads are folded into the batch axis), so its values cannot be told apart by image${see}`;
  }
  return '';
}

/** The axes of size 1 in a layer's run on one image, where its values fill its dims (none otherwise). */
const onesOf = (a: Activation): number[] => (elementCount(a.dims) !== a.data.length ? [] : a.dims.flatMap((d, k) => (d === 1 ? [k] : [])));

/**
 * The axis of each layer that counts images, or -1 where none does. With the batch fixed to 1 every
 * tensor of a run is one image's, so its first axis of size 1 is taken out; fixed above 1, the first
 * axis (the session fills the batch and keeps the first rows). Where the batch is free, the axis of
 * size 1 that a run of two images (`two`) makes 2 with the others unchanged: 0 for most layers,
 * another for a tokens-first [tokens, batch, features] tensor (PyTorch's nn.TransformerEncoder
 * without batch_first), even where tokens or features are 1 too. A layer whose one size-1 axis is the
 * first needs no second run; without one (`two` null: the run failed) only the first axis counts.
 */
export function batchAxesOf(one: readonly Activation[], two: readonly Activation[] | null, fixed: number | null): number[] {
  return one.map((a, j) => {
    const ones = onesOf(a);
    if (!ones.length) return -1;
    if (fixed !== null) return fixed === 1 ? ones[0] : ones[0] === 0 ? 0 : -1;
    if (ones.length === 1 && ones[0] === 0) return 0;
    if (!two) return ones[0] === 0 ? 0 : -1;
    return ones.find((k) => countsImages(a.dims, two[j].dims, k, 2)) ?? -1;
  });
}

/** Whether a layer needs a run of two images to tell which axis counts images (batchAxesOf). */
export const needsTwo = (a: Activation): boolean => onesOf(a).some((k) => k > 0);

/** Whether a run on `n` images gives this layer n along its batch axis and its one-image sizes elsewhere. */
const countsImages = (one: readonly number[], many: readonly number[], axis: number, n: number): boolean =>
  one.length === many.length && many.every((d, k) => (k === axis ? d === n : d === one[k]));

/** One image's values of a layer whose images lie along `axis` of `dims` (a gather where the axis is not the first). */
export function imageValues(data: Float32Array, dims: readonly number[], axis: number, i: number): Float32Array {
  const n = dims[axis];
  const per = data.length / n;
  if (axis === 0) return data.subarray(i * per, (i + 1) * per);
  const inner = elementCount(dims, axis + 1);
  const outer = per / inner;
  const out = new Float32Array(per);
  for (let o = 0; o < outer; o++) out.set(data.subarray((o * n + i) * inner, (o * n + i + 1) * inner), o * inner);
  return out;
}
