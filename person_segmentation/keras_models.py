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
Registry entries for the Keras DeepLabV3+ models (PixelLib / keras-deeplab-v3-plus files).

Kept apart from ``model_registry`` so the core registry stays framework-free: importing this
module only adds ``ModelSpec`` entries (no TensorFlow import); the ``keras`` backend loads them.

The upstream weight files have no published size or checksum (searched: the PixelLib 1.1 and
keras-deeplab-v3-plus 1.1 release pages and code state none), so nothing is downloaded
unverified: ``url`` is None and the user puts the file into the model cache directory by hand.
"""

from person_segmentation.model_registry import ModelSpec, register

#: where the files come from (no checksum is published for any of them)
PIXELLIB_XCEPTION_URL = ('https://github.com/ayoolaolafenwa/PixelLib/releases/download/1.1/'
                         'deeplabv3_xception_tf_dim_ordering_tf_kernels.h5')
BONLIME_XCEPTION_URL = ('https://github.com/bonlime/keras-deeplab-v3-plus/releases/download/'
                        '1.1/deeplabv3_xception_tf_dim_ordering_tf_kernels.h5')
BONLIME_MOBILENETV2_URL = ('https://github.com/bonlime/keras-deeplab-v3-plus/releases/download/'
                           '1.1/deeplabv3_mobilenetv2_tf_dim_ordering_tf_kernels.h5')

XCEPTION = ModelSpec(
    name='deeplabv3plus_xception',
    filename='deeplabv3_xception_tf_dim_ordering_tf_kernels.h5',
    url=None,
    sha256=None,
    size_bytes=None,
    backend='keras',
    input_size=512,
    output='logits',
    strategy='tiles',
    description=("DeepLabV3+ Xception-65, 512x512, output stride 8 (PixelLib's model; "
                 'output_stride=16 is ~3x cheaper), Pascal VOC logits. No checksum is '
                 f'published: download {PIXELLIB_XCEPTION_URL} (or {BONLIME_XCEPTION_URL}) '
                 'by hand into the model cache directory'),
    options={'architecture': 'xception', 'output_stride': 8},
)

MOBILENETV2 = ModelSpec(
    name='deeplabv3plus_mobilenetv2',
    filename='deeplabv3_mobilenetv2_tf_dim_ordering_tf_kernels.h5',
    url=None,
    sha256=None,
    size_bytes=None,
    backend='keras',
    input_size=512,
    output='logits',
    strategy='tiles',
    description=('DeepLabV3 MobileNetV2 (keras-deeplab-v3-plus), 512x512, output stride 8, '
                 'Pascal VOC logits. No checksum is published: download '
                 f'{BONLIME_MOBILENETV2_URL} by hand into the model cache directory'),
    options={'architecture': 'mobilenetv2', 'output_stride': 8},
)

KERAS_MODELS = (XCEPTION, MOBILENETV2)

for _spec in KERAS_MODELS:
    register(_spec)
