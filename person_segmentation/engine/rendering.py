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
Draw segmentation results for people to look at: a mono8 mask and a person-only overlay.

The take-home painted every Pascal VOC class at 70 % opacity, which made background objects
flash blue. Here only person pixels are tinted, with one configurable colour and opacity, and
optionally outlined, so the rest of the image is left exactly as captured.
"""

from typing import Sequence

import cv2
import numpy as np


def mask_from_probability(probability: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Return the uint8 0/255 mask of pixels whose probability is at least ``threshold``."""
    mask = np.greater_equal(probability, threshold).view(np.uint8)
    mask *= 255
    return mask


def render_overlay(rgb: np.ndarray, mask: np.ndarray, color: Sequence[int] = (0, 255, 0),
                   alpha: float = 0.5, outline: int = 0) -> np.ndarray:
    """
    Return a copy of ``rgb`` with person pixels (mask > 0) tinted ``color`` (RGB).

    ``alpha`` is the opacity of the tint in [0, 1]; ``outline`` > 0 draws the blob contours that
    many pixels thick in the same colour. Pixels outside the mask are unchanged.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f'expected an H x W x 3 uint8 image, got {rgb.shape} {rgb.dtype}')
    if mask.shape != rgb.shape[:2]:
        raise ValueError(f'mask {mask.shape} does not match the image {rgb.shape[:2]}')
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f'alpha must be in [0, 1], got {alpha}')
    color = tuple(int(c) for c in color)
    if len(color) != 3:
        raise ValueError(f'color must be three RGB values, got {color}')
    out = rgb.copy()
    binary = mask if mask.dtype == np.uint8 else (mask > 0).astype(np.uint8)
    if alpha > 0.0:
        # per-plane fills: numpy's broadcast of 3 values over the last axis is ~7x slower
        tint = cv2.merge([np.full(rgb.shape[:2], c, np.uint8) for c in color])
        blended = cv2.addWeighted(rgb, 1.0 - alpha, tint, alpha, 0.0)
        cv2.copyTo(blended, binary, out)
    if outline > 0:
        contours, _ = cv2.findContours((binary > 0).astype(np.uint8), cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(out, contours, -1, color, int(outline))
    return out
