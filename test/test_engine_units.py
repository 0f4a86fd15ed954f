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
Model-free checks of the engine's parts: tiling geometry, smoothing, regions and rendering.

They use synthetic arrays whose right answer is known exactly, so a regression points at the
part that broke rather than at the model.
"""

import numpy as np
from person_segmentation.engine.input_strategy import InputPlan, PAD_VALUE, STRATEGIES
from person_segmentation.engine.regions import find_regions
from person_segmentation.engine.rendering import mask_from_probability, render_overlay
from person_segmentation.engine.smoothing import TemporalSmoother
import pytest


@pytest.mark.parametrize('height,width', [(480, 854), (480, 640), (600, 512), (300, 300),
                                          (1080, 1920), (100, 400)])
def test_tiles_are_square_and_keep_the_aspect_ratio(height, width):
    plan = InputPlan(height, width, 257, 'tiles')
    rgb = np.zeros((height, width, 3), np.uint8)
    tiles = plan.tiles(rgb)
    assert tiles.shape[1:] == (257, 257, 3)
    assert tiles.shape[0] == max(1, int(np.ceil(max(height, width) / min(height, width)
                                                - 1e-9)))


@pytest.mark.parametrize('strategy', STRATEGIES)
def test_merge_returns_the_frame_size_and_preserves_constants(strategy):
    plan = InputPlan(480, 854, 129, strategy, stride=8)
    tiles = plan.tiles(np.zeros((480, 854, 3), np.uint8))
    merged = plan.merge(np.full(tiles.shape[:3], 0.25, np.float32))
    assert merged.shape == (480, 854) and merged.dtype == np.float32
    np.testing.assert_allclose(merged, 0.25, atol=1e-5)


@pytest.mark.parametrize('strategy', ['tiles', 'pad'])
def test_round_trip_puts_content_back_where_it_was(strategy):
    """A 'model' that echoes the red channel must give back the frame's red channel."""
    height, width = 480, 854
    yy, xx = np.mgrid[0:height, 0:width]
    red = ((xx > 600) & (xx < 700) & (yy > 100) & (yy < 400)).astype(np.uint8) * 255
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[..., 0] = red
    plan = InputPlan(height, width, 257, strategy)
    tiles = plan.tiles(rgb)
    assert (tiles[..., 1] == 0).all() or strategy != 'tiles'  # channel order is untouched
    echoed = plan.merge(tiles[..., 0].astype(np.float32) / 255.0)
    inside = echoed[150:350, 620:680]
    outside = echoed[:, :550]
    assert inside.mean() > 0.95 and outside.max() < 0.05


@pytest.mark.parametrize('height,width,stride,expected', [(480, 854, 8, (257, 457)),
                                                          (480, 640, 16, (513, 689)),
                                                          (600, 512, 16, (609, 513))])
def test_native_input_keeps_the_aspect_ratio_within_a_stride(height, width, stride, expected):
    size = 257 if stride == 8 else 513
    plan = InputPlan(height, width, size, 'native', stride=stride)
    assert plan.tile_shape == expected and plan.count == 1
    tile_h, tile_w = plan.tile_shape
    assert (tile_h - 1) % stride == 0 and (tile_w - 1) % stride == 0
    assert abs(tile_w / tile_h - width / height) < 0.015 * width / height
    with pytest.raises(ValueError, match='native'):
        InputPlan(height, width, size, 'native')


def test_bad_strategy_and_empty_frame_are_refused():
    with pytest.raises(ValueError, match='stretchy'):
        InputPlan(10, 10, 257, 'stretchy')
    for dropped in ('grid', 'stretch', 'tiles+pad'):  # measured redundant or worse (issue 18)
        with pytest.raises(ValueError, match='choose one of native, tiles, pad'):
            InputPlan(10, 10, 257, dropped)
    with pytest.raises(ValueError):
        InputPlan(0, 10, 257, 'tiles')


def test_gated_smoothing_follows_big_changes_and_smooths_small_ones():
    smoother = TemporalSmoother(0.5, gate=2.0)
    start = np.array([[0.0, 0.5, 0.45]], np.float32)
    smoother.update(start)
    out = smoother.update(np.array([[1.0, 0.5, 0.55]], np.float32))
    # full disagreement: the new frame wins; no change: unchanged; jitter: averaged
    np.testing.assert_allclose(out, [[1.0, 0.5, 0.45 + 0.1 * (1 - 0.5 * 0.9 ** 2)]], atol=1e-6)


