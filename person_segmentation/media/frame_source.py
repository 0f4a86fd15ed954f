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
Recorded frames from a rosbag2 bag or a video, the same way for every tool.

``replay`` and the demo accept either kind of footage; this gives both as ``(stamp_ns, bgr,
frame_id)`` with a frame rate, a size and a count, so callers never branch on the kind.
"""

import os
from typing import Iterator, Optional, Tuple

import numpy as np
from person_segmentation.media import bags
from person_segmentation.media.bag_storage import is_bag
from person_segmentation.media.video import default_start_time, VideoSource

#: header frame_id of frames read from a video (a bag keeps its own)
DEFAULT_FRAME_ID = 'camera'


class FrameSource:
    """Frames to replay, from a bag or a video: ``(stamp_ns, bgr, frame_id)``, fps and size."""

    def __init__(self, path: str, topic: Optional[str] = None, fps: Optional[float] = None):
        self.path = path
        self.is_bag = is_bag(path)
        if os.path.isdir(path) and not self.is_bag:
            raise bags.BagError(f'{path} is a folder without metadata.yaml: not a rosbag2 bag')
        if self.is_bag:
            self._bag = bags.BagImageSource(path, topic)
            self.fps = fps or self._bag.fps
            self.size = self._bag.size
            self.frame_count = self._bag.frame_count
            self.description = f'{path} topic {self._bag.topic} ({self._bag.msgtype})'
            self.note = self._bag.chosen_because and (
                f'{self._bag.chosen_because}; pass --topic to pick another')
        else:
            if topic:
                raise ValueError('a topic can only be chosen for bag input')
            self._video = VideoSource(path, fps=fps)
            self.fps = self._video.fps
            self.size = tuple(self._video.size)
            self.frame_count = self._video.frame_count
            self._start_ns = int(round(default_start_time(path) * 1e9))
            self.description = f'{path} ({self.fps:g} fps)'
            self.note = ''

    def frames(self) -> Iterator[Tuple[int, np.ndarray, str]]:
        """Yield ``(stamp_ns, bgr, frame_id)`` in order."""
        if self.is_bag:
            for frame in self._bag:
                yield frame.stamp_ns, frame.bgr, frame.frame_id
        else:
            for index, bgr in self._video:
                yield (self._start_ns + int(round(index * 1e9 / self.fps)), bgr,
                       DEFAULT_FRAME_ID)

    def close(self) -> None:
        """Close the bag or video."""
        (self._bag if self.is_bag else self._video).close()

    def __enter__(self) -> 'FrameSource':
        """Return self."""
        return self

    def __exit__(self, *exc) -> bool:
        """Close the bag or video."""
        self.close()
        return False
