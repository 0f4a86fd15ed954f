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
Read Google's BodyPix 2.0 .tflite (MobileNetV1, uint8) for the Keras graph, strictly.

The file is a quantised graph of five op kinds: QUANTIZE (uint8 input -> int8, and the int8
outputs -> uint8), PAD (one row and column of zeros at the bottom and right of the normalised
image, which turns an H x W input into the H/16 + 1 x W/16 + 1 output grid whose cell (i, j)
lies on pixel (16 i, 16 j)), a chain of CONV_2D / DEPTHWISE_CONV_2D with batch norm folded
into int32 biases and ReLU6 fused (the backbone), then 1x1 CONV_2D heads on the backbone's
last tensor, two of them joined by a CONCATENATION. Everything the Keras graph needs is read
from the file: per-channel int8 weights dequantised as ``q * scale[c]``, int32 biases as ``q *
input scale * weight scale[c]`` (what the integer kernel adds; the file's own bias scale is
checked against it), strides, dilations, SAME/VALID padding, the input normalisation (the
input's quantisation: (pixel - 128) / 128) and the range every convolution's output is clamped
to (its fused activation intersected with its quantised range: [0, 6] in the backbone, the
int8 range of each head's output). Any other op kind, a branch, a requantising concatenation or
a shape that does not follow from the strides is a WeightFileError naming the op, so a file of
another network is never read as a wrong model. The flatbuffer is parsed with LiteRT's
generated schema module; no TensorFlow is needed.
"""

from dataclasses import dataclass
import math
from typing import Dict, List, Optional, Tuple

import numpy as np

from person_segmentation.models import tflite_graph
from person_segmentation.models.keras_deeplab.weights_h5 import WeightFileError

#: the op kinds a BodyPix graph is made of
OP_KINDS = ('QUANTIZE', 'PAD', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'CONCATENATION')
#: heads the engine needs (graph output name without 'float_' -> channels)
REQUIRED_HEADS = {'segments': 1, 'part_heatmaps': 24}
#: fused activation code -> the range it clamps to (schema ActivationFunctionType)
_ACTIVATION_RANGES = {0: (-math.inf, math.inf), 1: (0.0, math.inf), 2: (-1.0, 1.0),
                      3: (0.0, 6.0)}
#: relative tolerance of the file's bias scale against input scale x weight scale
_BIAS_SCALE_RTOL = 1e-3


@dataclass(frozen=True)
class Convolution:
    """One convolution of the file: Keras-layout float weights and what the op does."""

    name: str  # 'Conv2d_3_depthwise', 'float_segments', ... (from the weight tensor's name)
    kernel: np.ndarray  # Conv2D [kh, kw, in, out]; DepthwiseConv2D [kh, kw, in, multiplier]
    bias: np.ndarray
    depthwise: bool
    strides: Tuple[int, int]
    dilations: Tuple[int, int]
    same_padding: bool  # TFLite SAME (TensorFlow's rule: the odd pixel goes after), else VALID
    clip: Tuple[float, float]  # the output is clamped to this (activation and int8 range)
    step: Optional[float]  # the output's quantisation step (its scale), None when float


@dataclass(frozen=True)
class Head:
    """One graph output: 1x1 convolutions of the backbone, concatenated in this order."""

    name: str  # the output tensor's name without 'float_': 'segments', 'part_heatmaps', ...
    convolutions: Tuple[Convolution, ...]

    @property
    def channels(self) -> int:
        """Return the output's channel count."""
        return sum(conv.kernel.shape[-1] for conv in self.convolutions)


@dataclass(frozen=True)
class BodyPixWeights:
    """What the Keras graph needs from one BodyPix .tflite file (``read_tflite_bodypix``)."""

    path: str
    input_hw: Tuple[int, int]  # the file's own input size (any multiple of the stride runs)
    input_zero: float  # network input = (pixel - input_zero) * input_scale
    input_scale: float
    input_padding: Tuple[Tuple[int, int], Tuple[int, int]]  # ((top, bottom), (left, right))
    backbone: Tuple[Convolution, ...]  # a chain, in graph order
    heads: Dict[str, Head]  # by name, in the file's output order

    @property
    def output_stride(self) -> int:
        """Return the product of the backbone's strides, equal on both axes (16 here)."""
        return math.prod(conv.strides[0] for conv in self.backbone)

    def output_hw(self, height: int, width: int) -> Tuple[int, int]:
        """Return the output grid for an input of ``height`` x ``width`` (TFLite's shapes)."""
        sizes = []
        for axis, size in enumerate((height, width)):
            size += sum(self.input_padding[axis])
            for conv in self.backbone:
                size = conv_output_size(size, conv.kernel.shape[axis], conv.strides[axis],
                                        conv.dilations[axis], conv.same_padding)
            sizes.append(size)
        return tuple(sizes)


def conv_output_size(size: int, kernel: int, stride: int, dilation: int, same: bool) -> int:
    """Return a convolution's output length along one axis (TFLite's rule)."""
    effective = (kernel - 1) * dilation + 1
    return -(-size // stride) if same else (size - effective) // stride + 1


def same_padding(size: int, kernel: int, stride: int, dilation: int) -> Tuple[int, int]:
    """Return (before, after) zeros of TFLite SAME padding along one axis."""
    effective = (kernel - 1) * dilation + 1
    total = max((conv_output_size(size, kernel, stride, dilation, True) - 1) * stride
                + effective - size, 0)
    return total // 2, total - total // 2


def layer_name(tensor_name: str) -> str:
    """Map a weight tensor name to a layer name: 'MobilenetV1/Conv2d_0/...' -> 'Conv2d_0'."""
    parts = tensor_name.split(';')[0].split('/')
    if parts[0] == 'MobilenetV1' and len(parts) > 1:
        parts = parts[1:]
    return parts[0]


class _Graph(tflite_graph.GraphFile):
    """One .tflite flatbuffer with its tensors' producers and consumers; errors name the op."""

    def __init__(self, path):
        super().__init__(path, WeightFileError, 'a BodyPix graph')
        self.ops = [self.graph.Operators(i) for i in range(self.graph.OperatorsLength())]
        self.kinds = [self.kind(op) for op in self.ops]
        self.producer, self.consumers = {}, {}
        for index, op in enumerate(self.ops):
            for tensor in op.InputsAsNumpy():
                self.consumers.setdefault(int(tensor), []).append(index)
            for tensor in op.OutputsAsNumpy():
                self.producer[int(tensor)] = index
        self.used = set()

    def tensor_name(self, index: int) -> str:
        return self.graph.Tensors(index).Name().decode()

    def label(self, op_index: int) -> str:
        """Name an op for messages: 'op 3 DEPTHWISE_CONV_2D (-> MobilenetV1/...)'."""
        outputs = self.ops[op_index].OutputsAsNumpy()
        target = self.tensor_name(int(outputs[0])).split(';')[0] if len(outputs) else '?'
        return f'op {op_index} {self.kinds[op_index]} (-> {target})'

    def error(self, op_index: int, message: str) -> WeightFileError:
        return WeightFileError(f'{self.path}: {self.label(op_index)} {message}')

    def shape(self, index: int) -> List[int]:
        return [int(v) for v in self.graph.Tensors(index).ShapeAsNumpy()]

    def quantisation(self, index: int) -> Optional[Tuple[np.ndarray, np.ndarray, int]]:
        """Return (scales, zero points, axis) of a tensor, or None when it is not quantised."""
        q = self.graph.Tensors(index).Quantization()
        if q is None or q.ScaleLength() == 0:
            return None
        zeros = (q.ZeroPointAsNumpy().astype(np.int64) if q.ZeroPointLength()
                 else np.zeros(q.ScaleLength(), np.int64))
        return q.ScaleAsNumpy().astype(np.float64), zeros, q.QuantizedDimension()

    def per_tensor(self, op_index: int, index: int) -> Tuple[float, int]:
        """Return (scale, zero point) of an activation tensor quantised per tensor."""
        q = self.quantisation(index)
        if q is None or len(q[0]) != 1:
            raise self.error(op_index, f'tensor {self.tensor_name(index)!r} is not quantised '
                             'per tensor; the BodyPix graph quantises activations so')
        return float(q[0][0]), int(q[1][0])

    def dtype(self, index: int):
        return self.dtypes.get(self.graph.Tensors(index).Type())

    def value_range(self, index: int) -> Tuple[float, float]:
        """Return the real range an activation tensor can hold (its quantised range)."""
        dtype = self.dtype(index)
        if dtype is np.float32:
            return -math.inf, math.inf
        if dtype not in (np.int8, np.uint8):
            raise WeightFileError(f'{self.path}: activation {self.tensor_name(index)!r} is '
                                  'neither int8, uint8 nor float32')
        scale, zero = self.per_tensor(self.producer.get(index, 0), index)
        info = np.iinfo(dtype)
        return (info.min - zero) * scale, (info.max - zero) * scale

    def constant(self, op_index: int, index: int) -> np.ndarray:
        """Return the raw values of a constant tensor (error naming the op if it is not one)."""
        tensor = self.graph.Tensors(index)
        data = self.model.Buffers(tensor.Buffer()).DataAsNumpy()
        dtype = self.dtype(index)
        if dtype is None or isinstance(data, int):  # no buffer: not a constant
            raise self.error(op_index, f'input {tensor.Name().decode()!r} is not a constant '
                             'of a supported type (float32, uint8, int8, int32)')
        return np.frombuffer(data.tobytes(), dtype).reshape(self.shape(index))

    def sole_consumer(self, index: int) -> Optional[int]:
        """Return the op that reads tensor ``index`` when it is the only one, else None."""
        consumers = self.consumers.get(index, [])
        return consumers[0] if len(consumers) == 1 else None

    def take(self, op_index: int, kind: str) -> None:
        """Mark an op as read, checking its kind."""
        if self.kinds[op_index] != kind:
            raise self.error(op_index, f'where the BodyPix graph has a {kind}')
        self.used.add(op_index)


def _check_op_kinds(graph: _Graph) -> None:
    for index, kind in enumerate(graph.kinds):
        if kind not in OP_KINDS:
            raise graph.error(index, f'is not part of a BodyPix graph (it has only '
                              f'{", ".join(OP_KINDS)})')


def _quantize(graph: _Graph, op_index: int) -> int:
    """Read a QUANTIZE that only changes the integer type; return its output tensor."""
    graph.take(op_index, 'QUANTIZE')
    op = graph.ops[op_index]
    source, target = int(op.InputsAsNumpy()[0]), int(op.OutputsAsNumpy()[0])
    (scale_in, zero_in), (scale_out, zero_out) = (graph.per_tensor(op_index, source),
                                                  graph.per_tensor(op_index, target))
    shift = {(np.uint8, np.int8): 128, (np.int8, np.uint8): -128}.get(
        (graph.dtype(source), graph.dtype(target)), 0)
    if not np.isclose(scale_in, scale_out, rtol=1e-6) or zero_in - zero_out != shift:
        raise graph.error(op_index, 'changes the real values (it requantises); the BodyPix '
                          'graph only converts uint8 <-> int8')
    return target


def _input(graph: _Graph) -> Tuple[int, Tuple[int, int], float, float]:
    """Return (tensor after the input QUANTIZE, file input size, zero point, scale)."""
    inputs = graph.graph.InputsAsNumpy()
    if len(inputs) != 1:
        raise WeightFileError(f'{graph.path}: {len(inputs)} inputs; BodyPix has one image')
    index = int(inputs[0])
    shape = graph.shape(index)
    if len(shape) != 4 or shape[0] != 1 or shape[3] != 3:
        raise WeightFileError(f'{graph.path}: input shape {shape} is not [1, H, W, 3]')
    if graph.dtype(index) not in (np.uint8, np.int8):
        raise WeightFileError(f'{graph.path}: input {graph.tensor_name(index)!r} is not a '
                              'quantised image; the BodyPix file takes uint8 RGB')
    scale, zero = graph.per_tensor(graph.consumers.get(index, [0])[0], index)
    tensor = index
    op_index = graph.sole_consumer(tensor)
    if op_index is not None and graph.kinds[op_index] == 'QUANTIZE':
        tensor = _quantize(graph, op_index)
    return tensor, (shape[1], shape[2]), float(zero), scale


def _pad(graph: _Graph, tensor: int) -> Tuple[int, Tuple[Tuple[int, int], Tuple[int, int]]]:
    """Read the optional PAD of the input; return (its output tensor, row and column pads)."""
    op_index = graph.sole_consumer(tensor)
    if op_index is None or graph.kinds[op_index] != 'PAD':
        return tensor, ((0, 0), (0, 0))
    graph.take(op_index, 'PAD')
    op = graph.ops[op_index]
    if len(op.InputsAsNumpy()) != 2:
        raise graph.error(op_index, 'has a pad value; the BodyPix graph pads with zeros')
    pads = graph.constant(op_index, int(op.InputsAsNumpy()[1])).astype(np.int64)
    if pads.shape != (4, 2) or pads[0].any() or pads[3].any() or (pads < 0).any():
        raise graph.error(op_index, f'pads {pads.tolist()}; the BodyPix graph pads rows and '
                          'columns only')
    target = int(op.OutputsAsNumpy()[0])
    if graph.quantisation(target) is not None and \
            graph.per_tensor(op_index, target) != graph.per_tensor(op_index, tensor):
        raise graph.error(op_index, 'requantises its input')
    return target, ((int(pads[1][0]), int(pads[1][1])), (int(pads[2][0]), int(pads[2][1])))


def _weights(graph: _Graph, op_index: int, index: int,
             channel_axis: int) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Return (float32 weights, scale per output channel or None when float) of a conv."""
    raw = graph.constant(op_index, index)
    if raw.dtype == np.float32:
        return raw, None
    q = graph.quantisation(index)
    if q is None or raw.dtype not in (np.int8, np.uint8):
        raise graph.error(op_index, f'weights {graph.tensor_name(index)!r} are integers '
                          'without quantisation parameters')
    scales, zeros, axis = q
    channels = raw.shape[channel_axis]
    if len(scales) == 1:
        scales, zeros = np.repeat(scales, channels), np.repeat(zeros, channels)
    elif len(scales) != channels or axis != channel_axis:
        raise graph.error(op_index, f'weights are quantised along axis {axis} with '
                          f'{len(scales)} scales; expected the {channels} output channels')
    shape = [1] * raw.ndim
    shape[channel_axis] = channels
    values = (raw.astype(np.float64) - zeros.reshape(shape)) * scales.reshape(shape)
    return values.astype(np.float32), scales


def _bias(graph: _Graph, op_index: int, index: int, source: int,
          weight_scales: Optional[np.ndarray]) -> np.ndarray:
    """Return a conv's float32 bias: int32 ones carry input scale x weight scale."""
    raw = graph.constant(op_index, index)
    if raw.dtype == np.float32:
        return raw
    if raw.dtype != np.int32 or weight_scales is None:
        raise graph.error(op_index, f'bias {graph.tensor_name(index)!r} is {raw.dtype} with '
                          'float weights; the BodyPix graph has int32 biases on int8 weights')
    input_scale, _ = graph.per_tensor(op_index, source)
    scales = input_scale * weight_scales
    q = graph.quantisation(index)
    if q is not None and (q[1].any() or not np.allclose(np.broadcast_to(q[0], scales.shape),
                                                        scales, rtol=_BIAS_SCALE_RTOL)):
        raise graph.error(op_index, 'has a bias quantised otherwise than input scale x '
                          'weight scale (what the integer kernel adds)')
    return (raw.astype(np.float64) * scales).astype(np.float32)


def _clip(graph: _Graph, op_index: int, code: int, target: int) -> Tuple[float, float]:
    """Return the range a conv's output is clamped to: fused activation and int8 range."""
    if code not in _ACTIVATION_RANGES:
        raise graph.error(op_index, f'fuses activation {code}; the BodyPix graph has none, '
                          'RELU, RELU_N1_TO_1 or RELU6')
    low, high = _ACTIVATION_RANGES[code]
    q_low, q_high = graph.value_range(target)
    if graph.dtype(target) is not np.float32:
        # the quantised bounds of ReLU6 land on 0 and 6 up to float rounding of the scale
        step = graph.per_tensor(op_index, target)[0]
        q_low = low if abs(q_low - low) < step / 2 else q_low
        q_high = high if abs(q_high - high) < step / 2 else q_high
    return max(low, q_low), min(high, q_high)


def _convolution(graph: _Graph, op_index: int) -> Tuple[Convolution, int]:
    """Read a CONV_2D or DEPTHWISE_CONV_2D; return it and its output tensor."""
    kind = graph.kinds[op_index]
    depthwise = kind == 'DEPTHWISE_CONV_2D'
    graph.take(op_index, 'DEPTHWISE_CONV_2D' if depthwise else 'CONV_2D')
    op = graph.ops[op_index]
    inputs = [int(v) for v in op.InputsAsNumpy()]
    if len(inputs) != 3 or inputs[2] < 0:
        raise graph.error(op_index, 'has no bias; the BodyPix graph folds batch norm into '
                          'every convolution bias')
    source, target = inputs[0], int(op.OutputsAsNumpy()[0])
    weights, scales = _weights(graph, op_index, inputs[1], 3 if depthwise else 0)
    bias = _bias(graph, op_index, inputs[2], source, scales)
    table = op.BuiltinOptions()
    options = (graph.schema.DepthwiseConv2DOptions() if depthwise
               else graph.schema.Conv2DOptions())
    options.Init(table.Bytes, table.Pos)
    in_shape, out_shape = graph.shape(source), graph.shape(target)
    if depthwise:  # [1, kh, kw, in * multiplier] -> [kh, kw, in, multiplier]
        kernel = weights.reshape(weights.shape[1], weights.shape[2], in_shape[3], -1)
    else:  # [out, kh, kw, in] -> [kh, kw, in, out]
        kernel = weights.transpose(1, 2, 3, 0)
    conv = Convolution(
        layer_name(graph.tensor_name(inputs[1])), np.ascontiguousarray(kernel), bias,
        depthwise, (options.StrideH(), options.StrideW()),
        (options.DilationHFactor(), options.DilationWFactor()),
        options.Padding() == graph.schema.Padding.SAME,
        _clip(graph, op_index, options.FusedActivationFunction(), target),
        None if graph.dtype(target) is np.float32 else graph.per_tensor(op_index, target)[0])
    expected = [conv_output_size(in_shape[1 + axis], kernel.shape[axis], conv.strides[axis],
                                 conv.dilations[axis], conv.same_padding) for axis in (0, 1)]
    channels = kernel.shape[2] * kernel.shape[3] if depthwise else kernel.shape[3]
    if kernel.shape[2] != in_shape[3] or \
            out_shape[1:] != expected + [channels] or bias.shape != (channels,):
        raise graph.error(op_index, f'maps {in_shape} to {out_shape} with a {kernel.shape} '
                          f'kernel and {bias.shape} bias; its strides and padding give '
                          f'{[in_shape[0]] + expected + [channels]}')
    return conv, target


def _heads(graph: _Graph, trunk: int) -> Dict[str, Head]:
    """Read every graph output: [QUANTIZE of] a conv of ``trunk`` or a concatenation of some."""
    heads = {}
    for output in (int(v) for v in graph.graph.OutputsAsNumpy()):
        name = graph.tensor_name(output)
        short = name[len('float_'):] if name.startswith('float_') else name
        tensor, op_index = output, graph.producer.get(output)
        if op_index is not None and graph.kinds[op_index] == 'QUANTIZE':
            tensor = int(graph.ops[op_index].InputsAsNumpy()[0])
            _quantize(graph, op_index)
            op_index = graph.producer.get(tensor)
        if op_index is None:
            raise WeightFileError(f'{graph.path}: output {name!r} is not computed by an op')
        sources = [tensor]
        if graph.kinds[op_index] == 'CONCATENATION':
            graph.take(op_index, 'CONCATENATION')
            op = graph.ops[op_index]
            table = op.BuiltinOptions()
            options = graph.schema.ConcatenationOptions()
            options.Init(table.Bytes, table.Pos)
            sources = [int(v) for v in op.InputsAsNumpy()]
            if options.Axis() not in (-1, 3) or options.FusedActivationFunction() != 0:
                raise graph.error(op_index, 'joins along another axis than the channels or '
                                  'fuses an activation')
            if any(graph.per_tensor(op_index, s) != graph.per_tensor(op_index, tensor)
                   for s in sources):
                raise graph.error(op_index, 'requantises its inputs; the BodyPix graph '
                                  'joins tensors of one quantisation')
        convolutions = []
        for source in sources:
            producer = graph.producer.get(source)
            if producer is None or graph.kinds[producer] != 'CONV_2D':
                raise WeightFileError(f'{graph.path}: output {name!r} is not made by 1x1 '
                                      'convolutions of the backbone')
            conv, _ = _convolution(graph, producer)
            if int(graph.ops[producer].InputsAsNumpy()[0]) != trunk:
                raise graph.error(producer, 'does not read the last tensor of the backbone, as '
                                  'every BodyPix head does')
            convolutions.append(conv)
        heads[short] = Head(short, tuple(convolutions))
    return heads


def read_tflite_bodypix(path) -> BodyPixWeights:
    """Read a BodyPix .tflite file; raise WeightFileError naming any op that does not fit."""
    graph = _Graph(path)
    _check_op_kinds(graph)
    tensor, input_hw, zero, scale = _input(graph)
    tensor, padding = _pad(graph, tensor)
    backbone = []
    while True:
        op_index = graph.sole_consumer(tensor)
        if op_index is None or graph.kinds[op_index] not in ('CONV_2D', 'DEPTHWISE_CONV_2D'):
            break
        conv, tensor = _convolution(graph, op_index)
        backbone.append(conv)
    if not backbone:
        raise WeightFileError(f'{graph.path}: no convolution follows the input; not a '
                              'BodyPix graph')
    heads = _heads(graph, tensor)
    unread = sorted(set(range(len(graph.ops))) - graph.used)
    if unread:
        raise graph.error(unread[0], 'is not on the path from the input through the backbone '
                          'to an output, as every op of a BodyPix graph is')
    names = [conv.name for conv in backbone] + [
        conv.name for head in heads.values() for conv in head.convolutions]
    if len(set(names)) != len(names):
        twice = sorted({name for name in names if names.count(name) > 1})
        raise WeightFileError(f'{graph.path}: layer {twice[0]!r} appears twice')
    for head, channels in REQUIRED_HEADS.items():
        if head not in heads or heads[head].channels != channels:
            found = {name: h.channels for name, h in heads.items()}
            raise WeightFileError(f'{graph.path}: no output float_{head} with {channels} '
                                  f'channel(s) (outputs: {found}); not a BodyPix file')
    weights = BodyPixWeights(graph.path, input_hw, zero, scale, padding, tuple(backbone),
                             heads)
    if math.prod(conv.strides[1] for conv in backbone) != weights.output_stride:
        raise WeightFileError(f'{graph.path}: the backbone strides rows and columns by '
                              'different factors; the BodyPix grid is square')
    if weights.output_hw(*input_hw) != tuple(graph.shape(tensor)[1:3]):
        raise WeightFileError(f'{graph.path}: the backbone output {graph.shape(tensor)} does '
                              'not follow from the input size, padding and strides')
    return weights
