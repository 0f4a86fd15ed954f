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
Frames of any shape into model inputs and back: tiles, native, pad, zoom and the letterbox.

Model-free: synthetic frames whose right answer is known exactly (a "model" that echoes a
channel), so a regression points at the geometry rather than at the model.
"""

import numpy as np
from person_segmentation.engine.input_strategy import InputPlan, PAD_VALUE, STRATEGIES
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


def test_native_zoom_below_one_keeps_the_aspect_ratio():
    """Fails on the old code, which padded each side up to S and so stretched the frame."""
    plan = InputPlan(480, 640, 513, 'native', stride=16, zoom=0.75)
    height, width = plan.tile_shape
    assert height < 513 and abs(width / height - 640 / 480) < 0.05
    assert plan.scale == pytest.approx(0.75 * 513 / 480, rel=0.03)


def test_bad_strategy_and_empty_frame_are_refused():
    with pytest.raises(ValueError, match='stretchy'):
        InputPlan(10, 10, 257, 'stretchy')
    for dropped in ('grid', 'stretch', 'tiles+pad'):  # measured redundant or worse (issue 18)
        with pytest.raises(ValueError, match='choose one of native, tiles, pad'):
            InputPlan(10, 10, 257, dropped)
    with pytest.raises(ValueError):
        InputPlan(0, 10, 257, 'tiles')


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
