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
Read the weights of a DeepLab v3 MobileNetV2 .tflite file for the Keras graph, strictly.

The shipped .tflite models (float 257, uint8 513 and its half-width twin) are DeepLab v3 with a
MobileNetV2 backbone: batch norm folded into the convolution biases, SAME padding, dilation on
the convolutions, image pooling + ``aspp0`` head and align-corners resizes, which is exactly the
``mobilenetv2`` graph of this package. Their 55 convolutions map one-to-one onto its layer
names (``MobilenetV2/expanded_conv_3/expand/...`` -> ``expanded_conv_3_expand``: the first part
of the ``;``-joined weight tensor name without its last component). What differs per file is
read from it: the channel counts (from the weight shapes: the x0.5 models do not round them to
multiples of 8), the output stride (2 to the number of stride-2 convolutions), the input
normalisation (uint8 input: its quantisation; float input: DeepLab's (x - 127.5) / 127.5) and,
for quantised files, the per-tensor scale and zero point of every weight (int32 biases carry
input scale x weight scale). Every stride, dilation, padding and fused activation in the file is
checked against the Keras graph, so a file of another network is an error naming the layer,
never a silently wrong model. The flatbuffer is parsed with LiteRT's generated schema module
(``ai_edge_litert``, already needed by the LiteRT backend); no TensorFlow is needed.
"""

from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np

from person_segmentation.models import tflite_graph
from person_segmentation.models.keras_deeplab.weights_h5 import WeightFileError

#: float-input DeepLab models take (pixel - 127.5) / 127.5, like the LiteRT backend feeds them
FLOAT_INPUT_ZERO, FLOAT_INPUT_SCALE = 127.5, 1.0 / 127.5
#: op kinds a DeepLab v3 MobileNetV2 graph may hold besides its convolutions
_OTHER_OPS = {'ADD', 'AVERAGE_POOL_2D', 'MEAN', 'RESIZE_BILINEAR', 'CONCATENATION', 'QUANTIZE',
              'DEQUANTIZE', 'ARG_MAX'}
_ACTIVATIONS = {0: None, 1: 'relu', 3: 'relu6'}


@dataclass(frozen=True)
class Convolution:
    """One convolution of the file: Keras-layout weights and what the op does."""

    kernel: np.ndarray  # Conv2D [kh, kw, in, out]; DepthwiseConv2D [kh, kw, in, multiplier]
    bias: np.ndarray
    depthwise: bool
    stride: int
    dilation: int
    activation: str  # None, 'relu' or 'relu6'


@dataclass(frozen=True)
class TFLiteDeepLab:
    """What the Keras graph needs from one DeepLab .tflite file."""

    path: str
    convolutions: Dict[str, Convolution]  # by Keras layer name, in graph order
    input_size: int
    input_zero: float  # network input = (pixel - input_zero) * input_scale
    input_scale: float
    output_stride: int
    quantised: bool

    @property
    def widths(self) -> Dict[str, int]:
        """Return the output channels per convolution (the builder's ``widths``)."""
        return {name: conv.kernel.shape[-1] for name, conv in self.convolutions.items()
                if not conv.depthwise}

    @property
    def classes(self) -> int:
        """Return the number of classes of the logits layer."""
        return self.convolutions['logits_semantic'].kernel.shape[-1]


def layer_name(tensor_name: str) -> str:
    """Map a .tflite weight tensor name to the Keras layer name (see the module docstring)."""
    parts = tensor_name.split(';')[0].split('/')
    if parts[0] == 'MobilenetV2':
        parts = parts[1:]
    return '_'.join(parts[:-1])


def expected_activation(name: str):
    """Return the activation the Keras graph applies after convolution ``name``."""
    if name.endswith('_project') or name == 'logits_semantic':
        return None
    if name in ('aspp0', 'image_pooling', 'concat_projection'):
        return 'relu'
    return 'relu6'


class _Reader(tflite_graph.GraphFile):
    """Walks one .tflite flatbuffer; every problem is a WeightFileError naming the file."""

    def __init__(self, path):
        super().__init__(path, WeightFileError, 'a DeepLab graph')

    def quantisation(self, tensor) -> Tuple[float, int]:
        """Return (scale, zero point) of a per-tensor quantised tensor, or (None, 0)."""
        q = tensor.Quantization()
        if q is None or q.ScaleLength() == 0:
            return None, 0
        if q.ScaleLength() != 1:
            raise WeightFileError(f'{self.path}: tensor {tensor.Name().decode()!r} is quantised '
                                  'per channel; only per-tensor quantisation is supported')
        zero = int(q.ZeroPointAsNumpy()[0]) if q.ZeroPointLength() else 0
        return float(q.ScaleAsNumpy()[0]), zero

    def constant(self, index: int) -> Tuple[str, np.ndarray, bool]:
        """Return (name, float32 values, was quantised) of a constant tensor."""
        tensor = self.graph.Tensors(index)
        name = tensor.Name().decode()
        dtype = self.dtypes.get(tensor.Type())
        data = self.model.Buffers(tensor.Buffer()).DataAsNumpy()
        if dtype is None or isinstance(data, int):  # no buffer: not a constant
            raise WeightFileError(f'{self.path}: weight tensor {name!r} is not a constant of a '
                                  'supported type (float32, uint8, int8, int32)')
        shape = tuple(int(v) for v in tensor.ShapeAsNumpy())
        values = np.frombuffer(data.tobytes(), dtype).reshape(shape)
        scale, zero = self.quantisation(tensor)
        if dtype is np.float32:
            return name, values.astype(np.float32), False
        if scale is None:
            raise WeightFileError(f'{self.path}: integer weight tensor {name!r} has no '
                                  'quantisation parameters')
        return name, ((values.astype(np.float64) - zero) * scale).astype(np.float32), True

    def convolution(self, op, kind) -> Tuple[str, Convolution, bool]:
        inputs = op.InputsAsNumpy()
        if len(inputs) != 3 or inputs[2] < 0:
            raise WeightFileError(f'{self.path}: a {kind} without a bias; the DeepLab graph '
                                  'folds batch norm into every convolution bias')
        name, weights, quantised = self.constant(int(inputs[1]))
        _, bias, _ = self.constant(int(inputs[2]))
        table = op.BuiltinOptions()
        depthwise = kind == 'DEPTHWISE_CONV_2D'
        options = (self.schema.DepthwiseConv2DOptions() if depthwise
                   else self.schema.Conv2DOptions())
        options.Init(table.Bytes, table.Pos)
        layer = layer_name(name)
        if options.StrideH() != options.StrideW() or \
                options.DilationHFactor() != options.DilationWFactor():
            raise WeightFileError(f'{self.path}: layer {layer!r} has unequal strides or '
                                  'dilations; the Keras graph has square ones')
        if options.Padding() != self.schema.Padding.SAME:
            raise WeightFileError(f'{self.path}: layer {layer!r} uses VALID padding; the '
                                  'DeepLab graph pads SAME everywhere')
        if depthwise:  # [1, kh, kw, in * multiplier] -> [kh, kw, in, multiplier]
            multiplier = options.DepthMultiplier() or 1
            kernel = weights.reshape(weights.shape[1], weights.shape[2], -1, multiplier)
        else:  # [out, kh, kw, in] -> [kh, kw, in, out]
            kernel = weights.transpose(1, 2, 3, 0)
        activation = _ACTIVATIONS.get(options.FusedActivationFunction(), 'other')
        return layer, Convolution(np.ascontiguousarray(kernel), bias, depthwise,
                                  options.StrideH(), options.DilationHFactor(),
                                  activation), quantised

    def check_resize(self, op):
        if not tflite_graph.resize_aligns_corners(op):
            raise WeightFileError(f'{self.path}: a RESIZE_BILINEAR without align_corners; the '
                                  'DeepLab graph resizes with align_corners=True')

    def input_normalisation(self) -> Tuple[int, float, float]:
        inputs = self.graph.InputsAsNumpy()
        if len(inputs) != 1:
            raise WeightFileError(f'{self.path}: {len(inputs)} inputs; DeepLab has one image')
        tensor = self.graph.Tensors(int(inputs[0]))
        shape = [int(v) for v in tensor.ShapeAsNumpy()]
        if len(shape) != 4 or shape[1] != shape[2] or shape[3] != 3:
            raise WeightFileError(f'{self.path}: input shape {shape} is not [1, S, S, 3]')
        if self.dtypes.get(tensor.Type()) is np.float32:
            return shape[1], FLOAT_INPUT_ZERO, FLOAT_INPUT_SCALE
        scale, zero = self.quantisation(tensor)
        if scale is None:
            raise WeightFileError(f'{self.path}: integer input without quantisation parameters')
        return shape[1], float(zero), scale


def read_tflite_deeplab(path) -> TFLiteDeepLab:
    """Read a DeepLab v3 MobileNetV2 .tflite file; raise WeightFileError naming any misfit."""
    reader = _Reader(path)
    convolutions, quantised = {}, False
    for index in range(reader.graph.OperatorsLength()):
        op = reader.graph.Operators(index)
        kind = reader.kind(op)
        if kind in ('CONV_2D', 'DEPTHWISE_CONV_2D'):
            layer, conv, was_quantised = reader.convolution(op, kind)
            if layer in convolutions:
                raise WeightFileError(f'{reader.path}: layer {layer!r} appears twice')
            if conv.activation != expected_activation(layer):
                raise WeightFileError(
                    f'{reader.path}: layer {layer!r} applies activation {conv.activation}, '
                    f'the DeepLab graph {expected_activation(layer)}')
            convolutions[layer] = conv
            quantised = quantised or was_quantised
        elif kind == 'RESIZE_BILINEAR':
            reader.check_resize(op)
        elif kind not in _OTHER_OPS:
            raise WeightFileError(f'{reader.path}: op {kind} is not part of a DeepLab v3 '
                                  'MobileNetV2 graph')
    if 'logits_semantic' not in convolutions:
        raise WeightFileError(f'{reader.path}: no logits/semantic convolution; not a DeepLab '
                              'v3 MobileNetV2 file')
    size, zero, scale = reader.input_normalisation()
    strided = sum(1 for conv in convolutions.values() if conv.stride == 2)
    return TFLiteDeepLab(reader.path, convolutions, size, zero, scale, 2 ** strided, quantised)


def load_tflite_weights(model, deeplab: TFLiteDeepLab) -> int:
    """
    Assign ``deeplab``'s weights to a folded ``mobilenetv2`` Keras ``model``, strictly.

    Every weighted layer must be in the file with equal shapes, stride and dilation, and every
    convolution of the file must be used. Return the number of layers assigned.
    """
    path = deeplab.path
    weighted = [layer for layer in model.layers if layer.weights]
    names = {layer.name for layer in weighted}
    extra = [name for name in deeplab.convolutions if name not in names]
    if extra:
        raise WeightFileError(f'{path}: layer {extra[0]!r} of the file has no place in the '
                              f'Keras graph ({len(extra)} in all: {", ".join(extra[:5])})')
    for layer in weighted:
        conv = deeplab.convolutions.get(layer.name)
        if conv is None:
            raise WeightFileError(f'{path}: layer {layer.name!r} is missing from the file')
        stride, dilation = layer.strides[0], layer.dilation_rate[0]
        if (stride, dilation) != (conv.stride, conv.dilation):
            raise WeightFileError(
                f'{path}: layer {layer.name!r} has stride {conv.stride} and dilation '
                f'{conv.dilation} in the file, {stride} and {dilation} in the Keras graph')
        values = {'kernel': conv.kernel, 'bias': conv.bias}
        for variable in layer.weights:
            short = variable.path.split('/')[-1]
            if tuple(variable.shape) != values[short].shape:
                raise WeightFileError(
                    f'{path}: layer {layer.name!r} {short} has shape {values[short].shape} in '
                    f'the file, {tuple(variable.shape)} in the Keras graph')
        layer.set_weights([values[v.path.split('/')[-1]] for v in layer.weights])
    return len(weighted)


def build_tflite_deeplab(deeplab: TFLiteDeepLab, input_hw=None, dtype=None):
    """Return the Keras model of ``deeplab`` for ``input_hw`` (default: the file's square)."""
    from person_segmentation.models.keras_deeplab.builder import build_deeplab
    input_hw = input_hw or (deeplab.input_size, deeplab.input_size)
    model, _ = build_deeplab('mobilenetv2', tuple(input_hw), deeplab.output_stride,
                             classes=deeplab.classes, folded=True, dtype=dtype,
                             widths=deeplab.widths)
    load_tflite_weights(model, deeplab)
    return model
