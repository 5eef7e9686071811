"""nan-some.onnx: a model whose monitored layer is NaN for some inputs only (issue: one bad image
must not sink its batch). Input x [N,1,2,2] -> Log (NaN where x < 0) -> Flatten -> MatMul -> logits.
With spec mean 0.5 (x = pixel/255 - 0.5) a dark image gives NaN, a bright one finite values.
Needs only Debian's python3-onnx: /usr/bin/python3 tools/testmodels/nan_some.py"""
import os

import numpy as np
from onnx import TensorProto, checker, helper, numpy_helper, save

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'tests', 'fixtures', 'models', 'nan-some.onnx')
w = numpy_helper.from_array(np.array([[1, -1], [0.5, 0.5], [-1, 1], [0.25, 2]], dtype=np.float32), 'W')
graph = helper.make_graph(
    [
        helper.make_node('Log', ['x'], ['logx'], name='log'),
        helper.make_node('Flatten', ['logx'], ['flat'], name='flatten'),
        helper.make_node('MatMul', ['flat', 'W'], ['logits'], name='fc'),
    ],
    'nan_some',
    [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 1, 2, 2])],
    [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['N', 2])],
    [w],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], producer_name='histoscan-tests')
model.ir_version = 8
checker.check_model(model)
save(model, OUT)
print(OUT, os.path.getsize(OUT))
