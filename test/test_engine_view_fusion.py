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

"""Views at several zooms fused by blob size: large people averaged, small ones kept."""

from person_segmentation.engine.view_fusion import fuse_views
from probability_maps import blob
import pytest


def test_view_fusion_averages_large_people_and_keeps_small_ones():
    shape = (480, 640)
    # a large person both views see (the zoomed one a little fatter), a far one only zoom sees
    whole = blob(shape, 100, 100, 300, 100, 0.9)
    zoomed = blob(shape, 95, 95, 310, 110, 0.7) + blob(shape, 50, 500, 30, 10, 0.8)
    fused = fuse_views([whole.copy(), zoomed.copy()], scale=1.0, threshold=0.5)
    assert fused[250, 150] == pytest.approx(0.8)  # mean inside the large one
    assert fused[97, 97] == pytest.approx(0.35)  # its bloated rim: mean, below threshold
    assert fused[60, 505] == pytest.approx(0.8)  # the far person survives (maximum)
    assert fuse_views([whole], 1.0, 0.5) is whole
