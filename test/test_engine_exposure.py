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

"""The dark-frame lift: dark frames brightened mildly and monotonically, others left untouched."""

import numpy as np
from person_segmentation.engine.exposure import lift_dark, mean_luma, MIN_GAMMA, TARGET_LUMA
import pytest


def test_dark_frames_are_lifted_and_bright_ones_left_alone():
    dusk = np.full((48, 64, 3), 55, np.uint8)  # mean luma 0.22: lifted to the target, 0.30
    dusk[10:20, 10:20] = 90
    lifted = lift_dark(dusk)
    assert mean_luma(lifted) == pytest.approx(TARGET_LUMA, abs=0.02)
    assert lifted[15, 15, 0] > lifted[0, 0, 0]  # monotone: edges stay
    # nearly black (luma 0.08): the strongest gamma, 0.7, lifts it only part of the way
    # (the strong lift of the DeepLab presets, luma 0.45 and gamma 0.3, cost dark stages J)
    night = np.full((48, 64, 3), 20, np.uint8)
    assert MIN_GAMMA == 0.7 and lift_dark(night)[0, 0, 0] == round(255 * (20 / 255) ** 0.7)
    for untouched in (np.full((48, 64, 3), 90, np.uint8), np.full((48, 64, 3), 150, np.uint8)):
        assert lift_dark(untouched) is untouched  # luma >= 0.30 (0.35 was lifted before)
