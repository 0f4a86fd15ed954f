# Copyright 2026 person_segmentation maintainers
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""
The .tflite graph reader and its surgery on the real models: trimmed logits, rectangular inputs.

``tflite_graph`` rewrites two (trim) or six (reshape) numbers in the flatbuffer, in memory. These
tests pin down that the named fields are the ones rewritten (the schema reads the new values
back), that the rewritten graphs load and give the logits grid, and that a file that is no
.tflite model is refused by name.
"""

from person_segmentation.models import tflite_graph
from person_segmentation.models.backends.tflite_backend import load_interpreter
from person_segmentation.models.registry import get_spec
import pytest

MODELS = ['deeplabv3_mnv2_257', 'deeplabv3_mnv2_513', 'deeplabv3_mnv2_dm05_513']


def _content(models_dir, model):
    return (models_dir / get_spec(model).filename).read_bytes()


@pytest.mark.parametrize('model', MODELS)
def test_trimmed_graph_outputs_the_logits_grid(models_dir, model):
    content = _content(models_dir, model)
    trimmed, logits = tflite_graph.trim_logits_tail(content)
    interpreter = load_interpreter(content=trimmed)
    interpreter.allocate_tensors()
    assert list(interpreter.get_output_details()[0]['shape']) == [1, 33, 33, 21]
    assert len(trimmed) == len(content)  # patched in place, nothing else changed
    # the named fields are the ones rewritten: the schema reads the new values back
    before = tflite_graph.read_model(content).Subgraphs(0)
    after = tflite_graph.read_model(trimmed).Subgraphs(0)
    assert after.OutputsAsNumpy().tolist() == [logits] != before.OutputsAsNumpy().tolist()
    assert 0 < after.OperatorsLength() < before.OperatorsLength()
    changed = sum(a != b for a, b in zip(content, trimmed))
    assert 0 < changed <= 8  # two int32 numbers


@pytest.mark.parametrize('model', MODELS)
def test_reshaped_graph_takes_a_rectangular_input(models_dir, model):
    spec = get_spec(model)
    content = _content(models_dir, model)
    stride = 8 if spec.input_size == 257 else 16
    height, width = spec.input_size, spec.input_size + 25 * stride
    patched, found_stride = tflite_graph.reshape_input(content, height, width)
    assert found_stride == stride
    assert tflite_graph.reshape_input(content, height, width + 1) is None  # not k * stride + 1
    grid = ((height - 1) // stride + 1, (width - 1) // stride + 1)
    model_table = tflite_graph.read_model(patched)
    graph = model_table.Subgraphs(0)
    ops = tflite_graph.schema().BuiltinOperator
    codes = tflite_graph.operator_codes(model_table)
    pool = next(graph.Operators(i) for i in range(graph.OperatorsLength())
                if codes[graph.Operators(i).OpcodeIndex()] == ops.AVERAGE_POOL_2D)
    table = pool.BuiltinOptions()
    options = tflite_graph.schema().Pool2DOptions()
    options.Init(table.Bytes, table.Pos)
    assert (options.FilterHeight(), options.FilterWidth()) == grid
    trimmed, _ = tflite_graph.trim_logits_tail(patched)
    interpreter = load_interpreter(content=trimmed)
    interpreter.resize_tensor_input(interpreter.get_input_details()[0]['index'],
                                    [1, height, width, 3])
    interpreter.allocate_tensors()
    assert list(interpreter.get_output_details()[0]['shape']) == [1, *grid, 21]


@pytest.mark.parametrize('model', MODELS)
def test_input_and_output_shapes_are_read_without_an_interpreter(models_dir, model):
    spec = get_spec(model)
    inputs, outputs = tflite_graph.io_shapes(_content(models_dir, model))
    size = spec.input_size
    assert inputs == [[1, size, size, 3]]
    assert outputs == ([[1, size, size, 21]] if spec.output == 'logits'
                       else [[1, size, size]])


@pytest.mark.parametrize('content', [b'', b'\x00' * 1000, b'PK\x03\x04 a zip file, say'])
def test_a_file_that_is_no_tflite_model_is_refused_by_name(content):
    with pytest.raises(ValueError, match='broken.bin is not a TFLite flatbuffer'):
        tflite_graph.io_shapes(content, 'broken.bin')
