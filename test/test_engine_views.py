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

"""Views: a long side per view, the mirror averaged in as logits (the network's own scale)."""

import numpy as np
from person_segmentation.engine.input_strategy import InputPlan
from person_segmentation.engine.views import logit, mirror_mean, View
from person_segmentation.models import bodypix
import pytest


def test_mirror_mean_averages_logits_and_flips_the_mirror_back():
    probability = np.array([[[0.9, 0.5, 0.2]]], np.float32)
    mirrored = np.array([[[0.2, 0.5, 0.5]]], np.float32)  # the flipped input's answer
    mean = mirror_mean(probability, mirrored)
    # pixel 0 pairs with the mirror's last pixel: logits 2.197 and 0 -> 1.099 -> 0.75
    assert mean[0, 0, 0] == pytest.approx(0.75, abs=1e-5)  # a plain mean would give 0.70
    assert mean[0, 0, 1] == pytest.approx(0.5, abs=1e-6)
    assert mean[0, 0, 2] == pytest.approx(0.2, abs=1e-6)  # 0.2 and 0.2
    # symmetric: a map and its own mirror give the map; saturated values stay finite
    assert np.allclose(mirror_mean(probability, probability[..., ::-1]), probability, atol=1e-6)
    edge = mirror_mean(np.array([[[0.0, 1.0]]], np.float32),
                       np.array([[[0.0, 1.0]]], np.float32))
    assert np.isfinite(edge).all() and np.allclose(edge, 0.5)
    assert np.allclose(logit(np.float32([0.5, 0.9])), [0.0, np.log(9.0)], atol=1e-5)


def test_a_view_sets_the_inputs_long_side_keeping_the_aspect():
    for (height, width), long_side, expected in [
            ((480, 640), 720, (544, 720)),  # fast on a VGA camera: 720x544
            ((480, 854), 800, (448, 800)),
            ((480, 854), 1280, (720, 1280)),
            ((576, 768), 800, (608, 800)),
            ((1080, 1920), 720, (400, 720)),  # the input follows the view, not the camera
            ((288, 384), 1280, (960, 1280))]:
        plan = InputPlan(height, width, 512, 'native', fit_side=bodypix.fit_side,
                         frame_sized=True, long_side=long_side)
        assert plan.tile_shape == expected and plan.frame_input_shape == expected
        assert plan.scale == pytest.approx(long_side / width, rel=0.03)
    with pytest.raises(ValueError, match='at least 16'):
        View(8)
    # 'tiles' takes the zoom that gives the view's size (a backend that cannot reshape)
    tiles = InputPlan(480, 640, 257, 'tiles', long_side=720)
    assert tiles.zoom == pytest.approx(540 / 257) and tiles.frame_input_shape is None
