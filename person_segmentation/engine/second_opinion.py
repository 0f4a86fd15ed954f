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
A second model's opinion on large people only: averaged in inside the box around each of them.

BodyPix and DeepLab err differently on people who fill much of the frame (outlines, loose
clothes, what they carry), so their mean is better there: DAVIS J 0.851 -> 0.877 on the
choosing half, lucia 0.847 -> 0.860 confirming. Everywhere else DeepLab only hurts: it misses
small people (averaged everywhere, CamVid people 25-50 px tall found 0.48 -> 0.23) and adds
foliage. So the second model is averaged in only inside the bounding box (with a margin) of
every blob at least ``min_height`` of the frame's short side tall, and it runs only on frames
that have one (docs/engine.md, Presets).
"""

from dataclasses import dataclass
from typing import List, Tuple

import cv2
import numpy as np

#: (top, bottom, left, right) of a box in frame pixels
Box = Tuple[int, int, int, int]


@dataclass(frozen=True)
class SecondOpinion:
    """Which model gives the second opinion, and on which blobs."""

    model: str  # a registry name (it runs plainly: its own input strategy, no lift)
    #: blobs at least this share of the frame's short side tall get the second opinion
    min_height: float = 0.25
    #: the box around such a blob grows by this share of its size on each side (+ 2 px)
    margin: float = 0.10

    def __post_init__(self):
        """Reject a rule that cannot work."""
        if not 0.0 < self.min_height <= 1.0 or self.margin < 0.0:
            raise ValueError(f'second opinion needs min_height in (0, 1] and margin >= 0, got '
                             f'{self.min_height}, {self.margin}')


def large_blob_boxes(probability: np.ndarray, threshold: float,
                     rule: SecondOpinion) -> List[Box]:
    """Return the boxes (with margin) of the tall enough blobs of ``probability`` >= threshold."""
    height, width = probability.shape
    blobs = (probability >= threshold).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8)
    boxes = []
    for x, y, w, h, _ in stats[1:]:
        if h < rule.min_height * min(height, width):
            continue
        grow_x, grow_y = int(rule.margin * w) + 2, int(rule.margin * h) + 2
        boxes.append((max(0, y - grow_y), min(height, y + h + grow_y),
                      max(0, x - grow_x), min(width, x + w + grow_x)))
    return boxes


def average_inside(probability: np.ndarray, other: np.ndarray, boxes: List[Box]) -> np.ndarray:
    """Return ``probability`` with the mean of it and ``other`` inside ``boxes`` (in place)."""
    inside = np.zeros(probability.shape, bool)
    for top, bottom, left, right in boxes:
        inside[top:bottom, left:right] = True
    probability[inside] = 0.5 * (probability[inside] + other[inside])
    return probability
