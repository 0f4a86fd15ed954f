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
Merge whole-frame passes at several zooms into one probability map, by the size of each person.

Each zoom sees a different range of sizes well: the whole frame at zoom 1 gives the network the
context for people that fill much of it, zoom 2 gives far people enough pixels. Plain averaging
dilutes a far person that only the zoomed pass sees, and a plain maximum lets the zoomed pass
bloat the outline of large people (measured: DAVIS J 0.885 mean vs 0.875 max; CamVid 0.304 mean
vs 0.340 max). So blobs are judged by their height at the first pass's scale: a blob at least
``large_height`` model pixels tall (a quarter of the 513 input) takes the mean of the passes,
smaller ones take the maximum (DAVIS 0.884, CamVid 0.340). The rule and its size were chosen
on one half of the sequences and confirmed on the other (docs/engine.md, section Presets).
"""

from typing import Sequence

import cv2
import numpy as np

LARGE_HEIGHT = 128.0  # model pixels at the first pass's scale


def fuse_views(views: Sequence[np.ndarray], scale: float, threshold: float,
               large_height: float = LARGE_HEIGHT) -> np.ndarray:
    """
    Return one float32 map from same-sized ``views`` (the first one is reused as the output).

    ``scale`` is model pixels per frame pixel of the first view; ``threshold`` the probability
    that makes a pixel part of a blob.
    """
    fused = views[0]
    if len(views) == 1:
        return fused
    mean = np.add.reduce(views, dtype=np.float32) / np.float32(len(views))
    for view in views[1:]:
        np.maximum(fused, view, out=fused)
    blobs = (fused >= threshold).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8)
    large = stats[:, cv2.CC_STAT_HEIGHT] * scale >= large_height
    large[0] = False  # background
    if large.any():
        inside = large[labels]
        fused[inside] = mean[inside]
    return fused
