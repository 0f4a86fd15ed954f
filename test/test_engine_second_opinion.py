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

"""The second model's opinion: averaged in only inside the box around each large blob."""

import numpy as np
from person_segmentation.engine.second_opinion import (
    average_inside, large_blob_boxes, SecondOpinion)
import pytest


def _map():
    probability = np.zeros((200, 300), np.float32)
    probability[20:120, 50:90] = 0.8  # 100 px tall: 50 % of the short side
    probability[150:170, 200:210] = 0.9  # 20 px tall: 10 %, a far person
    return probability


def test_only_blobs_a_quarter_of_the_short_side_tall_get_a_box_with_margin():
    rule = SecondOpinion('deeplabv3_mnv2_513')
    assert (rule.min_height, rule.margin) == (0.25, 0.10)
    boxes = large_blob_boxes(_map(), 0.5, rule)
    # 10 % of its size + 2 px on every side (40 x 100 px blob: 6 and 12 px), clipped
    assert boxes == [(8, 132, 44, 96)]
    assert large_blob_boxes(_map(), 0.85, rule) == []  # at 0.85 only the far one is a blob
    assert large_blob_boxes(_map(), 0.5, SecondOpinion('m', min_height=0.05)) == [
        (8, 132, 44, 96), (146, 174, 197, 213)]
    with pytest.raises(ValueError):
        SecondOpinion('m', min_height=0.0)


def test_the_second_opinion_changes_nothing_outside_the_boxes():
    probability, other = _map(), np.full((200, 300), 0.2, np.float32)
    boxes = large_blob_boxes(probability, 0.5, SecondOpinion('m'))
    before = probability.copy()
    out = average_inside(probability, other, boxes)
    assert out is probability
    assert np.allclose(out[20:120, 50:90], 0.5)  # (0.8 + 0.2) / 2 on the large person
    assert np.allclose(out[8:132, 44:50], 0.1)  # the margin: (0 + 0.2) / 2
    outside = np.ones_like(before, bool)
    outside[8:132, 44:96] = False
    assert np.array_equal(out[outside], before[outside])  # the far person kept as it was
