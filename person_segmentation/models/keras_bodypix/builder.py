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
Build BodyPix as a Keras 3 functional model from the weights of its .tflite file.

The graph is replayed op by op as ``read_tflite_bodypix`` found it: normalisation (the input's
quantisation), the input PAD, every convolution with TFLite's SAME padding made explicit where
Keras' 'same' could pad otherwise (strided convolutions: TFLite puts an odd zero after; Keras
promises nothing there on every backend), each output clamped to the range the graph clamps it
to (ReLU6 in the backbone, each head's int8 range), the heads joined as the graph joins them.
Only Keras layers and ``keras.ops``: tested on TensorFlow and JAX.

``quantise`` (default) also rounds every convolution's output to its int8 step, as the graph
stores it: LiteRT's integer kernels then differ from Keras only where a value lies on a rounding
boundary, and the person logits stay within 2 % of their range of LiteRT's instead of 8 % in
plain float (all 250 DAVIS frames at 480x640; test/test_models_keras_bodypix.py). The rounding is a
multiply, round and multiply per convolution (about 10 % of the CPU time at 640x480,
bench/bench_keras_bodypix.py); ``quantise=False`` gives the plain float network.
"""

import math
from typing import Sequence

import keras
from keras import layers, ops

from person_segmentation.models.keras_bodypix.weights_tflite import (
    BodyPixWeights, Convolution, same_padding)
from person_segmentation.models.keras_deeplab.layers import ResizeAlignCorners

#: the graph's outputs the engine needs: person logits [N, h, w], 24 part logits [N, h, w, 24]
DEFAULT_OUTPUTS = ('segments', 'part_heatmaps')
#: extra output: sigmoid of the person logits upsampled to the input, [N, H, W] (on the device)
PERSON_PROBABILITY = 'person_probability'


@keras.saving.register_keras_serializable(package='person_segmentation')
class Clip(layers.Layer):
    """Clamp to [low, high]: what a quantised graph does to a tensor outside its int8 range."""

    def __init__(self, low, high, **kwargs):
        super().__init__(**kwargs)
        self.low, self.high = float(low), float(high)

    def call(self, x):
        return ops.clip(x, self.low, self.high)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), 'low': self.low, 'high': self.high}


@keras.saving.register_keras_serializable(package='person_segmentation')
class RoundToStep(layers.Layer):
    """Round to multiples of ``step``: the int8 grid a quantised graph stores a tensor on."""

    def __init__(self, step, **kwargs):
        super().__init__(**kwargs)
        self.step = float(step)

    def call(self, x):
        return ops.round(x * (1.0 / self.step)) * self.step

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), 'step': self.step}


def _clamp(x, conv: Convolution, dtype):
    low, high = conv.clip
    if low == 0:  # ReLU / ReLU6: Keras' own layer (fuses with the convolution where it can)
        return layers.ReLU(max_value=None if math.isinf(high) else high, dtype=dtype,
                           name=conv.name + '_relu')(x)
    if math.isinf(low) and math.isinf(high):
        return x
    return Clip(low, high, dtype=dtype, name=conv.name + '_clip')(x)


def _convolution(x, conv: Convolution, dtype, quantise=False):
    """Apply one convolution of the file with its weights, padding and clamp."""
    kernel_hw = conv.kernel.shape[:2]
    padding = 'valid'
    if conv.same_padding:
        pads = [same_padding(x.shape[1 + axis], kernel_hw[axis], conv.strides[axis],
                             conv.dilations[axis]) for axis in (0, 1)]
        if conv.strides == (1, 1) and all(before == after for before, after in pads):
            padding = 'same'  # symmetric: every backend's 'same' pads the same
        elif any(any(pad) for pad in pads):
            x = layers.ZeroPadding2D(tuple(pads), dtype=dtype, name=conv.name + '_pad')(x)
    common = {'kernel_size': kernel_hw, 'strides': conv.strides, 'padding': padding,
              'dilation_rate': conv.dilations, 'name': conv.name, 'dtype': dtype}
    if conv.depthwise:
        layer = layers.DepthwiseConv2D(depth_multiplier=conv.kernel.shape[3], **common)
    else:
        layer = layers.Conv2D(conv.kernel.shape[3], **common)
    x = layer(x)
    layer.set_weights([conv.kernel, conv.bias])
    x = _clamp(x, conv, dtype)
    if quantise and conv.step:
        x = RoundToStep(conv.step, dtype=dtype, name=conv.name + '_round')(x)
    return x


def check_input_size(weights: BodyPixWeights, height: int, width: int) -> None:
    """Raise ValueError unless ``height`` x ``width`` is a positive multiple of the stride."""
    stride = weights.output_stride
    if height < stride or width < stride or height % stride or width % stride:
        raise ValueError(f'BodyPix input must be a multiple of its output stride {stride} on '
                         f'both sides (the output grid then lies on every {stride}th pixel), '
                         f'not {height}x{width}')


def _person_probability(segments, height, width):
    """Upsample [N, h, w] person logits to the [N, H, W] input, then take their sigmoid."""
    grid_h, grid_w = segments.shape[1:3]
    x = layers.Reshape((grid_h, grid_w, 1), dtype='float32')(segments)
    # align corners from h = H/16 + 1 cells to H + 1 pixels puts pixel y at y/16; the last
    # row and column (pixel H, W) lie outside the input
    x = ResizeAlignCorners((height + 1, width + 1), dtype='float32')(x)
    x = layers.Cropping2D(((0, 1), (0, 1)), dtype='float32')(x)
    x = layers.Activation('sigmoid', dtype='float32')(x)
    return layers.Reshape((height, width), dtype='float32', name=PERSON_PROBABILITY)(x)


def build_bodypix(weights: BodyPixWeights, height: int, width: int,
                  outputs: Sequence[str] = DEFAULT_OUTPUTS, dtype=None, quantise=True):
    """
    Return a Keras model of ``weights`` for RGB input [N, ``height``, ``width``, 3].

    Input: uint8 or float pixel values 0..255, RGB (normalised inside, as the graph does).
    Output: a dict by name, float32. The graph's heads are logits on the grid
    ``weights.output_hw(height, width)`` = (H/16 + 1, W/16 + 1), whose cell (i, j) lies on
    pixel (16 i, 16 j): 'segments' [N, h, w] person logits, 'part_heatmaps' [N, h, w, 24]
    body-part logits, and any other head of the file named in ``outputs`` ('heatmaps',
    'short_offsets', 'mid_offsets', 'long_offsets'). 'person_probability' [N, H, W] is the
    person logit upsampled to the input with that geometry, then its sigmoid. ``dtype``: a
    Keras dtype policy name such as 'mixed_float16', or None for float32. ``quantise``: round
    every convolution's output to its int8 step (module docstring).
    """
    check_input_size(weights, height, width)
    unknown = [name for name in outputs if name not in weights.heads and
               name != PERSON_PROBABILITY]
    if unknown or not outputs:
        raise ValueError(f'unknown BodyPix output(s) {list(unknown)}; the file has '
                         f'{", ".join(weights.heads)}, and {PERSON_PROBABILITY} is made of '
                         'segments')
    image = keras.Input(shape=(height, width, 3), name='image')
    x = layers.Rescaling(weights.input_scale, offset=-weights.input_zero * weights.input_scale,
                         dtype=dtype, name='normalise')(image)
    if any(any(pad) for pad in weights.input_padding):
        x = layers.ZeroPadding2D(weights.input_padding, dtype=dtype, name='pad_input')(x)
    for conv in weights.backbone:
        x = _convolution(x, conv, dtype, quantise)
    heads = {}
    for name in dict.fromkeys('segments' if name == PERSON_PROBABILITY else name
                              for name in outputs):
        parts = [_convolution(x, conv, dtype, quantise)
                 for conv in weights.heads[name].convolutions]
        if len(parts) > 1:
            parts = [layers.Concatenate(dtype=dtype, name=name + '_concat')(parts)]
        # heads leave the network in float32 whatever the compute dtype
        shape = parts[0].shape[1:3] if name == 'segments' else parts[0].shape[1:]
        heads[name] = layers.Reshape(tuple(shape), dtype='float32', name=name)(parts[0])
    if PERSON_PROBABILITY in outputs:
        heads[PERSON_PROBABILITY] = _person_probability(heads['segments'], height, width)
    return keras.Model(image, {name: heads[name] for name in outputs},
                       name=f'bodypix_{height}x{width}')
