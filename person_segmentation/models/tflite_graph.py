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
A .tflite graph read and rewritten without running it: schema, operators, in-place surgery.

Both the LiteRT backend (which runs a trimmed or reshaped DeepLab graph) and the Keras weight
reader (which rebuilds it) walk the same flatbuffer; this is what they share. LiteRT's generated
schema module does the parsing, so no TensorFlow and no interpreter are needed. The surgery
(``trim_logits_tail``, ``reshape_input``) rewrites a few numbers of the flatbuffer in place and
returns new model bytes; the file on disk is never touched.
"""

import os
import sys
from typing import Callable, List, Optional, Tuple

import numpy as np

from person_segmentation.models.spec import NUM_CLASSES


def _slot(field_index: int) -> int:
    """Return the vtable offset of a table's field: 4 + 2 x its index in schema.fbs."""
    return 4 + 2 * field_index


# The flatbuffer fields the surgery rewrites, by their place in LiteRT's schema.fbs.
SUBGRAPH_OUTPUTS = _slot(2)  # SubGraph.outputs: [int] tensor indices
SUBGRAPH_OPERATORS = _slot(3)  # SubGraph.operators: [Operator]
BUFFER_DATA = _slot(0)  # Buffer.data: [ubyte]
POOL_STRIDE_W = _slot(1)  # Pool2DOptions.stride_w (field 0 is padding)
POOL_STRIDE_H = _slot(2)  # Pool2DOptions.stride_h
POOL_FILTER_WIDTH = _slot(3)  # Pool2DOptions.filter_width
POOL_FILTER_HEIGHT = _slot(4)  # Pool2DOptions.filter_height


def schema():
    """Return LiteRT's generated flatbuffer schema module (ImportError with the fix if absent)."""
    try:
        from ai_edge_litert import schema_py_generated
    except ImportError as error:
        # On a ROS 2 install the usual cause is an executable that starts with the system
        # Python (a plain `colcon build`), where pip may not install (PEP 668).
        raise ImportError(
            'reading .tflite models needs LiteRT (pip package ai-edge-litert), which '
            f'{sys.executable} cannot import. On a ROS 2 install: make a venv with '
            'scripts/ros_venv and build with its Python (README, "Machine with ROS 2 '
            'installed"); elsewhere: scripts/setup_venv') from error
    return schema_py_generated


def read_model(content: bytes, name: str = 'the model'):
    """Return the flatbuffer's Model table; ValueError when ``content`` is not a .tflite file."""
    model_class = schema().Model
    if len(content) < 8 or not model_class.ModelBufferHasIdentifier(content, 0):
        raise ValueError(f'{name} is not a TFLite flatbuffer (no TFL3 identifier)')
    return model_class.GetRootAs(content, 0)


class GraphFile:
    """
    One .tflite file opened for reading: its Model, single subgraph, op kinds and tensor types.

    What the Keras weight readers (DeepLab, BodyPix) both start from. Every problem opening it
    (unreadable, not a TFLite flatbuffer, several subgraphs) is an ``error(message)``, the
    caller's exception type, naming the file; ``network`` names what the graph should be.
    """

    def __init__(self, path, error: Callable[[str], Exception] = ValueError,
                 network: str = 'the model'):
        self.path = os.fspath(path)
        self.schema = schema()
        try:
            with open(self.path, 'rb') as handle:
                content = handle.read()
        except OSError as failure:
            raise error(f'{self.path}: cannot read ({failure})') from None
        try:
            self.model = read_model(content, self.path)
        except ValueError as failure:
            raise error(str(failure)) from None
        if self.model.SubgraphsLength() != 1:
            raise error(f'{self.path}: {self.model.SubgraphsLength()} subgraphs; {network} '
                        'has one')
        self.graph = self.model.Subgraphs(0)
        names = {value: key for key, value in vars(self.schema.BuiltinOperator).items()
                 if not key.startswith('_')}
        #: the op kind name ('CONV_2D', ...) of each operator-code entry of the file
        self.op_names = [names.get(code, f'custom op {code}')
                         for code in operator_codes(self.model)]
        types = self.schema.TensorType
        self.dtypes = {types.FLOAT32: np.float32, types.UINT8: np.uint8, types.INT8: np.int8,
                       types.INT32: np.int32}

    def kind(self, op) -> str:
        """Return an operator's kind name, e.g. 'DEPTHWISE_CONV_2D'."""
        return self.op_names[op.OpcodeIndex()]


