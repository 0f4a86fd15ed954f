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

"""Per-person regions of a mask: one per blob, with bounding box, area and mean probability."""

import numpy as np
from person_segmentation.engine.regions import find_regions
from person_segmentation.engine.rendering import mask_from_probability
import pytest


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
