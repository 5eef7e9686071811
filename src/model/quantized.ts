// Statically quantized graphs (onnxruntime's quantize_static) fold each ReLU or ReLU6 into the quantization of
// the linear op's output: a zero point at its type's lowest value clamps at 0 from below, and no activation op is
// left. In QDQ form (Conv -> QuantizeLinear -> DequantizeLinear) the dequantized tensor is the activation, once
// per QuantizeLinear; in QOperator form QLinearConv's integers are, which differ from it by a positive scale and
// an offset alone (the same p-values, the same standardised channel means). Read by model/onnx.ts.
import type { GraphProto, TensorProto } from 'onnx-buf';

// Statically quantized linear ops that write integers, and the index of their output's zero point.
const QLINEAR_ZERO = new Map([['QLinearConv', 7], ['QLinearMatMul', 7]]);
// The lowest value of each integer type a zero point may have (uint8, int8, uint16, int16).
const LOWEST: Record<number, number> = { 2: 0, 3: -128, 4: 0, 5: -32768 };

/** The tensors that are activations a quantization folded in. `fromLinear`: whether a tensor comes from a linear op. */
export function foldedActivations(
  g: GraphProto,
  producer: ReadonlyMap<string, { opType: string; inputs: string[]; index: number }>,
  isCandidate: (t: string) => boolean,
  fromLinear: (t: string) => boolean,
  activationOps: ReadonlySet<string>,
): Set<string> {
  const weights = new Map<string, TensorProto>(g.initializer.map((t) => [t.name, t]));
  for (const n of g.node) {
    const value = n.opType === 'Constant' ? n.attribute.find((a) => a.name === 'value')?.t : undefined;
    if (value) weights.set(n.output[0], value);
  }
  /** Whether quantizing to `zero`'s type clamps at 0 from below; without a zero point, 0 of `type` (uint8 unless a QuantizeLinear's output_dtype says). */
  const clampsAtZero = (zero: string | undefined, type = 2): boolean => {
    if (!zero) return LOWEST[type] === 0;
    const t = weights.get(zero);
    const low = t ? LOWEST[t.dataType] : undefined;
    if (!t || low === undefined) return false;
    const raw = t.rawData;
    // Packed bytes (8-bit types; 16-bit ones are left alone), or one int32 a value.
    const values: number[] = !raw.length ? t.int32Data : t.dataType === 2 ? Array.from(raw) : t.dataType === 3 ? Array.from(new Int8Array(raw.buffer, raw.byteOffset, raw.length)) : [];
    return values.length > 0 && values.every((v) => v === low);
  };
  // A quantization that a float activation reads after its dequantization folded none: that activation is the
  // one (an export that kept its ReLU), and no copy of it beside.
  const intoActivation = new Set(g.node.filter((n) => activationOps.has(n.opType)).map((n) => n.input[0]));
  const keptActivation = new Set(g.node.filter((n) => n.opType === 'DequantizeLinear' && intoActivation.has(n.output[0])).map((n) => n.input[0]));
  const folded = new Set<string>();
  const dequantizedOnce = new Set<string>();
  for (const n of g.node) {
    const out = n.output[0];
    if (!isCandidate(out)) continue;
    const q = n.opType === 'DequantizeLinear' ? producer.get(n.input[0]) : undefined;
    if (q?.opType === 'QuantizeLinear' && !dequantizedOnce.has(n.input[0]) && !keptActivation.has(n.input[0]) && fromLinear(q.inputs[0])) {
      const type = Number(g.node[q.index].attribute.find((a) => a.name === 'output_dtype')?.i ?? 0) || 2;
      if (clampsAtZero(q.inputs[2], type)) {
        dequantizedOnce.add(n.input[0]);
        folded.add(out);
      }
    }
    if (QLINEAR_ZERO.has(n.opType) && clampsAtZero(n.input[QLINEAR_ZERO.get(n.opType)!])) folded.add(out);
  }
  return folded;
}
