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
Refinement crops: look again, at the model's full resolution, where small people may be.

One whole-frame pass sees a far person with a few dozen model pixels: too few for DeepLab, which
was trained on people filling much of a photo (measured: a 513 ``native`` pass finds 3 % of the
people 18-39 px tall in a 768x576 frame). Zooming the whole frame costs the zoom squared.
Instead, every *candidate* (a blob of the whole-frame probability above a low threshold) that is
small at the model's scale gets a square window, zoomed so the candidate fills about
``target_fraction`` of the crop's height (at most ``max_zoom``), and the model runs again on those
windows at its full input size. Their probabilities replace the whole-frame ones inside the
windows, feathered at window edges that lie inside the frame, by a per-pixel maximum
(``add_only``: a closer look may add what the whole frame missed, never remove what it found;
measured better than replacing on dark footage, where crops are less sure). Pixels of large
candidates (people the whole-frame pass already sees well, with their context) keep the
whole-frame answer, so a window opened for a bag beside a walker cannot reshape the walker.
"""

from dataclasses import dataclass
from typing import List, Optional, Tuple

import cv2
import numpy as np

#: (left, top, side) of a square window in frame pixels
Window = Tuple[int, int, int]


@dataclass(frozen=True)
class Refinement:
    """Where and how far to zoom in; see the module docstring."""

    candidate_threshold: float = 0.15  # probability that makes a blob a candidate
    target_fraction: float = 0.5  # share of the crop's height a candidate is zoomed to fill
    max_zoom: float = 3.0  # over the whole-frame pass's scale
    min_gain: float = 1.2  # windows that would zoom less than this are not worth a pass
    margin: float = 0.5  # context around a candidate, as a share of its size on each side
    max_windows: int = 8  # per frame, largest candidates first (bounds the cost)
    feather: float = 0.15  # share of a window side blended towards the whole-frame answer
    add_only: bool = True  # merge by maximum (True) or let the closer look replace (False)
    #: side of the square crop input; None: the model's input size. Smaller is cheaper (a model
    #: that takes rectangular inputs runs it as is; others fall back to their input size)
    crop_size: Optional[int] = None
    #: only refine frames in which the whole-frame pass found no evidence of a person: the cost
    #: goes where the presence decision is unsure (a real-time budget), not into outlines
    only_when_absent: bool = False

    def __post_init__(self):
        """Reject settings that cannot work, with the reason."""
        if not 0.0 < self.candidate_threshold < 1.0:
            raise ValueError('refinement candidate_threshold must be in (0, 1), got '
                             f'{self.candidate_threshold}')
        if self.max_zoom < self.min_gain or self.min_gain <= 1.0:
            raise ValueError(f'refinement needs max_zoom ({self.max_zoom}) >= min_gain '
                             f'({self.min_gain}) > 1')
        if not 0.0 < self.target_fraction <= 1.0 or self.max_windows < 1 or self.margin < 0:
            raise ValueError('refinement needs target_fraction in (0, 1], max_windows >= 1 and '
                             'margin >= 0')


def plan_windows(probability: np.ndarray, scale: float, input_size: int,
                 refinement: Refinement) -> Tuple[List[Window], np.ndarray]:
    """
    Return the windows to look at again and the mask of pixels that keep the whole-frame answer.

    ``scale`` is model pixels per frame pixel of the whole-frame pass; ``input_size`` the side
    of the square model input the windows are resized to.
    """
    height, width = probability.shape
    candidates = (probability >= refinement.candidate_threshold).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(candidates, connectivity=8)
    large = np.zeros(max(count, 1), bool)
    windows: List[Window] = []
    for index in sorted(range(1, count), key=lambda i: -stats[i, cv2.CC_STAT_AREA]):
        x, y, w, h, area = (int(v) for v in stats[index])
        if area * scale * scale < 16.0:  # a fraction of one model output cell: noise
            continue
        zoom = min(refinement.max_zoom, refinement.target_fraction * input_size / (h * scale))
        side = max(input_size / (scale * zoom), max(w, h) * (1.0 + 2.0 * refinement.margin))
        if input_size / (scale * side) < refinement.min_gain or side > min(height, width):
            large[index] = True  # seen well enough by the whole-frame pass
            continue
        if len(windows) >= refinement.max_windows or any(
                left <= x and top <= y and x + w <= left + size and y + h <= top + size
                for left, top, size in windows):
            continue
        side = int(round(side))
        left = int(round(min(max(x + w / 2.0 - side / 2.0, 0.0), width - side)))
        top = int(round(min(max(y + h / 2.0 - side / 2.0, 0.0), height - side)))
        windows.append((left, top, side))
    keep = large[labels].astype(np.uint8) if count > 1 else np.zeros_like(candidates)
    if keep.any():  # and a margin of about half a model output cell around them
        ring = max(3, int(round(8.0 / scale)))
        keep = cv2.dilate(keep, cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                          (2 * ring + 1, 2 * ring + 1)))
    return windows, keep


def crop_windows(rgb: np.ndarray, windows: List[Window], input_size: int) -> np.ndarray:
    """Return uint8 RGB tiles [N, S, S, 3]: each window resized to the model input."""
    tiles = np.empty((len(windows), input_size, input_size, 3), np.uint8)
    for i, (left, top, side) in enumerate(windows):
        cv2.resize(rgb[top:top + side, left:left + side], (input_size, input_size),
                   dst=tiles[i], interpolation=cv2.INTER_LINEAR)
    return tiles


def _edge_weight(side: int, start: int, length: int, ramp: int) -> np.ndarray:
    """1 inside, ramping to 0 towards window edges that lie inside the frame."""
    pos = np.arange(side, dtype=np.float32)
    weight = np.ones(side, np.float32)
    if start > 0:
        np.minimum(weight, (pos + 1.0) / ramp, out=weight)
    if start + side < length:
        np.minimum(weight, (side - pos) / ramp, out=weight)
    return weight


def merge_windows(probability: np.ndarray, windows: List[Window], window_probability: np.ndarray,
                  keep: np.ndarray, feather: float = 0.15, add_only: bool = True) -> np.ndarray:
    """Blend window probabilities [N, S, S] into ``probability`` (in place, also returned)."""
    height, width = probability.shape
    total = np.zeros_like(probability)
    weights = np.zeros_like(probability)
    cover = np.zeros_like(probability)
    for (left, top, side), window in zip(windows, window_probability):
        ramp = max(1, int(feather * side))
        weight = (_edge_weight(side, top, height, ramp)[:, None] *
                  _edge_weight(side, left, width, ramp)[None, :])
        region = (slice(top, top + side), slice(left, left + side))
        total[region] += weight * cv2.resize(window, (side, side),
                                             interpolation=cv2.INTER_LINEAR)
        weights[region] += weight
        np.maximum(cover[region], weight, out=cover[region])
    cover[keep > 0] = 0.0
    refined = np.divide(total, weights, out=np.zeros_like(total), where=weights > 0)
    if add_only:
        np.maximum(refined, probability, out=refined)
    probability += cover * (refined - probability)
    return probability


class Refiner:
    """
    Runs refinement crops on the backend the caller owns (the one its views run on).

    Crops are squares of ``refinement.crop_size`` when the backend takes that size (a graph of
    rectangular inputs), else of the model's square input size.
    """

    def __init__(self, refinement: Refinement, backend):
        self.refinement = refinement
        self.backend = backend
        self.size = backend.input_size
        crop = refinement.crop_size
        if crop and backend.output_stride and backend.takes(crop, crop):
            self.size = crop

    def __call__(self, rgb: np.ndarray, probability: np.ndarray, scale: float) -> np.ndarray:
        """Return ``probability`` refined around small candidates (in place when any)."""
        size = self.size
        windows, keep = plan_windows(probability, scale, size, self.refinement)
        if not windows:
            return probability
        window_probability = self.backend.predict(crop_windows(rgb, windows, size))
        return merge_windows(probability, windows, window_probability, keep,
                             self.refinement.feather, self.refinement.add_only)
