// An ONNX file's bytes to its protobuf (onnx-buf), refused with a reason a user can act on where it
// is no model histoscan can read: empty, not ONNX, or with its weights in files beside it.
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataLocation, type GraphProto, type ModelProto, type SparseTensorProto, type TensorProto } from 'onnx-buf';
import { ModelError } from '../core/errors.ts';

/** Parse ONNX bytes once; inspect and instrument take the parsed model. */
export function parseModel(bytes: Uint8Array): ModelProto {
  if (bytes.length === 0) throw new ModelError('The model file is empty (0 bytes): choose the .onnx file again, or download it again.', 'not-onnx');
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (e) {
    // An ONNX file opens with its IR version (field 1, a varint: byte 0x08); one that runs out inside a field was cut short.
    if (bytes[0] === 0x08 && /premature EOF/.test(String(e))) {
      throw new ModelError(`This ONNX model ends early: its ${bytes.length.toLocaleString('en')} bytes stop inside the model (a download or copy that did not finish?). Download or copy it again.`, 'not-onnx');
    }
    throw new ModelError('This file is not an ONNX model (it does not parse as an ONNX protobuf).', 'not-onnx');
  }
  if (!model.graph || model.graph.node.length === 0 || model.graph.output.length === 0) {
    throw new ModelError('This file is not an ONNX model (it has no graph, nodes or outputs).', 'not-onnx');
  }
  // Weights in files beside the model (large exports): one file is what a page can pick and a
  // profile's fingerprint can name, so ask for the model as one file instead of failing inside onnxruntime.
  // Every tensor counts, in subgraphs (If, Loop, Scan) too: onnxruntime reads a relative location from
  // the working directory, so a model could otherwise read any file there into its outputs.
  const external = tensorsOf(model.graph).filter((t) => t.dataLocation === TensorProto_DataLocation.EXTERNAL || t.externalData.length);
  const files = [...new Set(external.map((t) => t.externalData.find((e) => e.key === 'location')?.value ?? '(no location)'))];
  if (files.length) {
    throw new ModelError(
      `This model keeps its weights in ${files.length === 1 ? 'another file' : 'other files'} (${files.join(', ')}); histoscan reads a model as one file. Save it as one: python3 -c "import onnx; onnx.save(onnx.load('model.onnx'), 'model-one-file.onnx')" (onnx.load reads the weights' files from beside the model).`,
      'external-data',
    );
  }
  return model;
}

/** Every tensor a graph holds: initializers (sparse ones too) and node attributes, in its subgraphs as well. */
function tensorsOf(g: GraphProto): TensorProto[] {
  const sparse = (s: SparseTensorProto) => [s.values, s.indices].filter((t): t is TensorProto => !!t);
  return [
    ...g.initializer,
    ...g.sparseInitializer.flatMap(sparse),
    ...g.node.flatMap((n) =>
      n.attribute.flatMap((a) => [
        ...(a.t ? [a.t] : []),
        ...a.tensors,
        ...(a.sparseTensor ? sparse(a.sparseTensor) : []),
        ...a.sparseTensors.flatMap(sparse),
        ...(a.g ? tensorsOf(a.g) : []),
        ...a.graphs.flatMap(tensorsOf),
      ]),
    ),
  ];
}