def operator_codes(model) -> List[int]:
    """Return the builtin operator code of each of the model's operator-code entries."""
    codes = []
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        # newer files keep codes above 127 in BuiltinCode, older ones in the deprecated field
        codes.append(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()))
    return codes


def resize_aligns_corners(op) -> bool:
    """Tell whether a RESIZE_BILINEAR operator resizes with align_corners (as DeepLab does)."""
    table = op.BuiltinOptions()
    options = schema().ResizeBilinearOptions()
    options.Init(table.Bytes, table.Pos)
    return bool(options.AlignCorners()) and not options.HalfPixelCenters()


def io_shapes(content: bytes, name: str = 'the model'):
    """Return ``(input shapes, output shapes)`` of the first subgraph's tensors, in order."""
    model = read_model(content, name)
    try:
        graph = model.Subgraphs(0)

        def shapes(indices):
            return [[int(v) for v in graph.Tensors(int(i)).ShapeAsNumpy()] for i in indices]

        return shapes(graph.InputsAsNumpy()), shapes(graph.OutputsAsNumpy())
    except Exception as error:  # noqa: B902 - a damaged flatbuffer fails anywhere in the walk
        raise ValueError(f'{name} is not a readable TFLite model ({error!r})') from None


def output_names(content: bytes, name: str = 'the model') -> List[str]:
    """Return the first subgraph's output tensor names, in order."""
    model = read_model(content, name)
    try:
        graph = model.Subgraphs(0)
        return [graph.Tensors(int(i)).Name().decode() for i in graph.OutputsAsNumpy()]
    except Exception as error:  # noqa: B902 - a damaged flatbuffer fails anywhere in the walk
        raise ValueError(f'{name} is not a readable TFLite model ({error!r})') from None


def _vector_position(table, field: int) -> Optional[int]:
    """Return the byte position of the first element of a table's vector ``field``."""
    offset = table.Offset(field)
    if not offset:
        return None
    return table.Vector(offset)


def _scalar_position(table, field: int) -> Optional[int]:
    """Return the byte position of a table's scalar ``field`` (None: stored as its default)."""
    offset = table.Offset(field)
    return table.Pos + offset if offset else None


def _put_int32(content: bytearray, position: int, value: int) -> None:
    content[position:position + 4] = int(value).to_bytes(4, 'little', signed=True)


def trim_logits_tail(content: bytes) -> Optional[Tuple[bytes, int]]:
    """
    Cut the trailing bilinear upsampling (and ARG_MAX) off a DeepLab TFLite graph.

    Return ``(model bytes whose single output is the low-resolution logits, tensor index)``, or
    None when the graph does not end in align-corners RESIZE_BILINEAR ops on 21-channel logits
    (optionally followed by ARG_MAX). Only two numbers in the flatbuffer change: the length of
    the operator list and the subgraph's output tensor index.
    """
    fbs = schema()
    ops = fbs.BuiltinOperator
    model = fbs.Model.GetRootAs(content, 0)
    if model.SubgraphsLength() != 1:
        return None
    graph = model.Subgraphs(0)
    if graph.OutputsLength() != 1:
        return None
    codes = operator_codes(model)
    count = graph.OperatorsLength()
    first_cut = count
    wanted = int(graph.OutputsAsNumpy()[0])
    for index in range(count - 1, -1, -1):
        op = graph.Operators(index)
        outputs = op.OutputsAsNumpy()
        if len(outputs) != 1 or int(outputs[0]) != wanted:
            break
        kind = codes[op.OpcodeIndex()]
        source = int(op.InputsAsNumpy()[0])
        shape = graph.Tensors(source).ShapeAsNumpy()
        if len(shape) != 4 or shape[-1] != NUM_CLASSES:
            break
        if kind == ops.ARG_MAX and index == count - 1:
            pass
        elif kind == ops.RESIZE_BILINEAR:
            if not resize_aligns_corners(op):
                break
        else:
            break
        first_cut, wanted = index, source
    if first_cut == count or first_cut == 0:
        return None
    patched = bytearray(content)
    ops_pos = _vector_position(graph._tab, SUBGRAPH_OPERATORS)
    out_pos = _vector_position(graph._tab, SUBGRAPH_OUTPUTS)
    if ops_pos is None or out_pos is None:
        return None
    # a vector's length is the uint32 just before its first element
    patched[ops_pos - 4:ops_pos] = int(first_cut).to_bytes(4, 'little')
    _put_int32(patched, out_pos, wanted)
    return bytes(patched), wanted


