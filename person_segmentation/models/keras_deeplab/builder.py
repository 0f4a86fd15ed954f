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
Assemble a DeepLab network for one backbone, output stride, input size and dtype policy.

Architectures are named as the model registry names them ('xception', 'mobilenetv2'). The
returned model takes float input already scaled to [-1, 1] (NHWC, RGB) and returns float32
logits at the input size; ``folds`` tells the weight loader which batch norms were folded away.
"""

import keras

from person_segmentation.models.keras_deeplab.layers import aspp_and_logits, ConvBN
from person_segmentation.models.keras_deeplab.mobilenetv2 import mobilenetv2_backbone
from person_segmentation.models.keras_deeplab.xception import xception_backbone

ARCHITECTURES = {
    'xception': xception_backbone,
    'mobilenetv2': mobilenetv2_backbone,
}
#: name of the last layer in the published files (PixelLib writes 'custom_logits_semantic'
#: for models built without pretrained weights; the loader accepts both)
LOGITS_LAYER = 'logits_semantic'


def build_deeplab(architecture, input_size=(512, 512), output_stride=8, classes=21,
                  folded=False, dtype=None, widths=None):
    """
    Return ``(model, folds)``.

    ``folded=False``: the published layout, batch norm as separate layers.
    ``folded=True``: batch norm folded into the preceding convolution (inference graph);
    ``folds`` maps each such convolution to ``(batch-norm layer name, epsilon)``.
    ``dtype``: a Keras dtype policy name such as 'mixed_float16', or None for float32.
    ``widths``: output channels per convolution name (MobileNetV2 only; None: width 1.0).
    """
    try:
        backbone = ARCHITECTURES[architecture]
    except KeyError:
        raise ValueError(f'unknown DeepLab architecture {architecture!r}; known: '
                         f'{", ".join(ARCHITECTURES)}') from None
    height, width = (input_size, input_size) if isinstance(input_size, int) else input_size
    cb = ConvBN(folded=folded, dtype=dtype)
    img = keras.Input(shape=(height, width, 3), name='input_image')
    if widths is not None and architecture != 'mobilenetv2':
        raise ValueError(f'widths apply to the MobileNetV2 backbone only, not {architecture!r}')
    x, skip, atrous = (backbone(img, cb, output_stride, widths) if widths is not None
                       else backbone(img, cb, output_stride))
    logits = aspp_and_logits(x, cb, classes, atrous, skip, (height, width), LOGITS_LAYER)
    name = f'deeplabv3plus_{architecture}_os{output_stride}'
    return keras.Model(img, logits, name=name), cb.folds
