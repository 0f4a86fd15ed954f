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
Body parts of a result: which of BodyPix's 24 parts each person pixel is, and 6 coarser groups.

``SegmentationResult.parts`` is a uint8 label image: 0 = not a person (outside the result's
mask), 1..24 = ``PART_NAMES[label - 1]`` ('left' is the person's own left). The labels come
from the first view's BodyPix pass (``models.bodypix.frame_part_labels``: inside the mask's box,
at half resolution). The 24 parts are lossless but jittery: the same frame at two input sizes
gives the same part on 81 % of the mask's pixels, because front/back and left/right flip; the
6 groups (``GROUP_NAMES``: head, torso, arms, hands, legs, feet) agree on 94 %, which is what a
consumer that needs robustness (hands near a machine) should use: ``groups(parts)``.
"""

import numpy as np

from person_segmentation.models.spec import BODY_PART_GROUP, BODY_PART_GROUPS, BODY_PARTS

#: label l (1..24) is PART_NAMES[l - 1]
PART_NAMES = BODY_PARTS
#: group g (1..6) is GROUP_NAMES[g - 1]
GROUP_NAMES = BODY_PART_GROUPS
#: the group of each label: GROUP_OF_LABEL[label] (0 for 0, not a person)
GROUP_OF_LABEL = np.array([0] + [GROUP_NAMES.index(group) + 1 for group in BODY_PART_GROUP],
                          np.uint8)


def groups(parts: np.ndarray) -> np.ndarray:
    """Return the group label image (0 none, 1..6 = ``GROUP_NAMES``) of a part label image."""
    return GROUP_OF_LABEL[parts]
