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
The models the package knows by name: where each file comes from and how to feed it.

One ``ModelSpec`` per model name. The engine (``Segmenter``), the CLIs and the node only ever
refer to models by these names (or by a file path); everything model-specific that they need
lives here or in the backend that ``spec.backend`` names. Only data: importing this module loads
no framework.
"""

from typing import Tuple

from person_segmentation.models.spec import BODYPIX_OUTPUT, ModelSpec

# --- TFLite models (DeepLab v3, BodyPix 2.0): downloaded on first use, checked against a
# pinned sha256 -----------------------------------------------------------------------------

_TFLITE_GPU_URL = ('https://storage.googleapis.com/download.tensorflow.org/models/tflite/gpu/'
                   'deeplabv3_257_mv_gpu.tflite')
_CORAL_URL = ('https://github.com/google-coral/test_data/raw/'
              '104342d2d3480b3e66203073dac24f4e2dbb4c41/')

_BODYPIX_COMMIT = 'a46c428d729741c82f64550d742b2c65fe92999b'

#: Google's BodyPix 2.0, trained on people: a person mask and 24 body parts, many people per
#: frame, at any input size of multiples of 16 (the frame's own: no stretching, no letterbox).
BODYPIX = ModelSpec(
    name='bodypix_mnv1_075',
    filename='bodypix_mobilenet_v1_075_720_1280_16_quant.tflite',
    url=(f'https://github.com/google-coral/project-bodypix/raw/{_BODYPIX_COMMIT}/models/'
         'bodypix_mobilenet_v1_075_720_1280_16_quant.tflite'),
    sha256='6abaed4ad9080cafd327d0f03fd23f0c46d4409b75b6e23abde9a35582067696',
    size_bytes=1500824,
    backend='tflite',
    input_size=512,  # no trained square size: the 'tiles'/'pad' side (a multiple of 16)
    output=BODYPIX_OUTPUT,
    strategy='native',
    description=('BodyPix 2.0 MobileNetV1 x0.75, output stride 16, uint8 quantised: person '
                 "probability and 24 body parts at the frame's own size (sides rounded to 16)"),
    licence='Apache-2.0 (google-coral/project-bodypix)',
)

TFLITE_MODELS: Tuple[ModelSpec, ...] = (
    ModelSpec(
        name='deeplabv3_mnv2_257',
        filename='deeplabv3_257_mv_gpu.tflite',
        url=_TFLITE_GPU_URL,
        sha256='68a539782c2c6a72f8aac3724600124a85ed977162b44e84cbae5db717c933c6',
        size_bytes=2779264,
        backend='tflite',
        input_size=257,
        output='logits',
        strategy='native',
        description='DeepLab v3 MobileNetV2, float32, 257x257, Pascal VOC logits (fastest)',
        licence='Apache-2.0 (TensorFlow Lite hosted models)',
    ),
    ModelSpec(
        name='deeplabv3_mnv2_513',
        filename='deeplabv3_mnv2_pascal_quant.tflite',
        url=_CORAL_URL + 'deeplabv3_mnv2_pascal_quant.tflite',
        sha256='350af47fd346ea6d74b58833a351f583ba860e9806ec5bd292ff8d8f1f249398',
        size_bytes=2193224,
        backend='tflite',
        input_size=513,
        output='argmax',
        strategy='native',
        description='DeepLab v3 MobileNetV2, uint8 quantised, 513x513, class ids (best quality)',
        licence='Apache-2.0 (google-coral/test_data)',
    ),
    ModelSpec(
        name='deeplabv3_mnv2_dm05_513',
        filename='deeplabv3_mnv2_dm05_pascal_quant.tflite',
        url=_CORAL_URL + 'deeplabv3_mnv2_dm05_pascal_quant.tflite',
        sha256='0470d2a782aa54eeeb99d32e7b6b3fb7722905c7c4f5d26bd957ec861366d48b',
        size_bytes=760904,
        backend='tflite',
        input_size=513,
        output='argmax',
        strategy='native',
        description='DeepLab v3 MobileNetV2 depth 0.5, uint8 quantised, 513x513, class ids',
        licence='Apache-2.0 (google-coral/test_data)',
    ),
    BODYPIX,
)


# --- Keras DeepLabV3+ models (PixelLib / keras-deeplab-v3-plus .h5 files) ---------------------
# The upstream weight files have no published size or checksum (searched: the PixelLib 1.1 and
# keras-deeplab-v3-plus 1.1 release pages and code state none), so nothing is downloaded
# unverified: ``url`` is None and the user puts the file into the model cache directory by hand.

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
    licence='MIT (PixelLib; keras-deeplab-v3-plus)',
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
    licence='MIT (keras-deeplab-v3-plus)',
)

KERAS_MODELS: Tuple[ModelSpec, ...] = (XCEPTION, MOBILENETV2)

#: every named model, in the order listings show them
MODELS: Tuple[ModelSpec, ...] = TFLITE_MODELS + KERAS_MODELS

_BY_NAME = {spec.name: spec for spec in MODELS}
assert len(_BY_NAME) == len(MODELS), 'a model name is registered twice'


def model_names() -> Tuple[str, ...]:
    """Return every named model, in listing order."""
    return tuple(_BY_NAME)


def downloadable_models() -> Tuple[str, ...]:
    """Return the models whose file downloads with a pinned checksum (none to fetch by hand)."""
    return tuple(spec.name for spec in MODELS if spec.url is not None)


def get_spec(name: str) -> ModelSpec:
    """Look a model up by name; the error lists the names that exist."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f'unknown model {name!r}; known models: '
                       f'{", ".join(model_names())}') from None
