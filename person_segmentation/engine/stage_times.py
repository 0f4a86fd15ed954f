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
Where a frame's time went, per stage, kept apart from the algorithm that spends it.

``SegmentationResult.timings`` holds milliseconds per stage: 'preprocess' (dark-frame lift,
tiling, mirror averaging, merging and fusing views), 'model' (the backend's calls),
'second_opinion' (a preset's second model around large people, its model call included),
'postprocess' (weak blobs, smoothing, mask, regions, presence) and, when asked for, 'parts'
(body parts). A batch's shared work (one model call for the inputs of several frames) is split
evenly over its frames (the second model's call over the frames it ran for); what is done per
frame is that frame's own, so the stages of a batch's frames add up to the time the batch
took.
"""

import contextlib
import time
from typing import Callable, Dict


class StageTimes:
    """Milliseconds per stage, added up over ``measure`` blocks."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter):
        self.ms: Dict[str, float] = {}
        self._clock = clock

    @contextlib.contextmanager
    def measure(self, stage: str):
        """Add the time spent inside the block to ``stage``."""
        start = self._clock()
        try:
            yield
        finally:
            self.ms[stage] = self.ms.get(stage, 0.0) + (self._clock() - start) * 1e3

    def share(self, frames: int) -> Dict[str, float]:
        """Return each stage's time split evenly over ``frames`` frames."""
        return {stage: ms / frames for stage, ms in self.ms.items()}


def add(*timings: Dict[str, float]) -> Dict[str, float]:
    """Return the stage-by-stage sum of several ``{stage: ms}`` maps."""
    total: Dict[str, float] = {}
    for times in timings:
        for stage, ms in times.items():
            total[stage] = total.get(stage, 0.0) + ms
    return total
