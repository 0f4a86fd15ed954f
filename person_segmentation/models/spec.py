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
What the package needs to know about one model: ``ModelSpec``, and the Pascal VOC class layout.

Kept apart from the list of named models (``registry``) so that backends and file handling can
describe a model found on disk without depending on that list.
"""

from dataclasses import dataclass, field
from typing import Mapping, Optional

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
    strategy: str  # default input strategy, see person_segmentation.engine.input_strategy
    description: str = ''
    options: Mapping[str, object] = field(default_factory=dict)  # backend-specific
