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
Is a person in view? A per-frame decision that does not depend on the share of the frame.

A share-of-frame rule cannot see far people: a perfect mask of a pedestrian 30 px tall in a
768x576 frame covers 0.1 % of it. What makes a region (a blob of the mask) trustworthy is how
much the network saw of it and how sure it was. A region is *evidence* when its area **at the
model's input resolution** (frame pixels x scale^2, so the same person counts the same in a
640x480 and a 1920x1080 frame) reaches ``min_area``, and

- its mean probability reaches ``min_confidence``, or
- its mean probability reaches ``keypoint_confidence`` and at least ``min_keypoints`` of
  BodyPix's 17 pose keypoints score ``keypoint_score`` or more in the grid cells under the
  region (one cell of margin): a small person is a weak blob with a body's keypoints, textured
  clutter (a camera tripod, a tree trunk) a weak blob without them.

A frame with evidence has a person present. Measured with BodyPix (docs/engine.md, Presets):
people 100-300 px in a 480x270 frame, shown by the mask, are flagged 29 of 32 times with the
keypoints, 15 of 32 with mean probability 0.7 alone, while the tripod of vtest's quadrant q11
flags 43-74 of its 74 people-free frames at mean 0.65 without them. (Evidence over k of the last
n frames was measured and dropped: it removed no false flag and delayed every entry by a frame.)
``PresenceHysteresis`` is the debouncing that the node's ``~/person_detected`` adds on top: on
after ``on_frames`` present frames in a row, off after ``off_frames`` absent frames in a row.
"""

from dataclasses import dataclass, replace
from typing import Callable, Optional, Sequence

import cv2
import numpy as np
from person_segmentation.models.spec import POSE_KEYPOINTS

#: how many keypoints BodyPix scores
KEYPOINTS = len(POSE_KEYPOINTS)


@dataclass(frozen=True)
class PresenceRule:
    """What counts as evidence of a person in one frame (defaults: the ``fast`` preset's)."""

    min_area: float = 64.0  # model-input pixels (a quarter of one BodyPix output cell)
    min_confidence: float = 0.70  # mean person probability over the region: evidence alone
    #: mean probability from which a region with ``min_keypoints`` keypoints is evidence
    keypoint_confidence: float = 0.60
    min_keypoints: int = 6  # of the 17; 0: no keypoint rule (mean probability only)
    keypoint_score: float = 0.5  # a keypoint counts from this score (sigmoid of its logit)

    def __post_init__(self):
        """Reject a rule that cannot work, with the reason."""
        if self.min_area < 0 or not 0.0 < self.min_confidence <= 1.0:
            raise ValueError('presence min_area must be >= 0 and min_confidence in (0, 1], got '
                             f'{self.min_area}, {self.min_confidence}')
        if not 0.0 <= self.keypoint_confidence <= self.min_confidence or \
                not 0 <= self.min_keypoints <= KEYPOINTS or not 0.0 < self.keypoint_score < 1.0:
            raise ValueError('presence keypoint_confidence must be in [0, min_confidence], '
                             f'min_keypoints in [0, {KEYPOINTS}] and keypoint_score in (0, 1), '
                             f'got {self.keypoint_confidence}, {self.min_keypoints}, '
                             f'{self.keypoint_score}')

    def with_confidence(self, min_confidence: float) -> 'PresenceRule':
        """
        Return this rule with ``min_confidence`` moved, the keypoint band moved with it.

        The node's ``presence_min_confidence`` sets the mean probability that is evidence
        alone; the keypoint rule keeps its distance below it (0.10 in both presets).
        """
        gap = self.min_confidence - self.keypoint_confidence
        return replace(self, min_confidence=min_confidence,
                       keypoint_confidence=max(0.0, min_confidence - gap))

    def is_evidence(self, regions: Sequence, scale: float,
                    keypoints: Optional[Callable[[int], int]] = None) -> bool:
        """
        Tell whether any region (``area`` in frame pixels, ``confidence``) is evidence.

        ``keypoints(i)`` counts the keypoints scoring ``keypoint_score`` under ``regions[i]``
        (asked only for regions in the keypoint band); None: no keypoints (a DeepLab model),
        mean probability only.
        """
        area = self.min_area / (scale * scale)
        for index, region in enumerate(regions):
            if region.area < area:
                continue
            if region.confidence >= self.min_confidence:
                return True
            if keypoints is not None and self.min_keypoints and \
                    region.confidence >= self.keypoint_confidence and \
                    keypoints(index) >= self.min_keypoints:
                return True
        return False


def keypoints_under(region: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                    scores: np.ndarray, min_score: float, margin: int = 1) -> int:
    """
    Return how many keypoints score ``min_score`` or more in the grid cells under a region.

    ``region`` is the region's pixels (a boolean image, e.g. its bounding box), ``rows`` and
    ``cols`` the grid cell of each of its rows and columns, ``scores`` the keypoint scores on
    the grid [h, w, 17]; the cells are grown by ``margin`` cells on every side.
    """
    ys, xs = np.nonzero(region)
    cells = np.zeros(scores.shape[:2], np.uint8)
    if not len(ys):
        return 0
    cells[rows[ys], cols[xs]] = 1
    if margin:
        cells = cv2.dilate(cells, np.ones((2 * margin + 1, 2 * margin + 1), np.uint8))
    return int(np.count_nonzero(scores[cells > 0].max(axis=0) >= min_score))


def validate_frames(on_frames: int, off_frames: int) -> None:
    """Raise ValueError with the reason unless both counts are at least 1."""
    if int(on_frames) < 1 or int(off_frames) < 1:
        raise ValueError(f'presence on/off frame counts must be >= 1, got on={on_frames}, '
                         f'off={off_frames}')


class PresenceHysteresis:
    """Debounces a stream of per-frame present/absent decisions into a stable state."""

    def __init__(self, on_frames: int = 1, off_frames: int = 3):
        self.set_frames(on_frames, off_frames)
        self.present = False
        self._run = 0  # frames in a row that disagree with the state

    def set_frames(self, on_frames: int, off_frames: int) -> None:
        """Change both counts (validated together); the current state is kept."""
        validate_frames(on_frames, off_frames)
        self.on_frames = int(on_frames)
        self.off_frames = int(off_frames)

    def update(self, present: bool) -> bool:
        """Feed the newest frame's decision; return the debounced state."""
        self._run = self._run + 1 if bool(present) != self.present else 0
        if self._run >= (self.off_frames if self.present else self.on_frames):
            self.present = not self.present
            self._run = 0
        return self.present

    def reset(self) -> None:
        """Forget the state (absent)."""
        self.present = False
        self._run = 0
