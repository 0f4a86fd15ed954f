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
What the package needs to know about one model: ``ModelSpec``, Pascal VOC's and BodyPix's labels.

Kept apart from the list of named models (``registry``) so that backends and file handling can
describe a model found on disk without depending on that list.
"""

from dataclasses import dataclass, field
from typing import Mapping, Optional

PERSON_CLASS = 15  # Pascal VOC: background=0, ..., person=15
NUM_CLASSES = 21

#: ``ModelSpec.output`` of a BodyPix 2.0 graph: a person logit and 24 body-part logits per
#: cell of a stride-16 grid (``models.bodypix``)
BODYPIX_OUTPUT = 'bodypix'
#: BodyPix's output tensors the engine reads: person logits, body-part logits, pose keypoints
BODYPIX_SEGMENTS, BODYPIX_PART_HEATMAPS = 'float_segments', 'float_part_heatmaps'
BODYPIX_KEYPOINT_HEATMAPS = 'float_heatmaps'
#: BodyPix 2.0's 24 body parts in the order of its part heatmaps' channels (part id = index +
#: 1 in ``Backend.predict(..., parts=True)``). From tfjs-models body-pix 2.0
#: (src/part_channels.ts) and google-coral/project-bodypix (pose_engine.py, BODYPIX_PARTS),
#: which agree; 'left' is the person's own left (on someone facing the camera, the image's
#: right), as rendered on DAVIS frames (test/test_models_bodypix.py).
BODY_PARTS = (
    'left_face', 'right_face',
    'left_upper_arm_front', 'left_upper_arm_back',
    'right_upper_arm_front', 'right_upper_arm_back',
    'left_lower_arm_front', 'left_lower_arm_back',
    'right_lower_arm_front', 'right_lower_arm_back',
    'left_hand', 'right_hand',
    'torso_front', 'torso_back',
    'left_upper_leg_front', 'left_upper_leg_back',
    'right_upper_leg_front', 'right_upper_leg_back',
    'left_lower_leg_front', 'left_lower_leg_back',
    'right_lower_leg_front', 'right_lower_leg_back',
    'left_feet', 'right_feet',
)
#: A coarser grouping of the 24 parts, steadier than the parts themselves: the same frame at two
#: input sizes gives the same part on 81 % of the person's pixels, the same group on 94 %
#: (front/back and left/right are what changes). Group id = index + 1.
BODY_PART_GROUPS = ('head', 'torso', 'arms', 'hands', 'legs', 'feet')
#: the group (by name) of each part, in the order of ``BODY_PARTS``
BODY_PART_GROUP = tuple(
    'head' if name.endswith('_face') else 'torso' if name.startswith('torso') else
    'hands' if name.endswith('_hand') else 'feet' if name.endswith('_feet') else
    'arms' if '_arm_' in name else 'legs' for name in BODY_PARTS)
#: BodyPix's 17 pose keypoints (PoseNet's), in the order of its keypoint heatmaps' channels
POSE_KEYPOINTS = (
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder',
    'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
    'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle',
)


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
    #: 'logits' (softmax gives a probability), 'argmax' (class ids only) or BODYPIX_OUTPUT
    output: str
    strategy: str  # default input strategy, see person_segmentation.engine.input_strategy
    description: str = ''
    licence: str = ''  # of the weights file, as its publisher states it
    options: Mapping[str, object] = field(default_factory=dict)  # backend-specific
