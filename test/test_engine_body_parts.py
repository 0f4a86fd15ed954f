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

"""Body parts: the 24 labels, their 6 groups, and decoding under the mask only."""

import numpy as np
from person_segmentation.engine.body_parts import (
    GROUP_NAMES, GROUP_OF_LABEL, groups, PART_NAMES)
from person_segmentation.models import bodypix


def test_the_24_parts_fall_into_6_groups():
    assert len(PART_NAMES) == 24 and GROUP_NAMES == ('head', 'torso', 'arms', 'hands', 'legs',
                                                     'feet')
    sizes = {name: int(np.count_nonzero(GROUP_OF_LABEL == i + 1))
             for i, name in enumerate(GROUP_NAMES)}
    assert sizes == {'head': 2, 'torso': 2, 'arms': 8, 'hands': 2, 'legs': 8, 'feet': 2}

    def named(label):  # as the label table in docs/node.md lists them
        return f'{PART_NAMES[label - 1]} ({GROUP_NAMES[GROUP_OF_LABEL[label] - 1]})'
    assert (named(1), named(24)) == ('left_face (head)', 'right_feet (feet)')
    assert (named(11), named(13)) == ('left_hand (hands)', 'torso_front (torso)')
    parts = np.array([[0, 1, 13, 11], [15, 24, 7, 0]], np.uint8)
    assert groups(parts).tolist() == [[0, 1, 2, 4], [5, 6, 3, 0]]


def test_parts_are_decoded_only_under_the_mask():
    # a 64x96 input's 5x7 grid; part 3 everywhere, part 12 (right hand) on the right columns
    logits = np.zeros((5, 7, 24), np.float32)
    logits[..., 2] = 1.0
    logits[:, 5:, 11] = 3.0
    mask = np.zeros((32, 48), bool)  # the frame, half the input's size
    mask[4:28, 10:44] = True
    labels = bodypix.frame_part_labels(logits, (64, 96), mask)
    assert labels.dtype == np.uint8 and not labels[~mask].any()
    # part 12's logit, 3 from grid column 5, passes part 3's 1.0 after grid column 4 1/3:
    # input x 69.3, frame x 34.7; the 2x2 block from column 34 is sampled at its centre (35)
    assert (labels[4:28, 10:34] == 3).all() and (labels[4:28, 34:44] == 12).all()
    assert not bodypix.frame_part_labels(logits, (64, 96), np.zeros((32, 48), bool)).any()