def reshape_input(content: bytes, height: int, width: int) -> Optional[Tuple[bytes, int]]:
    """
    Adapt a DeepLab graph to a rectangular ``height`` x ``width`` input.

    DeepLab is fully convolutional except for its image-pooling branch, whose AVERAGE_POOL_2D
    window and the RESIZE_BILINEAR back to the feature grid are baked in for the square input.
    This patches those few numbers in place (pool window and stride, resize target) for the new
    feature grid. Return ``(model bytes, output stride)``, or None when the graph does not have
    that structure or the size does not fit the output stride (``(side - 1) % stride == 0``).
    The interpreter's input tensor still has to be resized to the new shape.
    """
    fbs = schema()
    model = fbs.Model.GetRootAs(content, 0)
    graph = model.Subgraphs(0)
    inputs = graph.InputsAsNumpy()
    if len(inputs) != 1:
        return None
    shape = graph.Tensors(int(inputs[0])).ShapeAsNumpy()
    if len(shape) != 4 or shape[1] != shape[2]:
        return None
    size = int(shape[1])
    codes = operator_codes(model)
    pools, resizes = [], []
    for index in range(graph.OperatorsLength()):
        op = graph.Operators(index)
        kind = codes[op.OpcodeIndex()]
        if kind == fbs.BuiltinOperator.AVERAGE_POOL_2D:
            pools.append(op)
        elif kind == fbs.BuiltinOperator.RESIZE_BILINEAR:
            resizes.append(op)
    if len(pools) != 1:
        return None
    pool = pools[0]
    grid_shape = graph.Tensors(int(pool.InputsAsNumpy()[0])).ShapeAsNumpy()
    grid = int(grid_shape[1])
    if grid_shape[2] != grid or grid < 2 or (size - 1) % (grid - 1):
        return None
    stride = (size - 1) // (grid - 1)
    if (height - 1) % stride or (width - 1) % stride:
        return None
    grid_h, grid_w = (height - 1) // stride + 1, (width - 1) // stride + 1
    patched = bytearray(content)

    table = pool.BuiltinOptions()
    options = fbs.Pool2DOptions()
    options.Init(table.Bytes, table.Pos)
    if (options.FilterHeight(), options.FilterWidth()) != (grid, grid):
        return None
    # the pooling window covers the whole feature grid (a stride of the grid's size: one step)
    for field, value, new in ((POOL_FILTER_WIDTH, options.FilterWidth(), grid_w),
                              (POOL_FILTER_HEIGHT, options.FilterHeight(), grid_h),
                              (POOL_STRIDE_W, options.StrideW(), grid_w),
                              (POOL_STRIDE_H, options.StrideH(), grid_h)):
        position = _scalar_position(options._tab, field)
        if position is None:
            if field in (POOL_FILTER_WIDTH, POOL_FILTER_HEIGHT):
                return None
            continue
        if value == grid:
            _put_int32(patched, position, new)
    patched_buffers = set()
    for op in resizes:
        size_tensor = graph.Tensors(int(op.InputsAsNumpy()[1]))
        buffer = model.Buffers(size_tensor.Buffer())
        if buffer.DataLength() != 8:
            continue
        values = np.frombuffer(buffer.DataAsNumpy().tobytes(), np.int32)
        if values.tolist() == [grid, grid] and size_tensor.Buffer() not in patched_buffers:
            position = _vector_position(buffer._tab, BUFFER_DATA)
            _put_int32(patched, position, grid_h)
            _put_int32(patched, position + 4, grid_w)
            patched_buffers.add(size_tensor.Buffer())
    if not patched_buffers:
        return None
    return bytes(patched), stride
