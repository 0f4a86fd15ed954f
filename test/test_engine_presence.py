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
The presence rule: a person is in view by model pixels and confidence, not by share of frame.

With BodyPix a weak region counts when a body's keypoints lie under it. The same rule on real
footage is in test_engine_presets.py; the node's hysteresis on top of it in the node's tests.
"""

from dataclasses import dataclass

import numpy as np
from person_segmentation.engine.presence import keypoints_under, PresenceRule
import pytest


@dataclass
class Region:
    """Stands in for engine.regions.PersonRegion (area in frame pixels, mean probability)."""

    area: int
    confidence: float


def test_presence_counts_model_pixels_not_the_share_of_the_frame():
    rule = PresenceRule(min_area=128.0, min_confidence=0.6)
    # A 20x40 px pedestrian in 1920x1080 (0.04 % of the frame) is 180 model pixels at 513...
    assert rule.is_evidence([Region(800, 0.8)], scale=513 / 1080)
    # ... and so is the same scene at 640x360, where the pedestrian has 89 frame pixels.
    assert rule.is_evidence([Region(89, 0.8)], scale=513 / 360)
    assert not rule.is_evidence([Region(400, 0.8)], scale=0.5)  # 100 model pixels
    assert not rule.is_evidence([Region(10 ** 6, 0.59)], scale=1.0)  # large but unsure
    assert not rule.is_evidence([], scale=1.0)


def test_a_weak_region_counts_only_with_a_bodys_keypoints_under_it():
    rule = PresenceRule()  # fast's: 64 model px; mean 0.70, or 0.60 with 6 of 17 keypoints
    assert (rule.min_area, rule.min_confidence, rule.keypoint_confidence,
            rule.min_keypoints) == (64.0, 0.70, 0.60, 6)
    small, clutter, faint = Region(120, 0.66), Region(120, 0.68), Region(120, 0.55)
    counts = {0: 2, 1: 17}  # keypoints under each region of the last call, by index
    asked = []

    def keypoints(index):
        asked.append(index)
        return counts[index]
    assert rule.is_evidence([small], 1.0, lambda i: 11)  # a small person: 11 keypoints
    assert not rule.is_evidence([clutter], 1.0, lambda i: 2)  # a tripod: 2
    assert not rule.is_evidence([faint], 1.0, lambda i: 17)  # below the keypoint band
    assert not rule.is_evidence([small], 1.0)  # no keypoints (DeepLab): mean only
    assert not rule.is_evidence([Region(60, 0.66)], 1.0, lambda i: 17)  # too few model px
    assert not rule.is_evidence([clutter, faint], 1.0, keypoints) and asked == [0]
    assert rule.is_evidence([Region(120, 0.71)], 1.0, lambda i: 0)  # sure enough alone
    assert not PresenceRule(min_keypoints=0).is_evidence([small], 1.0, lambda i: 17)


def test_moving_the_confidence_moves_the_keypoint_band_with_it():
    accurate = PresenceRule(min_confidence=0.75, keypoint_confidence=0.65)
    moved = accurate.with_confidence(0.9)
    assert (moved.min_confidence, moved.keypoint_confidence) == (0.9, pytest.approx(0.8))
    assert accurate.with_confidence(0.05).keypoint_confidence == 0.0
    for bad in ({'keypoint_confidence': 0.8}, {'min_keypoints': 18}, {'keypoint_score': 1.0},
                {'min_confidence': 0.0}):
        with pytest.raises(ValueError):
            PresenceRule(**bad)


def test_keypoints_are_counted_in_the_cells_under_a_region_and_one_cell_around():
    scores = np.zeros((5, 6, 17), np.float32)
    scores[1, 1, 0] = 0.9  # nose on the cell under the region
    scores[2, 3, 1:3] = 0.6  # two on the next cell: inside the one-cell margin
    scores[4, 5, 3:9] = 0.99  # six far away
    scores[1, 2, 9] = 0.49  # below the score
    region = np.ones((4, 4), bool)  # frame pixels all on cell (1, 2)... (rows, cols below)
    rows, cols = np.array([1, 1, 1, 1]), np.array([1, 1, 2, 2])
    assert keypoints_under(region, rows, cols, scores, 0.5) == 3
    assert keypoints_under(region, rows, cols, scores, 0.5, margin=0) == 1
    assert keypoints_under(np.zeros((4, 4), bool), rows, cols, scores, 0.5) == 0
