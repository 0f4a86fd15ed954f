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
Temporal smoothing of the probability: the gated EMA and when it forgets the past.

Synthetic maps whose smoothed values are known exactly.
"""

import numpy as np
from person_segmentation.engine.smoothing import TemporalSmoother
import pytest


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
