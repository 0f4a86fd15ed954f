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
Model-free checks of the robustness parts: presets, presence, view fusion, refinement, exposure.

Synthetic arrays with a known right answer, so a failure names the part that broke; the same
behaviour on real footage is in test_engine_presets.py.
"""

from dataclasses import dataclass

import numpy as np
from person_segmentation.engine import presets
from person_segmentation.engine.exposure import lift_dark, mean_luma
from person_segmentation.engine.input_strategy import InputPlan
from person_segmentation.engine.presence import PresenceRule
from person_segmentation.engine.refinement import merge_windows, plan_windows, Refinement
from person_segmentation.engine.view_fusion import fuse_views
from person_segmentation.models import devices
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


def _blob(shape, top, left, height, width, value):
    prob = np.zeros(shape, np.float32)
    prob[top:top + height, left:left + width] = value
    return prob


def test_view_fusion_averages_large_people_and_keeps_small_ones():
    shape = (480, 640)
    # a large person both views see (the zoomed one a little fatter), a far one only zoom sees
    whole = _blob(shape, 100, 100, 300, 100, 0.9)
    zoomed = _blob(shape, 95, 95, 310, 110, 0.7) + _blob(shape, 50, 500, 30, 10, 0.8)
    fused = fuse_views([whole.copy(), zoomed.copy()], scale=1.0, threshold=0.5)
    assert fused[250, 150] == pytest.approx(0.8)  # mean inside the large one
    assert fused[97, 97] == pytest.approx(0.35)  # its bloated rim: mean, below threshold
    assert fused[60, 505] == pytest.approx(0.8)  # the far person survives (maximum)
    assert fuse_views([whole], 1.0, 0.5) is whole


def test_refinement_opens_windows_on_small_candidates_only():
    shape = (480, 640)
    prob = _blob(shape, 50, 60, 400, 150, 0.9) + _blob(shape, 200, 500, 20, 8, 0.3)
    windows, keep = plan_windows(prob, scale=1.0, input_size=257,
                                 refinement=Refinement(max_zoom=4.0))
    assert len(windows) == 1
    left, top, side = windows[0]
    assert left <= 500 and top <= 200 and left + side >= 508 and top + side >= 220
    assert side < 100  # zoomed in: far fewer frame pixels than the model input
    assert keep[250, 130] and not keep[210, 504]  # the large person keeps its answer


def test_refinement_merge_adds_what_the_closer_look_finds():
    shape = (100, 100)
    prob = _blob(shape, 40, 40, 10, 10, 0.3)
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


def test_dark_frames_are_lifted_and_bright_ones_left_alone():
    dark = np.full((48, 64, 3), 40, np.uint8)
    dark[10:20, 10:20] = 90
    lifted = lift_dark(dark)
    assert mean_luma(lifted) == pytest.approx(0.45, abs=0.04)
    assert lifted[15, 15, 0] > lifted[0, 0, 0]  # monotone: edges stay
    bright = np.full((48, 64, 3), 150, np.uint8)
    assert lift_dark(bright) is bright


def test_native_zoom_below_one_keeps_the_aspect_ratio():
    """Fails on the old code, which padded each side up to S and so stretched the frame."""
    plan = InputPlan(480, 640, 513, 'native', stride=16, zoom=0.75)
    height, width = plan.tile_shape
    assert height < 513 and abs(width / height - 640 / 480) < 0.05
    assert plan.scale == pytest.approx(0.75 * 513 / 480, rel=0.03)


def test_presets_are_data_and_auto_follows_the_gpu(monkeypatch):
    assert set(presets.NAMES) == {'auto', 'fast', 'accurate'}
    assert presets.choose(None, 'deeplabv3_mnv2_257') is None  # a model alone runs plainly
    assert presets.choose('fast', 'deeplabv3_mnv2_513').name == 'fast'
    # auto (the node's and the CLIs' default) with a model: the model plainly, not the model
    # inside a preset tuned to another (fast's zoom 0.75 gave the 257 model a 193 px input).
    assert presets.choose('auto', 'deeplabv3_mnv2_257') is None
    monkeypatch.setattr(devices, 'gpu_device', lambda: None)
    assert presets.choose(None, None).name == 'fast'
    monkeypatch.setattr(devices, 'gpu_device', lambda: 'gpu:0')
    assert presets.get('auto').name == 'accurate'
    with pytest.raises(ValueError, match='auto, fast, accurate'):
        presets.get('fastest')


@pytest.mark.parametrize('strategy', ['native', 'pad'])
@pytest.mark.parametrize('shape', [(480, 640), (100, 1000), (1200, 90)])
def test_plan_scale_is_how_big_a_frame_pixel_is_in_the_model_input(strategy, shape):
    """Failed on the old code for frames beyond 4:1: it divided canvas sizes by frame sizes."""
    height, width = shape
    rgb = np.zeros((height, width, 3), np.uint8)
    side = 40
    top, left = (height - side) // 2, (width - side) // 2
    rgb[top:top + side, left:left + side] = 255
    plan = InputPlan(height, width, 513, strategy, stride=16)
    tile = plan.tiles(rgb)[0, ..., 0]
    seen = np.count_nonzero((tile > 200).any(axis=1))  # rows of the square (pad is mid-grey)
    assert seen / side == pytest.approx(plan.scale, rel=0.08)