def test_smoothing_is_an_ema_and_resets():
    smoother = TemporalSmoother(0.75, max_gap=1.0, gate=0.0)
    ones = np.ones((4, 6), np.float32)
    zeros = np.zeros((4, 6), np.float32)
    np.testing.assert_allclose(smoother.update(ones, 0.0), 1.0)
    np.testing.assert_allclose(smoother.update(zeros, 0.1), 0.75)
    np.testing.assert_allclose(smoother.update(zeros, 0.2), 0.5625)
    # a long gap forgets the past
    np.testing.assert_allclose(smoother.update(zeros, 5.0), 0.0)
    np.testing.assert_allclose(smoother.update(ones, 5.1), 0.25)
    # time running backwards (a looped bag) forgets the past
    np.testing.assert_allclose(smoother.update(zeros, 1.0), 0.0)
    # a new resolution forgets the past
    np.testing.assert_allclose(smoother.update(np.ones((2, 2), np.float32), 1.1), 1.0)
    smoother.reset()
    np.testing.assert_allclose(smoother.update(zeros), 0.0)
    smoother.factor = 0.0
    np.testing.assert_allclose(smoother.update(ones), 1.0)
    with pytest.raises(ValueError):
        smoother.factor = 1.0


def test_regions_split_blobs_with_bbox_area_and_mean_probability():
    probability = np.zeros((100, 200), np.float32)
    probability[10:30, 20:60] = 0.9  # 800 px
    probability[50:90, 150:170] = 0.7  # 800 px
    probability[95:97, 5:7] = 0.8  # 4 px speck
    mask = mask_from_probability(probability, 0.5)
    assert set(np.unique(mask)) == {0, 255}
    regions = find_regions(mask, probability, min_area=10)
    assert len(regions) == 2
    boxes = {r.bbox: r for r in regions}
    assert boxes[(20, 10, 40, 20)].area == 800
    assert boxes[(20, 10, 40, 20)].confidence == pytest.approx(0.9, abs=1e-6)
    assert boxes[(150, 50, 20, 40)].confidence == pytest.approx(0.7, abs=1e-6)
    assert len(find_regions(mask, probability, min_area=1)) == 3
    assert find_regions(np.zeros_like(mask), probability, 1) == []


def test_threshold_is_inclusive():
    probability = np.array([[0.49, 0.5, 0.51]], np.float32)
    assert mask_from_probability(probability, 0.5).tolist() == [[0, 255, 255]]


def test_overlay_tints_only_person_pixels():
    rgb = np.full((40, 50, 3), (10, 20, 30), np.uint8)
    mask = np.zeros((40, 50), np.uint8)
    mask[10:20, 10:30] = 255
    out = render_overlay(rgb, mask, color=(255, 0, 0), alpha=0.5)
    assert out.dtype == np.uint8 and out.shape == rgb.shape
    assert (out[mask == 0] == (10, 20, 30)).all()
    np.testing.assert_allclose(out[15, 15], (132, 10, 15), atol=1)
    full = render_overlay(rgb, mask, color=(0, 0, 255), alpha=1.0)
    assert (full[mask > 0] == (0, 0, 255)).all()
    outlined = render_overlay(rgb, mask, color=(0, 255, 0), alpha=0.0, outline=1)
    assert (outlined[10, 10:30] == (0, 255, 0)).all()
    assert (outlined[15, 15] == (10, 20, 30)).all()
    assert (rgb == (10, 20, 30)).all()  # the input is not modified
    with pytest.raises(ValueError):
        render_overlay(rgb, mask[:10], alpha=0.5)


@pytest.mark.parametrize('strategy', STRATEGIES)
@pytest.mark.parametrize('height,width', [(1, 256), (256, 1), (1, 16384), (60, 16384),
                                          (16384, 3), (99, 400), (2, 9), (9, 2)])
def test_model_input_never_exceeds_what_a_4_to_1_frame_needs(strategy, height, width):
    # Before, the short side was scaled to the model size whatever the aspect: a 1 x 256 frame
    # became 257 tiles (or one 257 x 65793 input), a 1 x 16384 frame gigabytes.
    budget = InputPlan(*((100, 400) if width >= height else (400, 100)), 257, strategy,
                       stride=8)
    plan = InputPlan(height, width, 257, strategy, stride=8)
    assert plan.count * np.prod(plan.tile_shape) <= budget.count * np.prod(budget.tile_shape)
    tiles = plan.tiles(np.full((height, width, 3), 200, np.uint8))
    assert tiles.shape == (plan.count,) + plan.tile_shape + (3,)
    merged = plan.merge(np.full(tiles.shape[:3], 0.25, np.float32))
    assert merged.shape == (height, width)
    np.testing.assert_allclose(merged, 0.25, atol=1e-5)


@pytest.mark.parametrize('strategy', ['tiles', 'native', 'pad'])
def test_letterboxed_frames_put_content_back_where_it_was(strategy):
    """A frame beyond 4:1 is shrunk onto a mid-grey canvas; the merge must undo exactly that."""
    height, width = 60, 1200
    red = np.zeros((height, width), np.uint8)
    red[10:50, 300:500] = 255
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[..., 0] = red
    plan = InputPlan(height, width, 257, strategy, stride=8)
    tiles = plan.tiles(rgb)
    assert (tiles[..., 1] == PAD_VALUE).any()  # the canvas is padded with mid-grey
    echo = np.where(tiles[..., 1] == PAD_VALUE, 0.0, tiles[..., 0] / 255.0).astype(np.float32)
    back = plan.merge(echo) > 0.5
    assert np.mean(back == (red > 0)) > 0.97
