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
The modified Xception-65 backbone of DeepLabV3+, with the published layer names.

Same graph as ``Deeplab_xcep_pascal`` in PixelLib 0.7.1 and the Xception branch of
keras-deeplab-v3-plus: entry flow, 16 middle-flow units, exit flow; output stride 8 (PixelLib's
choice: entry block 3 not strided, dilated middle/exit flow) or 16 (upstream default).
Batch-norm epsilon is 1e-3 here (Keras' default, as in the files' training code).
"""

from keras import layers

from person_segmentation.models.keras_deeplab.layers import explicit_pad, relu, sep_conv_bn

#: output stride -> (entry block 3 stride, middle rate, exit rates, ASPP atrous rates)
OUTPUT_STRIDES = {
    8: (1, 2, (2, 4), (12, 24, 36)),
    16: (2, 1, (1, 2), (6, 12, 18)),
}


def _xception_block(x, cb, depths, prefix, skip_type, stride, rate=1,
                    depth_activation=False, return_skip=False):
    residual = x
    skip = None
    for i in range(3):
        residual = sep_conv_bn(residual, cb, depths[i], f'{prefix}_separable_conv{i + 1}',
                               stride=stride if i == 2 else 1, rate=rate,
                               depth_activation=depth_activation)
        if i == 1:
            skip = residual
    if skip_type == 'conv':
        shortcut = x
        padding = 'same'
        if stride != 1:
            shortcut = explicit_pad(shortcut, 1, 1, cb.dtype)
            padding = 'valid'
        shortcut = cb(shortcut, layers.Conv2D, prefix + '_shortcut_BN', 1e-3,
                      filters=depths[-1], kernel_size=(1, 1), strides=(stride, stride),
                      padding=padding, use_bias=False, name=prefix + '_shortcut')
        out = layers.Add(dtype=cb.dtype)([residual, shortcut])
    elif skip_type == 'sum':
        out = layers.Add(dtype=cb.dtype)([residual, x])
    else:
        out = residual
    return (out, skip) if return_skip else out


def xception_backbone(img, cb, output_stride):
    """Return (features, decoder skip at stride 4, ASPP atrous rates)."""
    if output_stride not in OUTPUT_STRIDES:
        raise ValueError(f'Xception output_stride must be 8 or 16, not {output_stride!r}')
    block3_stride, middle_rate, exit_rates, atrous = OUTPUT_STRIDES[output_stride]
    x = cb(img, layers.Conv2D, 'entry_flow_conv1_1_BN', 1e-3, filters=32,
           kernel_size=(3, 3), strides=(2, 2), padding='same', use_bias=False,
           name='entry_flow_conv1_1')
    x = relu(x, cb.dtype)
    x = cb(x, layers.Conv2D, 'entry_flow_conv1_2_BN', 1e-3, filters=64, kernel_size=(3, 3),
           padding='same', use_bias=False, name='entry_flow_conv1_2')
    x = relu(x, cb.dtype)
    x = _xception_block(x, cb, [128, 128, 128], 'entry_flow_block1', 'conv', 2)
    x, skip = _xception_block(x, cb, [256, 256, 256], 'entry_flow_block2', 'conv', 2,
                              return_skip=True)
    x = _xception_block(x, cb, [728, 728, 728], 'entry_flow_block3', 'conv', block3_stride)
    for i in range(16):
        x = _xception_block(x, cb, [728, 728, 728], f'middle_flow_unit_{i + 1}', 'sum', 1,
                            rate=middle_rate)
    x = _xception_block(x, cb, [728, 1024, 1024], 'exit_flow_block1', 'conv', 1,
                        rate=exit_rates[0])
    x = _xception_block(x, cb, [1536, 1536, 2048], 'exit_flow_block2', 'none', 1,
                        rate=exit_rates[1], depth_activation=True)
    return x, skip, atrous
