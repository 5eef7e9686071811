// Half precision (IEEE 754 binary16) for models that take or produce float16 tensors: onnxruntime
// holds their data as the raw 16-bit patterns (Uint16Array) where the platform has no Float16Array.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float16 bits nearest to x (ties to even; overflow to ±Infinity, NaN kept). */
function halfBits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  // Normal halves drop 13 mantissa bits; subnormal ones (e <= 0) drop more, the implicit 1 included.
  const shift = e > 0 ? 13 : 14 - e;
  if (shift > 24) return sign;
  const m = e > 0 ? mant : mant | 0x800000;
  let h = (e > 0 ? e << 10 : 0) | (m >>> shift);
  const rest = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  // A carry out of the mantissa steps the exponent, up to Infinity: what rounding asks for.
  if (rest > half || (rest === half && h & 1)) h++;
  return sign | h;
}

/** Float32 values as float16 bits, for a float16 model input. */
export function toHalf(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = halfBits(values[i]);
  return out;
}

let table: Float32Array | undefined;
/** Every float16 bit pattern's value, made once (256 KB): decoding a layer is then one lookup a value. */
function halfTable(): Float32Array {
  if (table) return table;
  table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    const v = e === 0 ? m * 2 ** -24 : e === 0x1f ? (m ? NaN : Infinity) : (1 + m / 1024) * 2 ** (e - 15);
    table[h] = h & 0x8000 ? -v : v;
  }
  return table;
}

/** One float16 bit pattern's value. */
export const halfValue = (bits: number): number => halfTable()[bits & 0xffff];

/** Float16 bits as float32 values. */
export function fromHalf(bits: Uint16Array): Float32Array {
  const t = halfTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]];
  return out;
}
