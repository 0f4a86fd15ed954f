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
768x576 frame covers 0.1 % of it. What makes a blob trustworthy is how much the network saw of
it and how sure it was: a region counts as *evidence* when its area **at the model's input
resolution** (frame pixels x scale^2, so the same person counts the same in a 640x480 and a
1920x1080 frame) reaches ``min_area`` and its mean probability reaches ``min_confidence``; a
frame with evidence has a person present. (Evidence over k of the last n frames was measured
and dropped: it removed no false flag and delayed every entry by a frame.)
``PresenceHysteresis`` is the debouncing that the node's
``~/person_detected`` adds on top: on after ``on_frames`` present frames in a row, off after
``off_frames`` absent frames in a row.
"""

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class PresenceRule:
    """What counts as evidence of a person in one frame."""

    min_area: float = 128.0  # model-input pixels (half an output cell of the 513 models)
    min_confidence: float = 0.6  # mean person probability over the region

    def __post_init__(self):
        """Reject a rule that cannot work, with the reason."""
        if self.min_area < 0 or not 0.0 < self.min_confidence <= 1.0:
            raise ValueError('presence min_area must be >= 0 and min_confidence in (0, 1], got '
                             f'{self.min_area}, {self.min_confidence}')

    def is_evidence(self, regions: Iterable, scale: float) -> bool:
        """Tell whether any region (``area`` in frame pixels, ``confidence``) is evidence."""
        area = self.min_area / (scale * scale)
        return any(r.area >= area and r.confidence >= self.min_confidence for r in regions)


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
