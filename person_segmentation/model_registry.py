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
lives here or in the backend that ``spec.backend`` names.
"""

from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple

PERSON_CLASS = 15  # Pascal VOC: background=0, ..., person=15
NUM_CLASSES = 21


@dataclass(frozen=True)
class ModelSpec:
    """Everything needed to fetch, verify, load and feed one model."""

    name: str
    filename: str  # file name in the model cache directory
    url: Optional[str]  # pinned upstream URL; None: the user must provide the file
    sha256: Optional[str]  # pinned checksum of that file; None: not published upstream
    size_bytes: Optional[int]
    backend: str  # 'tflite' or 'keras'
    input_size: int  # square model input side in pixels
    output: str  # 'logits' (softmax gives a probability) or 'argmax' (class ids only)
    strategy: str  # default input strategy, see person_segmentation.input_strategy
    description: str = ''
    options: Mapping[str, object] = field(default_factory=dict)  # backend-specific


_TFLITE_GPU_URL = ('https://storage.googleapis.com/download.tensorflow.org/models/tflite/gpu/'
                   'deeplabv3_257_mv_gpu.tflite')
_CORAL_URL = ('https://github.com/google-coral/test_data/raw/'
              '104342d2d3480b3e66203073dac24f4e2dbb4c41/')

MODELS: Tuple[ModelSpec, ...] = (
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
    ),
)

_BY_NAME = {spec.name: spec for spec in MODELS}


def register(spec: ModelSpec) -> None:
    """Add a model (used by optional backends such as the Keras DeepLabV3+ one)."""
    if spec.name in _BY_NAME:
        raise ValueError(f'model {spec.name!r} is registered twice')
    _BY_NAME[spec.name] = spec


def model_names() -> Tuple[str, ...]:
    """All registered model names, in registration order."""
    return tuple(_BY_NAME)


def get_spec(name: str) -> ModelSpec:
    """Look a model up by name; the error lists the names that exist."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f'unknown model {name!r}; known models: '
                       f'{", ".join(model_names())}') from None


# Optional backends register their models here; keras_models imports no TensorFlow.
import person_segmentation.keras_models  # noqa: E402,F401,I100,I202
