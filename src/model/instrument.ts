// Instrumenting an ONNX model: the layers to monitor, checked against what onnx.ts read of the graph,
// appended to its outputs; and the fingerprint a profile records of the model's bytes.
import { create, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TypeProto_TensorSchema, TypeProtoSchema, ValueInfoProtoSchema, type ModelProto } from 'onnx-buf';
import { ModelError, UsageError } from '../core/errors.ts';
import { elemOf, type ModelInfo } from './onnx.ts';
import { parseModel } from './parse.ts';

/** The layers to monitor: `auto`, or explicit tensor names checked against the model (an empty list: logits only). */
export function resolveLayers(info: ModelInfo, choice: 'auto' | string[]): string[] {
  if (choice === 'auto') {
    if (info.autoLayers.length === 0) throw new ModelError('Found no layers to monitor automatically; name them with --layers (see "histoscan inspect").', 'unknown-layer');
    return info.autoLayers;
  }
  if (!Array.isArray(choice)) throw new UsageError(`layers must be "auto" or a list of tensor names (see "histoscan inspect"), not ${JSON.stringify(choice)}.`);
  const names = new Set(info.candidates.map((c) => c.name));
  for (const l of choice) {
    if (!names.has(l)) {
      const some = info.autoLayers.length ? info.autoLayers : info.candidates.map((c) => c.name);
      const why = info.outputs.some((o) => o.name === l)
        ? 'is a graph output, not an intermediate tensor'
        : info.fixed.includes(l)
          ? "is computed from the model's weights or an input's shape alone, the same for every image of a size"
          : 'is not an intermediate tensor of this model';
      throw new ModelError(
        `Layer "${l}" ${why}. Valid names include: ${some.slice(0, 5).map((n) => `"${n}"`).join(', ')}${some.length > 5 ? ', …' : ''} (see "histoscan inspect").`,
        'unknown-layer',
      );
    }
  }
  return [...new Set(choice)];
}

/**
 * The model with the chosen tensors appended to its graph outputs; the original outputs stay first
 * and unchanged. An appended output carries its element type when value_info declares it, else
 * only its name (onnxruntime infers the rest). Weights may be initializers or Constant nodes.
 */
export function instrumentModel(input: Uint8Array | ModelProto, layers: string[]): Uint8Array {
  // A parsed model is changed in place: its graph outputs gain the layers.
  const model = input instanceof Uint8Array ? parseModel(input) : input;
  const g = model.graph!;
  const have = new Set(g.output.map((o) => o.name));
  const declared = new Map<string, number>();
  for (const v of g.valueInfo) if (elemOf(v)) declared.set(v.name, elemOf(v));
  for (const name of layers) {
    if (have.has(name)) continue;
    const elemType = declared.get(name);
    g.output.push(
      create(ValueInfoProtoSchema, {
        name,
        ...(elemType
          ? { type: create(TypeProtoSchema, { value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType }) } }) }
          : {}),
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
