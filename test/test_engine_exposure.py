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

"""The dark-frame lift: dark frames brightened monotonically, well-exposed ones left untouched."""

import numpy as np
from person_segmentation.engine.exposure import lift_dark, mean_luma
import pytest


def test_dark_frames_are_lifted_and_bright_ones_left_alone():
    dark = np.full((48, 64, 3), 40, np.uint8)
    dark[10:20, 10:20] = 90
    lifted = lift_dark(dark)
    assert mean_luma(lifted) == pytest.approx(0.45, abs=0.04)
    assert lifted[15, 15, 0] > lifted[0, 0, 0]  # monotone: edges stay
    bright = np.full((48, 64, 3), 150, np.uint8)
    assert lift_dark(bright) is bright
