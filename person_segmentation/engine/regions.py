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
Split a person mask into one region per blob, with a bounding box and a confidence.

Downstream users (detections, counters, the summary of segment_video) need people as separate
objects, not just a mask: connected components of the mask, small specks dropped, each with its
bounding box, pixel area and confidence = mean person probability over its pixels.
"""

from dataclasses import dataclass, field
from typing import List, Tuple

import cv2
import numpy as np


@dataclass(frozen=True)
class PersonRegion:
    """One connected person blob in a mask."""

    bbox: Tuple[int, int, int, int]  # x, y, width, height in pixels
    area: int  # pixels in the blob
    confidence: float  # mean person probability over the blob, in [0, 1]
    #: its pixels are ``labels == label`` in the label image of ``label_regions`` (and of
    #: ``SegmentationResult.labels``): what keypoints and depth are looked up under
    label: int = field(default=0, compare=False)
    centroid: Tuple[float, float] = field(default=(0.0, 0.0), compare=False)  # mean (u, v)


def find_regions(mask: np.ndarray, probability: np.ndarray,
                 min_area: int = 0) -> List[PersonRegion]:
    """Return the connected components of ``mask`` (nonzero = person), largest first."""
    return label_regions(mask, probability, min_area)[0]


def label_regions(mask: np.ndarray, probability: np.ndarray,
                  min_area: int = 0) -> Tuple[List[PersonRegion], np.ndarray]:
    """
    Return ``find_regions``'s regions and the int32 label image they were found in.

    Region ``r`` is the pixels where ``labels == r.label``; labels of no region are specks
    below ``min_area``.
    """
    if mask.shape != probability.shape:
        raise ValueError(f'mask {mask.shape} and probability {probability.shape} differ in size')
    binary = mask if mask.dtype == np.uint8 else (mask > 0).astype(np.uint8)
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(
        binary, connectivity=8, ltype=cv2.CV_32S)
    found = []
    for i in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[i])
        if area < max(1, min_area):
            continue
        # mean probability over the blob's own pixels, looked at inside its bounding box only
        inside = labels[y:y + h, x:x + w] == i
        total = float(probability[y:y + h, x:x + w][inside].sum(dtype=np.float64))
        confidence = min(1.0, max(0.0, total / area))
        found.append(PersonRegion(bbox=(x, y, w, h), area=area, confidence=confidence, label=i,
                                  centroid=(float(centroids[i][0]), float(centroids[i][1]))))
    found.sort(key=lambda region: region.area, reverse=True)
    return found, labels
