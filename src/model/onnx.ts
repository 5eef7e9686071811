// Reading ONNX models with the protobuf definitions of onnx-buf: what a graph takes and gives, which
// tensors can be monitored, where its logits and features lie. (Changing a graph: instrument.ts.)
import type { ModelProto, ValueInfoProto } from 'onnx-buf';
import { foldedActivations } from './quantized.ts';
import { parseModel } from './parse.ts';

export interface TensorInfo {
  name: string;
  opType: string;
  shape?: (number | string)[];
  /** TensorProto data type (1 = float, 10 = float16) when value_info declares it. */
  elemType?: number;
  producer: string;
}

export interface IoInfo {
  name: string;
  shape: (number | string)[];
  elemType: number;
}

export interface ModelInfo {
  opset: number;
  inputs: IoInfo[];
  outputs: IoInfo[];
  candidates: TensorInfo[];
  /** Tensors that nodes compute from weights alone (Constant outputs too): the same for every image. */
  fixed: string[];
  autoLayers: string[];
  /**
   * Graph outputs that a closing Softmax or LogSoftmax produces (through reshapes), mapped to that
   * op's input: the logits before it, which the energy score and the class ranking need.
   */
  beforeSoftmax: Record<string, string>;
  /** Graph outputs a closing Sigmoid produces (through reshapes): each value a probability of its own (multi-label, or a binary score). */
  sigmoidOutputs: string[];
  /**
   * Where the features of a tensor lie, for tensors that a linear op wrote (through normalisation,
   * adds and activations): 'first' after a Conv (channel-first, batch removed), 'last' after a
   * MatMul or Gemm (a transformer's [tokens, features]). model/reduce.ts channelAxisOf reads it.
   */
  featureAxis: Record<string, 'first' | 'last'>;
  /**
   * Tensors that are a spatial mean of another (GlobalAveragePool, or ReduceMean over two axes,
   * through reshapes: a classifier's pooled features), mapped to it. model/plan.ts leaves out a layer
   * whose channel means would repeat such a monitored tensor node for node.
   */
  meanOf: Record<string, string>;
  /**
   * Tensors that only reshape, transpose or select from others (Gather at fixed indices, Slice), mapped
   * to those tensors up the chain. Where one holds as many values per image as a tensor it comes from,
   * it holds that tensor's values again (a pooled token taken out of its size-1 axis): model/plan.ts
   * leaves it out where both are monitored.
   */
  copyOf: Record<string, string[]>;
  /** The graph computes in float16 somewhere (a weight, its input or output, a Cast to it). */
  half: boolean;
}

/** ONNX TensorProto element types: float32 and float16 (read as node values), uint8 (an image input fed the pixels themselves). */
const FLOAT = 1;
export const FLOAT16 = 10;
export const UINT8 = 2;
/** A float element type: what is read as node values and logits, and fed an image as floats. */
export const isFloat = (t: number): boolean => t === FLOAT || t === FLOAT16;

/** Whether a tensor of this shape (batch first) holds one vector per image: at most one axis besides the batch above 1. */
export const perImageVector = (shape: readonly (number | string)[]): boolean => shape.slice(1).filter((d) => d !== 1).length <= 1;

/**
 * The output read as the model's class scores when the spec names none. Not an int64 class index
 * (exports that sort outputs by name put "classes" first), and among several float outputs one that
 * holds a vector per image ([N, K], [N, K, 1, 1]) before one that does not (an embedding, a map):
 * one a Softmax closes, then one named like scores, then the first.
 */
export function classOutput(info: Pick<ModelInfo, 'outputs' | 'beforeSoftmax'>): string {
  const floats = info.outputs.filter((o) => isFloat(o.elemType));
  const vector = floats.filter((o) => perImageVector(o.shape));
  const pick =
    vector.find((o) => o.name in info.beforeSoftmax) ??
    vector.find((o) => /logit|prob|score|class|pred/i.test(o.name)) ??
    vector[0] ??
    floats[0] ??
    info.outputs[0];
  return pick.name;
}

