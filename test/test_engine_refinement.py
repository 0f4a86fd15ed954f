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
Refinement crops: windows open on small candidates only, and their answers merge by maximum.

Synthetic probability maps with a known right answer; on real footage: test_engine_presets.py.
"""

import numpy as np
from person_segmentation.engine.refinement import merge_windows, plan_windows, Refinement
from probability_maps import blob
import pytest


def test_refinement_opens_windows_on_small_candidates_only():
    shape = (480, 640)
    prob = blob(shape, 50, 60, 400, 150, 0.9) + blob(shape, 200, 500, 20, 8, 0.3)
    windows, keep = plan_windows(prob, scale=1.0, input_size=257,
                                 refinement=Refinement(max_zoom=4.0))
    assert len(windows) == 1
    left, top, side = windows[0]
    assert left <= 500 and top <= 200 and left + side >= 508 and top + side >= 220
    assert side < 100  # zoomed in: far fewer frame pixels than the model input
    assert keep[250, 130] and not keep[210, 504]  # the large person keeps its answer


def test_refinement_merge_adds_what_the_closer_look_finds():
    shape = (100, 100)
    prob = blob(shape, 40, 40, 10, 10, 0.3)
    window = np.full((1, 50, 50), 0.9, np.float32)
    window[0, :, :5] = 0.0
    keep = np.zeros(shape, np.uint8)
    merged = merge_windows(prob.copy(), [(25, 25, 50)], window, keep, add_only=True)
    assert merged[45, 45] == pytest.approx(0.9)
    assert merged[5, 5] == 0.0  # outside the window: untouched
    replaced = merge_windows(prob.copy(), [(25, 25, 50)], np.zeros((1, 50, 50), np.float32),
                             keep, add_only=False)
    assert replaced[45, 45] == pytest.approx(0.0)
    kept = merge_windows(prob.copy(), [(25, 25, 50)], window, np.ones(shape, np.uint8))
    assert kept[45, 45] == pytest.approx(0.3)
