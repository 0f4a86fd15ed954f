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
The MobileNetV2 (alpha 1.0) backbone of keras-deeplab-v3-plus, with its layer names.

Output stride 8: blocks 6 and 13 keep stride 1 and later blocks dilate instead (rates 2 and 4),
as in upstream's ``Deeplabv3(backbone='mobilenetv2')``. The head that follows is ASPP with the
image-pooling and 1x1 branches only, and no decoder (upstream's MobileNetV2 variant).
"""

from keras import layers

from person_segmentation.models.keras_deeplab.layers import relu6

# (filters, stride, expansion, rate, skip connection) for blocks 0..16
_BLOCKS = (
    (16, 1, 1, 1, False),
    (24, 2, 6, 1, False), (24, 1, 6, 1, True),
    (32, 2, 6, 1, False), (32, 1, 6, 1, True), (32, 1, 6, 1, True),
    (64, 1, 6, 1, False), (64, 1, 6, 2, True), (64, 1, 6, 2, True), (64, 1, 6, 2, True),
    (96, 1, 6, 2, False), (96, 1, 6, 2, True), (96, 1, 6, 2, True),
    (160, 1, 6, 2, False), (160, 1, 6, 4, True), (160, 1, 6, 4, True),
    (320, 1, 6, 4, False),
)


def _inverted_res_block(x, cb, filters, stride, expansion, rate, skip, block_id):
    inputs = x
    in_channels = x.shape[-1]
    prefix = f'expanded_conv_{block_id}_' if block_id else 'expanded_conv_'
    if block_id:
        x = cb(x, layers.Conv2D, prefix + 'expand_BN', 1e-3, filters=expansion * in_channels,
               kernel_size=1, padding='same', use_bias=False, name=prefix + 'expand')
        x = relu6(x, cb.dtype, name=prefix + 'expand_relu')
    x = cb(x, layers.DepthwiseConv2D, prefix + 'depthwise_BN', 1e-3, kernel_size=3,
           strides=stride, use_bias=False, padding='same', dilation_rate=(rate, rate),
           name=prefix + 'depthwise')
    x = relu6(x, cb.dtype, name=prefix + 'depthwise_relu')
    x = cb(x, layers.Conv2D, prefix + 'project_BN', 1e-3, filters=filters, kernel_size=1,
           padding='same', use_bias=False, name=prefix + 'project')
    if skip:
        x = layers.Add(name=prefix + 'add', dtype=cb.dtype)([inputs, x])
    return x


def mobilenetv2_backbone(img, cb, output_stride=8):
    """Return (features, None, None): no decoder skip and no atrous ASPP branches."""
    if output_stride != 8:
        raise ValueError(f'MobileNetV2 DeepLab has output_stride 8 only, not {output_stride!r}')
    x = cb(img, layers.Conv2D, 'Conv_BN', 1e-3, filters=32, kernel_size=3, strides=(2, 2),
           padding='same', use_bias=False, name='Conv')
    x = relu6(x, cb.dtype, name='Conv_Relu6')
    for block_id, (filters, stride, expansion, rate, skip) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, cb, filters, stride, expansion, rate, skip, block_id)
    return x, None, None
