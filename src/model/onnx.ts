// Reading and instrumenting ONNX models with the protobuf definitions of onnx-buf.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  ModelProtoSchema,
  TensorProto_DataType,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type ModelProto,
  type ValueInfoProto,
} from 'onnx-buf';

export class ModelError extends Error {
  override name = 'ModelError';
  constructor(
    message: string,
    readonly code: 'not-onnx' | 'no-image-input' | 'unknown-layer' | 'nan-activation' | 'runtime',
  ) {
    super(message);
  }
}

export interface TensorInfo {
  name: string;
  opType: string;
  shape?: (number | string)[];
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
  autoLayers: string[];
}

const ACTIVATIONS = new Set(['Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'HardSwish', 'HardSigmoid', 'Elu', 'Selu', 'PRelu', 'Tanh', 'Gelu', 'Mish', 'Softplus']);
const LINEAR = new Set(['Conv', 'Gemm', 'MatMul', 'ConvTranspose']);
// Ops between a linear op and its activation that keep the "block" together.
const PASS = new Set(['BatchNormalization', 'Add', 'Identity', 'Mul', 'InstanceNormalization', 'LayerNormalization']);

function parse(bytes: Uint8Array): ModelProto {
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch {
    throw new ModelError('This file is not an ONNX model (it does not parse as an ONNX protobuf).', 'not-onnx');
  }
  if (!model.graph || model.graph.node.length === 0 || model.graph.output.length === 0) {
    throw new ModelError('This file is not an ONNX model (it has no graph, nodes or outputs).', 'not-onnx');
  }
  return model;
}

const shapeOf = (v: ValueInfoProto): (number | string)[] => {
  const t = v.type?.value;
  if (!t || v.type?.value.case !== 'tensorType') return [];
  return (t.value as { shape?: { dim: { value: { case?: string; value?: unknown } }[] } }).shape?.dim.map((d) =>
    d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? String(d.value.value) : '?',
  ) ?? [];
};
const elemOf = (v: ValueInfoProto): number => (v.type?.value.case === 'tensorType' ? (v.type.value.value as { elemType: number }).elemType : 0);

/** Inputs, outputs, opset, every intermediate tensor, and the layers `auto` would monitor. */
export function inspectModel(bytes: Uint8Array): ModelInfo {
  const model = parse(bytes);
  const g = model.graph!;
  const inits = new Set(g.initializer.map((t) => t.name));
  const outputs = new Set(g.output.map((o) => o.name));
  const known = new Map<string, ValueInfoProto>();
  for (const v of [...g.valueInfo, ...g.input, ...g.output]) known.set(v.name, v);
  const opset = Number(model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0);

  const producer = new Map<string, { opType: string; inputs: string[]; name: string }>();
  const candidates: TensorInfo[] = [];
  g.node.forEach((n, i) => {
    for (const out of n.output) {
      if (!out) continue;
      producer.set(out, { opType: n.opType, inputs: n.input, name: n.name || `${n.opType}_${i}` });
      if (n.opType === 'Constant' || outputs.has(out)) continue;
      const v = known.get(out);
      candidates.push({ name: out, opType: n.opType, shape: v ? shapeOf(v) : undefined, producer: n.name || `${n.opType}_${i}` });
    }
  });

  // Does tensor t come from a Conv/Gemm/MatMul, possibly through normalisation or residual adds?
  const fromLinear = (t: string, depth = 0): boolean => {
    const p = producer.get(t);
    if (!p || depth > 6) return false;
    if (LINEAR.has(p.opType)) return true;
    return PASS.has(p.opType) && p.inputs.some((i) => fromLinear(i, depth + 1));
  };
  const auto: string[] = candidates.filter((c) => ACTIVATIONS.has(c.opType) && fromLinear(producer.get(c.name)!.inputs[0] ?? '')).map((c) => c.name);
  // The penultimate features: the data input of the last dense op that feeds the output.
  const dense = g.node.filter((n) => n.opType === 'Gemm' || n.opType === 'MatMul');
  const last = dense.at(-1);
  if (last) {
    const feat = last.input.find((i) => !inits.has(i) && producer.get(i)?.opType !== 'Constant');
    if (feat && !inputsSet(g).has(feat) && !auto.includes(feat)) auto.push(feat);
  }
  let autoLayers = auto;
  if (autoLayers.length === 0) autoLayers = candidates.filter((c) => c.opType === 'Conv').map((c) => c.name);
  const order = new Map(candidates.map((c, i) => [c.name, i]));
  autoLayers = [...new Set(autoLayers)].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));

  return {
    opset,
    inputs: g.input.filter((i) => !inits.has(i.name)).map((i) => ({ name: i.name, shape: shapeOf(i), elemType: elemOf(i) })),
    outputs: g.output.map((o) => ({ name: o.name, shape: shapeOf(o), elemType: elemOf(o) })),
    candidates,
    autoLayers,
  };
}

function inputsSet(g: NonNullable<ModelProto['graph']>): Set<string> {
  return new Set(g.input.map((i) => i.name));
}

/** The layers to monitor: `auto`, or explicit tensor names checked against the model. */
export function resolveLayers(info: ModelInfo, choice: 'auto' | string[]): string[] {
  if (choice === 'auto') {
    if (info.autoLayers.length === 0) throw new ModelError('Found no layers to monitor automatically; name them with --layers.', 'unknown-layer');
    return info.autoLayers;
  }
  const names = new Set(info.candidates.map((c) => c.name));
  for (const l of choice) {
    if (!names.has(l)) {
      const some = info.autoLayers.length ? info.autoLayers : info.candidates.slice(0, 5).map((c) => c.name);
      throw new ModelError(`The model has no intermediate tensor "${l}". Candidates include: ${some.slice(0, 5).join(', ')} (see "histoscan inspect").`, 'unknown-layer');
    }
  }
  return choice;
}

/** The model with the chosen tensors appended to its graph outputs; original outputs first, unchanged. */
export function instrumentModel(bytes: Uint8Array, layers: string[]): Uint8Array {
  const model = parse(bytes);
  const g = model.graph!;
  const have = new Set(g.output.map((o) => o.name));
  for (const name of layers) {
    if (have.has(name)) continue;
    g.output.push(
      create(ValueInfoProtoSchema, {
        name,
        type: create(TypeProtoSchema, {
          value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType: TensorProto_DataType.FLOAT }) },
        }),
      }),
    );
    have.add(name);
  }
  return toBinary(ModelProtoSchema, model);
}

/** Hex sha256 of the model bytes: what a profile records to refuse other models. */
export async function fingerprint(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