// Activation ops that close a conv/dense block (Relu6 exports as Clip).
const ACTIVATIONS = new Set(['Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'HardSwish', 'HardSigmoid', 'Elu', 'Selu', 'PRelu', 'Tanh', 'Gelu', 'Mish', 'Softplus']);
// Linear ops, float and quantized (onnxruntime's quantize_dynamic writes MatMulInteger/ConvInteger,
// static quantization QLinear*), and where each writes its features.
const LINEAR = new Map<string, 'first' | 'last'>([
  ['Conv', 'first'], ['ConvTranspose', 'first'], ['ConvInteger', 'first'], ['QLinearConv', 'first'],
  ['Gemm', 'last'], ['MatMul', 'last'], ['MatMulInteger', 'last'], ['QLinearMatMul', 'last'],
]);
// Ops between a linear op and its activation that keep the "block" together (bias Add of MatMul,
// folded or unfolded BatchNorm, residual Add, scaling Mul; a quantized op's Cast and rescaling, a
// quantization and its dequantization).
const PASS = new Set(['BatchNormalization', 'Add', 'Identity', 'Mul', 'Div', 'InstanceNormalization', 'LayerNormalization', 'Cast', 'QuantizeLinear', 'DequantizeLinear']);
// Below opset 20 a GELU exports as x·½(1 + erf(x/√2)): the activation is the last Add/Mul after the Erf.
const GELU_TAIL = new Set(['Add', 'Mul']);
// Gates that a SiLU or a HardSwish below opset 14 multiplies by its input, through a constant scaling (/6).
const GATES = new Set(['Sigmoid', 'HardSigmoid', 'Clip', 'Softplus']);
// What may stand between a gate and the product with its input (Mish: x · tanh(softplus(x))).
const GATE_TAIL = new Set(['Mul', 'Div', 'Tanh']);
const DENSE = new Set(['Gemm', 'MatMul', 'MatMulInteger', 'QLinearMatMul']);
// A quantized dense op reads its input through one of these: the float tensor before it is the feature.
const QUANTIZE = new Set(['DynamicQuantizeLinear', 'QuantizeLinear']);
// Ops that only reshape a tensor: a Softmax followed by these still closes the model.
const RESHAPE = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);
// Reshapes, and a quantization and its dequantization: the same values again, but for rounding.
const REQUANTIZE = new Set([...RESHAPE, 'QuantizeLinear', 'DequantizeLinear']);
// Ops whose output is values of their first input, moved or picked (Gather only at fixed indices).
const MOVE = new Set([...RESHAPE, 'Transpose', 'Slice', 'Gather']);

const shapeOf = (v: ValueInfoProto): (number | string)[] => {
  const t = v.type?.value;
  if (!t || t.case !== 'tensorType') return [];
  return (
    t.value.shape?.dim.map((d) => (d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : '?')) ?? []
  );
};
export const elemOf = (v: ValueInfoProto): number => (v.type?.value.case === 'tensorType' ? v.type.value.value.elemType : 0);

/** Inputs, outputs, opset, every intermediate tensor, and the layers `auto` would monitor. */
export function inspectModel(input: Uint8Array | ModelProto): ModelInfo {
  const model = input instanceof Uint8Array ? parseModel(input) : input;
  const g = model.graph!;
  const inits = new Set(g.initializer.map((t) => t.name));
  const graphInputs = new Set(g.input.map((i) => i.name));
  const outputs = new Set(g.output.map((o) => o.name));
  const known = new Map<string, ValueInfoProto>();
  for (const v of [...g.valueInfo, ...g.input, ...g.output]) known.set(v.name, v);
  const opset = Number(model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0);

  type Prod = { opType: string; inputs: string[]; name: string; index: number };
  const producer = new Map<string, Prod>();
  const candidates: TensorInfo[] = [];
  // Tensors computed from weights alone (exporters write Identity copies of shared weights, folded
  // shapes), or from a tensor's shape (Shape, Size and the integers computed from them): the same for
  // every image of one size, so no node values to monitor. Nodes come in topological order.
  const fixed = new Set(inits);
  g.node.forEach((n, i) => {
    const name = n.name || `${n.opType}_${i}`;
    const sameForAll = n.opType === 'Constant' || n.opType === 'Shape' || n.opType === 'Size' || (n.input.some(Boolean) && n.input.every((t) => !t || fixed.has(t)));
    for (const out of n.output) {
      if (!out) continue;
      producer.set(out, { opType: n.opType, inputs: n.input, name, index: i });
      if (sameForAll) fixed.add(out);
      if (sameForAll || outputs.has(out) || graphInputs.has(out)) continue;
      const v = known.get(out);
      const c: TensorInfo = { name: out, opType: n.opType, producer: name };
      if (v && shapeOf(v).length) c.shape = shapeOf(v);
      if (v && elemOf(v)) c.elemType = elemOf(v);
      candidates.push(c);
    }
  });
  const isCandidate = new Set(candidates.map((c) => c.name));
  // A data input of a node: not a weight (an initializer, a Constant or computed from them).
  const isData = (t: string) => !!t && !fixed.has(t);
  /** The tensors t's values come from, up its chain of `ops` (each op's data input; a Gather at fixed indices only). */
  const upstream = (t: string, ops: Set<string>): string[] => {
    const from: string[] = [];
    for (let p = producer.get(t); p && ops.has(p.opType) && isData(p.inputs[0]) && (p.opType !== 'Gather' || !isData(p.inputs[1])); p = producer.get(p.inputs[0])) from.push(p.inputs[0]);
    return from;
  };

  // Where the linear op that tensor t comes from (through the ops in `through`) writes its features, if there is one.
  const linearOf = (t: string, through: Set<string>, depth = 0): 'first' | 'last' | undefined => {
    const p = producer.get(t);
    if (!p || depth > 8) return undefined;
    if (LINEAR.has(p.opType)) return LINEAR.get(p.opType);
    if (!through.has(p.opType)) return undefined;
    for (const i of p.inputs) {
      const op = isData(i) ? linearOf(i, through, depth + 1) : undefined;
      if (op) return op;
    }
    return undefined;
  };
  // Does tensor t come from a linear op, possibly through normalisation or residual adds?
  const fromLinear = (t: string) => linearOf(t, PASS) !== undefined;
  // Tensors from which some graph output is reachable.
  const feedsOutput = new Set<string>(outputs);
  for (let i = g.node.length - 1; i >= 0; i--) {
    const n = g.node[i];
    if (n.output.some((o) => feedsOutput.has(o))) for (const t of n.input) if (t) feedsOutput.add(t);
  }
  // The penultimate features: the data input of the last dense op that feeds the output.
  const lastDense = [...g.node].reverse().find((n) => DENSE.has(n.opType) && n.output.some((o) => feedsOutput.has(o)));
  const dequantized = (t: string) => (QUANTIZE.has(producer.get(t)?.opType ?? '') ? producer.get(t)!.inputs[0] : t);
  const penultimate = lastDense?.input.map(dequantized).find((t) => isData(t) && isCandidate.has(t));

  // The only consumer of each tensor, if it has exactly one.
  const consumers = new Map<string, number>();
  const sole = new Map<string, { opType: string; inputs: string[]; output: string }>();
  for (const n of g.node) {
    for (const t of new Set(n.input)) {
      consumers.set(t, (consumers.get(t) ?? 0) + 1);
      sole.set(t, { opType: n.opType, inputs: n.input, output: n.output[0] });
    }
  }
  // An Erf's GELU: follow its sole Add/Mul consumers (at most three: +1, ·x, ·½) to the activation.
  const geluOf = (t: string): string => {
    for (let hop = 0; hop < 3 && consumers.get(t) === 1 && GELU_TAIL.has(sole.get(t)!.opType); hop++) t = sole.get(t)!.output;
    return t;
  };
  // A gate times its own input is the activation (SiLU x·σ(x), and HardSwish below opset 14 as x·hardσ(x)
  // or x·relu6(x + 3)/6): follow the gate's sole Mul/Div consumers to the Mul by x. A gate that scales
  // another tensor (squeeze-and-excitation) stays the activation itself.
  /** t before a scaling by a constant (x/6 or x·⅙, as TensorFlow.js writes HardSwish), else t. */
  const unscaled = (t: string): string => {
    const p = producer.get(t);
    const data = p && GATE_TAIL.has(p.opType) ? p.inputs.filter(isData) : [];
    return data.length === 1 ? data[0] : t;
  };
  const gatedOf = (t: string): string => {
    const input = producer.get(t)!.inputs[0];
    const shifted = producer.get(input);
    // x + 3 (HardSwish), or βx (Paddle2ONNX writes Swish as x·σ(x·β), with β = 1 as a Mul).
    const x = new Set([input, unscaled(input), ...(shifted?.opType === 'Add' ? shifted.inputs.filter(isData) : [])]);
    for (let hop = 0, u = t; hop < 3 && consumers.get(u) === 1 && GATE_TAIL.has(sole.get(u)!.opType); hop++) {
      const next = sole.get(u)!;
      if (next.opType === 'Mul' && next.inputs.some((i) => i !== u && x.has(unscaled(i)))) return next.output;
      u = next.output;
    }
    return t;
  };
  // Float activations (a quantized graph's other integer tensors are not node values), and those a static
  // quantization folded into its quantized tensors (model/quantized.ts).
  const folded = foldedActivations(g, producer, (t) => isCandidate.has(t), fromLinear, ACTIVATIONS);
  const activations = candidates.filter((c) => ((ACTIVATIONS.has(c.opType) || c.opType === 'Erf') && isFloat(c.elemType ?? FLOAT)) || folded.has(c.name));
  let auto = activations
    .filter((c) => folded.has(c.name) || fromLinear(producer.get(c.name)!.inputs[0] ?? ''))
    .map((c) => (c.opType === 'Erf' ? geluOf(c.name) : GATES.has(c.opType) ? gatedOf(c.name) : c.name))
    .filter((t) => isCandidate.has(t));
  if (auto.length === 0) auto = candidates.filter((c) => c.opType === 'Conv').map((c) => c.name);
  // A reshape of a monitored activation (Relu -> Flatten -> Gemm) holds its values again, which the scan would count twice.
  // So does one quantized again on its way (Relu -> Flatten -> QuantizeLinear -> DequantizeLinear -> Gemm).
  if (penultimate && !upstream(penultimate, REQUANTIZE).some((t) => auto.includes(t))) auto.push(penultimate);

  // Probabilities lose the logits' scale (energy) and squash confident classes together.
  const beforeSoftmax: Record<string, string> = {};
  const sigmoidOutputs: string[] = [];
  for (const o of outputs) {
    let p = producer.get(o);
    while (p && RESHAPE.has(p.opType) && p.inputs[0]) p = producer.get(p.inputs[0]);
    const logits = p && (p.opType === 'Softmax' || p.opType === 'LogSoftmax') ? p.inputs[0] : undefined;
    if (logits && isCandidate.has(logits)) beforeSoftmax[o] = logits;
    if (p?.opType === 'Sigmoid') sigmoidOutputs.push(o);
  }
  // A closing Sigmoid reshaped into its output (a binary head squeezed to [N]) is the output, not a layer before it.
  const closing = new Set(sigmoidOutputs.flatMap((o) => upstream(o, RESHAPE)));
  const order = new Map(candidates.map((c, i) => [c.name, i]));
  const autoLayers = [...new Set(auto)].filter((t) => !closing.has(t)).sort((a, b) => order.get(a)! - order.get(b)!);

  const featureAxis: Record<string, 'first' | 'last'> = {};
  const blockOps = new Set([...PASS, ...ACTIVATIONS, 'Erf']);
  for (const c of candidates) {
    const axis = linearOf(c.name, blockOps);
    if (axis) featureAxis[c.name] = axis;
  }

  // Spatial means (per channel or not: the planner checks that the node counts agree).
  const meanOf: Record<string, string> = {};
  const SPATIAL = new Set(['2,3', '1,2', '-2,-1', '-3,-2']);
  for (const c of candidates) {
    let p = producer.get(c.name);
    while (p && RESHAPE.has(p.opType) && p.inputs[0]) p = producer.get(p.inputs[0]);
    const axes = p?.opType === 'ReduceMean' ? g.node[p.index].attribute.find((a) => a.name === 'axes')?.ints.map(Number) : undefined;
    const mean = p?.opType === 'GlobalAveragePool' || (axes && SPATIAL.has([...axes].sort((a, b) => a - b).join(',')));
    if (p && mean && isCandidate.has(p.inputs[0]) && p.inputs[0] !== c.name) meanOf[c.name] = p.inputs[0];
  }

  const copyOf: Record<string, string[]> = {};
  for (const c of candidates) {
    const from = upstream(c.name, MOVE).filter((t) => isCandidate.has(t));
    if (from.length) copyOf[c.name] = from;
  }

  return {
    opset,
    inputs: g.input.filter((i) => !inits.has(i.name)).map((i) => ({ name: i.name, shape: shapeOf(i), elemType: elemOf(i) })),
    outputs: g.output.map((o) => ({ name: o.name, shape: shapeOf(o), elemType: elemOf(o) })),
    candidates,
    fixed: [...fixed].filter((t) => !inits.has(t)),
    autoLayers,
    beforeSoftmax,
    sigmoidOutputs,
    featureAxis,
    meanOf,
    copyOf,
    half:
      g.initializer.some((t) => t.dataType === FLOAT16) ||
      [...g.input, ...g.output].some((v) => elemOf(v) === FLOAT16) ||
      g.node.some((n) => n.opType === 'Cast' && n.attribute.some((a) => a.name === 'to' && Number(a.i) === FLOAT16)),
  };
}
