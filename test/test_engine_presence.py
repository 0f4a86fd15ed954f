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

The same rule on real footage is in test_engine_presets.py; the node's hysteresis on top of it
in the node's tests.
"""

from dataclasses import dataclass

from person_segmentation.engine.presence import PresenceRule


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
