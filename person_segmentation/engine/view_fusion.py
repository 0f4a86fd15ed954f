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
Merge whole-frame passes at several input sizes into one probability map, by each blob's size.

Each input size sees a different range of people well: the smaller gives the network the
context for people that fill much of the frame, the larger gives far people enough pixels.
Plain averaging dilutes a far person that only the larger pass sees, and a plain maximum lets
the larger pass bloat the outline of large people. So blobs are judged by their height at the
first pass's scale: a blob at least ``large_height`` model pixels tall takes the mean of the
passes, smaller ones take the maximum. Chosen with DeepLab at zoom 1 and 2 (DAVIS J 0.884 vs
0.885 mean and 0.875 max; CamVid 0.340 vs 0.304 and 0.340) and kept for BodyPix at long sides
800 and 1280 in ``accurate`` (vtest_far people 25-50 px tall found 0.79 vs 0.32 with the mean;
DAVIS J 0.872 vs 0.871, CamVid 0.404 vs 0.402); each choice made on one half of the sequences
and confirmed on the other (docs/engine.md, section Presets).
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
