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

"""Weak blobs: blobs the network is unsure of as a whole leave the mask."""

import numpy as np
from person_segmentation.engine.weak_blobs import drop_weak_blobs


def test_blobs_below_the_mean_confidence_go_just_under_the_threshold():
    probability = np.zeros((60, 80), np.float32)
    probability[5:25, 5:15] = 0.9  # a person
    probability[40:50, 40:60] = 0.55  # clutter just over the threshold
    probability[40:50, 60:64] = 0.95  # the same blob's sure edge: mean 0.62 >= 0.6, kept
    probability[5:10, 60:70] = 0.58  # clutter, alone
    out = drop_weak_blobs(probability.copy(), 0.5, 0.6)
    assert np.array_equal(out[5:25, 5:15], probability[5:25, 5:15])
    assert np.array_equal(out[40:50, 40:64], probability[40:50, 40:64])
    assert (out[5:10, 60:70] < 0.5).all() and (out[5:10, 60:70] > 0.4999).all()
    assert ((out >= 0.5) == ((probability >= 0.5) & ~(probability == 0.58))).all()
