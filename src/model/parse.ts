// An ONNX file's bytes to its protobuf (onnx-buf), refused with a reason a user can act on where it
// is no model histoscan can read: empty, not ONNX, or with its weights in files beside it.
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, type ModelProto } from 'onnx-buf';
import { ModelError } from '../core/errors.ts';

/** Parse ONNX bytes once; inspect and instrument take the parsed model. */
export function parseModel(bytes: Uint8Array): ModelProto {
  if (bytes.length === 0) throw new ModelError('The model file is empty (0 bytes): choose the .onnx file again, or download it again.', 'not-onnx');
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch {
    throw new ModelError('This file is not an ONNX model (it does not parse as an ONNX protobuf).', 'not-onnx');
  }
  if (!model.graph || model.graph.node.length === 0 || model.graph.output.length === 0) {
    throw new ModelError('This file is not an ONNX model (it has no graph, nodes or outputs).', 'not-onnx');
  }
  // Weights in files beside the model (large exports): one file is what a page can pick and a
  // profile's fingerprint can name, so ask for the model as one file instead of failing inside onnxruntime.
  const tensors = [...model.graph.initializer, ...model.graph.node.flatMap((n) => n.attribute.flatMap((a) => (a.t ? [a.t] : [])))];
  const files = [...new Set(tensors.flatMap((t) => t.externalData.filter((e) => e.key === 'location').map((e) => e.value)))];
  if (files.length) {
    throw new ModelError(
      `This model keeps its weights in ${files.length === 1 ? 'another file' : 'other files'} (${files.join(', ')}); histoscan reads a model as one file. Save it as one: python3 -c "import onnx; onnx.save(onnx.load('model.onnx'), 'model-one-file.onnx')" (onnx.load reads the weights' files from beside the model).`,
      'external-data',
    );
  }
  return model;
}
