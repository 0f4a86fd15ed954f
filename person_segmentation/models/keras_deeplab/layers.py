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
Building blocks shared by the Xception and MobileNetV2 DeepLab graphs.

Two details decide whether our logits equal PixelLib's: every internal resize is bilinear with
``align_corners=True`` (TF1 semantics, which ``keras.ops.image.resize`` does not offer), and
strided convolutions pad explicitly instead of using 'same'. ``ConvBN`` lets one graph
description serve two purposes: the reference graph (separate BatchNormalization layers, exactly
the published layout, used to check the file) and the inference graph (batch norm folded into
the convolution's kernel and bias at load time, which saves a full memory pass per layer).
"""

import keras
from keras import layers, ops
import numpy as np


def align_corners_weights(in_size, out_size):
    """Return (lower index, upper index, upper weight) for a 1-D align_corners resize."""
    if out_size == 1 or in_size == 1:
        pos = np.zeros(out_size, np.float64)
    else:
        pos = np.arange(out_size, dtype=np.float64) * ((in_size - 1) / (out_size - 1))
    lower = np.floor(pos).astype(np.int32)
    lower = np.clip(lower, 0, in_size - 1)
    upper = np.minimum(lower + 1, in_size - 1)
    return lower, upper, (pos - lower).astype(np.float32)


@keras.saving.register_keras_serializable(package='person_segmentation')
class ResizeAlignCorners(layers.Layer):
    """
    Bilinear resize of NHWC tensors to a fixed size with TF1 ``align_corners=True``.

    Implemented as two gathers and two lerps per axis with constant indices, so it runs on
    every Keras backend and traces to a handful of cheap device ops.
    """

    def __init__(self, size, **kwargs):
        super().__init__(**kwargs)
        self.size = (int(size[0]), int(size[1]))

    def _resize_axis(self, x, axis, out_size):
        in_size = x.shape[axis]
        if in_size == out_size:
            return x
        lower, upper, frac = align_corners_weights(in_size, out_size)
        if in_size == 1:
            reps = [1, 1, 1, 1]
            reps[axis] = out_size
            return ops.tile(x, reps)
        shape = [1, 1, 1, 1]
        shape[axis] = out_size
        frac = ops.cast(ops.reshape(ops.convert_to_tensor(frac), shape), x.dtype)
        a = ops.take(x, ops.convert_to_tensor(lower), axis=axis)
        b = ops.take(x, ops.convert_to_tensor(upper), axis=axis)
        return a + (b - a) * frac

    def call(self, x):
        x = ops.cast(x, self.compute_dtype)
        x = self._resize_axis(x, 2, self.size[1])
        return self._resize_axis(x, 1, self.size[0])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size[0], self.size[1], input_shape[3])

    def get_config(self):
        config = super().get_config()
        config['size'] = self.size
        return config


class ConvBN:
    """
    Emit convolution + batch norm either as separate layers or folded into one.

    ``folded=False`` builds the published layout (``<name>`` then ``<name>_BN``-style layers);
    ``folded=True`` builds only the convolution, with a bias, and records in ``self.folds``
    which batch-norm layer (and epsilon) must be folded into it when the weights are loaded.
    """

    def __init__(self, folded=False, dtype=None):
        self.folded = folded
        self.dtype = dtype
        self.folds = {}

    def __call__(self, x, conv_layer_cls, bn_name, epsilon, **conv_kwargs):
        """Apply ``conv_layer_cls(**conv_kwargs)`` then the batch norm named ``bn_name``."""
        if self.folded:
            conv_kwargs['use_bias'] = True
            self.folds[conv_kwargs['name']] = (bn_name, epsilon)
            return conv_layer_cls(dtype=self.dtype, **conv_kwargs)(x)
        x = conv_layer_cls(dtype=self.dtype, **conv_kwargs)(x)
        return layers.BatchNormalization(name=bn_name, epsilon=epsilon, dtype=self.dtype)(x)


def explicit_pad(x, kernel_size, rate, dtype=None):
    """Zero-pad like TF 'same' for stride 1, so a strided 'valid' convolution lines up."""
    effective = kernel_size + (kernel_size - 1) * (rate - 1)
    total = effective - 1
    begin = total // 2
    return layers.ZeroPadding2D(((begin, total - begin), (begin, total - begin)), dtype=dtype)(x)


def relu(x, dtype=None, name=None):
    """Apply ReLU as a layer (keeps the graph free of backend-specific lambdas)."""
    return layers.ReLU(dtype=dtype, name=name)(x)


def relu6(x, dtype=None, name=None):
    """Apply ReLU6, as MobileNetV2 does."""
    return layers.ReLU(max_value=6.0, dtype=dtype, name=name)(x)


def sep_conv_bn(x, cb, filters, prefix, stride=1, kernel_size=3, rate=1,
                depth_activation=False, epsilon=1e-3):
    """Depthwise-separable conv with batch norm after each part, DeepLab's ``SepConv_BN``."""
    if stride == 1:
        padding = 'same'
    else:
        x = explicit_pad(x, kernel_size, rate, cb.dtype)
        padding = 'valid'
    if not depth_activation:
        x = relu(x, cb.dtype)
    x = cb(x, layers.DepthwiseConv2D, prefix + '_depthwise_BN', epsilon,
           kernel_size=(kernel_size, kernel_size), strides=(stride, stride),
           dilation_rate=(rate, rate), padding=padding, use_bias=False,
           name=prefix + '_depthwise')
    if depth_activation:
        x = relu(x, cb.dtype)
    x = cb(x, layers.Conv2D, prefix + '_pointwise_BN', epsilon, filters=filters,
           kernel_size=(1, 1), padding='same', use_bias=False, name=prefix + '_pointwise')
    if depth_activation:
        x = relu(x, cb.dtype)
    return x


def aspp_and_logits(x, cb, classes, atrous_rates, skip, input_hw, last_layer_name):
    """
    ASPP head (image pooling, 1x1 and, for Xception, 3 atrous separable branches).

    With ``skip`` (Xception) the DeepLabV3+ decoder follows; the logits are then resized to
    the input size with align_corners, as PixelLib and keras-deeplab-v3-plus do.
    """
    dtype = cb.dtype
    feat_hw = (x.shape[1], x.shape[2])
    b4 = layers.GlobalAveragePooling2D(keepdims=True, dtype=dtype)(x)
    b4 = cb(b4, layers.Conv2D, 'image_pooling_BN', 1e-5, filters=256, kernel_size=(1, 1),
            padding='same', use_bias=False, name='image_pooling')
    b4 = relu(b4, dtype)
    b4 = ResizeAlignCorners(feat_hw, dtype=dtype)(b4)
    b0 = cb(x, layers.Conv2D, 'aspp0_BN', 1e-5, filters=256, kernel_size=(1, 1),
            padding='same', use_bias=False, name='aspp0')
    b0 = relu(b0, dtype, name='aspp0_activation')
    branches = [b4, b0]
    for i, rate in enumerate(atrous_rates or ()):
        branches.append(sep_conv_bn(x, cb, 256, f'aspp{i + 1}', rate=rate,
                                    depth_activation=True, epsilon=1e-5))
    x = layers.Concatenate(dtype=dtype)(branches)
    x = cb(x, layers.Conv2D, 'concat_projection_BN', 1e-5, filters=256, kernel_size=(1, 1),
           padding='same', use_bias=False, name='concat_projection')
    x = relu(x, dtype)
    if skip is not None:
        x = ResizeAlignCorners((skip.shape[1], skip.shape[2]), dtype=dtype)(x)
        dec = cb(skip, layers.Conv2D, 'feature_projection0_BN', 1e-5, filters=48,
                 kernel_size=(1, 1), padding='same', use_bias=False,
                 name='feature_projection0')
        dec = relu(dec, dtype)
        x = layers.Concatenate(dtype=dtype)([x, dec])
        x = sep_conv_bn(x, cb, 256, 'decoder_conv0', depth_activation=True, epsilon=1e-5)
        x = sep_conv_bn(x, cb, 256, 'decoder_conv1', depth_activation=True, epsilon=1e-5)
    x = layers.Conv2D(classes, (1, 1), padding='same', name=last_layer_name, dtype=dtype)(x)
    # logits leave the network in float32 whatever the compute dtype
    return ResizeAlignCorners(input_hw, dtype='float32', name='logits_resize')(x)
