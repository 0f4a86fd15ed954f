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
The MobileNetV2 backbone of DeepLab v3, with keras-deeplab-v3-plus' layer names.

One description serves two weight sources: the keras-deeplab-v3-plus .h5 file (width 1.0,
output stride 8) and the DeepLab v3 .tflite files (width 1.0 or 0.5, output stride 8 or 16),
whose channel counts are read from their weight shapes (``widths``), because the x0.5 models
do not round them to multiples of 8. Strides and dilations follow TensorFlow's MobileNet rule:
once the output stride is reached, a block that would stride keeps stride 1 and every later
block dilates by the stride it skipped. The head that follows is ASPP with the image-pooling and
1x1 branches only, and no decoder.
"""

from keras import layers

from person_segmentation.models.keras_deeplab.layers import relu6

# (filters, stride, expansion, skip connection) for blocks 0..16 at width 1.0
_BLOCKS = (
    (16, 1, 1, False),
    (24, 2, 6, False), (24, 1, 6, True),
    (32, 2, 6, False), (32, 1, 6, True), (32, 1, 6, True),
    (64, 2, 6, False), (64, 1, 6, True), (64, 1, 6, True), (64, 1, 6, True),
    (96, 1, 6, False), (96, 1, 6, True), (96, 1, 6, True),
    (160, 2, 6, False), (160, 1, 6, True), (160, 1, 6, True),
    (320, 1, 6, False),
)
OUTPUT_STRIDES = (8, 16)
#: stride of the first convolution, before block 0
_STEM_STRIDE = 2


def block_strides_and_rates(output_stride):
    """Return ``[(stride, dilation rate)]`` per block for ``output_stride`` (TF's rule)."""
    current, rate, plan = _STEM_STRIDE, 1, []
    for _, stride, _, _ in _BLOCKS:
        if current == output_stride and stride > 1:
            plan.append((1, rate))
            rate *= stride
        else:
            plan.append((stride, rate if stride == 1 else 1))
            current *= stride
    return plan


def _prefix(block_id):
    return f'expanded_conv_{block_id}_' if block_id else 'expanded_conv_'


def _inverted_res_block(x, cb, widths, stride, rate, skip, block_id):
    inputs = x
    prefix = _prefix(block_id)
    if block_id:
        x = cb(x, layers.Conv2D, prefix + 'expand_BN', 1e-3, filters=widths[prefix + 'expand'],
               kernel_size=1, padding='same', use_bias=False, name=prefix + 'expand')
        x = relu6(x, cb.dtype, name=prefix + 'expand_relu')
    x = cb(x, layers.DepthwiseConv2D, prefix + 'depthwise_BN', 1e-3, kernel_size=3,
           strides=stride, use_bias=False, padding='same', dilation_rate=(rate, rate),
           name=prefix + 'depthwise')
    x = relu6(x, cb.dtype, name=prefix + 'depthwise_relu')
    x = cb(x, layers.Conv2D, prefix + 'project_BN', 1e-3, filters=widths[prefix + 'project'],
           kernel_size=1, padding='same', use_bias=False, name=prefix + 'project')
    if skip:
        x = layers.Add(name=prefix + 'add', dtype=cb.dtype)([inputs, x])
    return x


def default_widths():
    """Return ``{layer name: output channels}`` of the width 1.0 network (the .h5 file)."""
    widths = {'Conv': 32}
    channels = 32
    for block_id, (filters, _, expansion, _) in enumerate(_BLOCKS):
        if block_id:
            widths[_prefix(block_id) + 'expand'] = expansion * channels
        widths[_prefix(block_id) + 'project'] = channels = filters
    return widths


def mobilenetv2_backbone(img, cb, output_stride=8, widths=None):
    """
    Return (features, None, None): no decoder skip and no atrous ASPP branches.

    ``widths`` maps convolution names to output channels; None: width 1.0.
    """
    if output_stride not in OUTPUT_STRIDES:
        raise ValueError(f'MobileNetV2 DeepLab output_stride must be 8 or 16, '
                         f'not {output_stride!r}')
    widths = widths or default_widths()
    x = cb(img, layers.Conv2D, 'Conv_BN', 1e-3, filters=widths['Conv'], kernel_size=3,
           strides=(_STEM_STRIDE, _STEM_STRIDE), padding='same', use_bias=False, name='Conv')
    x = relu6(x, cb.dtype, name='Conv_Relu6')
    plan = block_strides_and_rates(output_stride)
    for block_id, ((_, _, _, skip), (stride, rate)) in enumerate(zip(_BLOCKS, plan)):
        x = _inverted_res_block(x, cb, widths, stride, rate, skip, block_id)
    return x, None, None
