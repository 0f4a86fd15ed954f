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

"""Probability into the mono8 mask, and the overlay that tints only person pixels."""

import numpy as np
from person_segmentation.engine.rendering import mask_from_probability, render_overlay
import pytest


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
