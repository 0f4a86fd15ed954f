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

``replay`` and the demo accept either kind of footage; this gives both as ``Frame`` (stamp,
BGR pixels, frame_id) with a frame rate, a size and a count, so callers never branch on the
kind. A bag recorded from an RGB-D camera also holds depth images and their camera_info
(bag_topics.choose_depth_topics finds them): each of those messages comes with the colour frame
nearest to it in stamp, undecoded, to be published just before that frame, as a driver
publishes them with it.
"""

import os
from typing import Iterable, Iterator, List, NamedTuple, Optional, Tuple

import numpy as np
from person_segmentation.media import bags
from person_segmentation.media.bag_storage import is_bag
from person_segmentation.media.bag_topics import (BagTopicError, choose_depth_topics,
                                                  DepthTopics)
from person_segmentation.media.video import default_start_time, VideoSource

#: header frame_id of frames read from a video (a bag keeps its own)
DEFAULT_FRAME_ID = 'camera'


class Frame(NamedTuple):
    """One colour frame to replay, with the depth messages recorded with it."""

    stamp_ns: int
    bgr: np.ndarray
    frame_id: str
    #: depth images and camera_info nearest in stamp to this frame (each message once), to
    #: publish before it; empty without depth
    depth: Tuple[bags.RawMessage, ...] = ()


def attach_nearest(frames: Iterable[Frame], streams: Iterable[Iterable[bags.RawMessage]]
                   ) -> Iterator[Frame]:
    """
    Give each message of ``streams`` to the frame nearest to it in stamp, once, in order.

    Each stream (one topic) is taken in its own order, assumed in stamp order as recorded; a
    message goes with the first frame whose stamp is at most half-way to the next frame's
    past the message's: messages before the first frame go with the first, after the last
    with the last. Reads one frame ahead, never a whole stream.
    """
    streams = [iter(stream) for stream in streams]
    heads: List[Optional[bags.RawMessage]] = [next(stream, None) for stream in streams]
    frames = iter(frames)
    current = next(frames, None)
    while current is not None:
        following = next(frames, None)
        limit = (current.stamp_ns + following.stamp_ns) // 2 if following is not None else None
        attached = []
        for index, stream in enumerate(streams):
            while heads[index] is not None and (limit is None or heads[index].stamp_ns <= limit):
                attached.append(heads[index])
                heads[index] = next(stream, None)
        yield current._replace(depth=tuple(attached))
        current = following


class FrameSource:
    """Frames to replay, from a bag or a video: ``Frame`` objects, fps and size."""

    def __init__(self, path: str, topic: Optional[str] = None, fps: Optional[float] = None,
                 depth_topic: Optional[str] = None, use_depth: bool = True):
        self.path = path
        self.is_bag = is_bag(path)
        #: the bag's depth topic and its camera_info, when replayed with the frames
        self.depth: Optional[DepthTopics] = None
        self._streams: List[bags.BagTopicStream] = []
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
            if use_depth:
                try:
                    self._find_depth(depth_topic)
                except BaseException:
                    self.close()
                    raise
        else:
            if topic or depth_topic:
                raise ValueError('a topic can only be chosen for bag input')
            self._video = VideoSource(path, fps=fps)
            self.fps = self._video.fps
            self.size = tuple(self._video.size)
            self.frame_count = self._video.frame_count
            self._start_ns = int(round(default_start_time(path) * 1e9))
            self.description = f'{path} ({self.fps:g} fps)'
            self.note = ''

    def _find_depth(self, depth_topic: Optional[str]) -> None:
        try:
            self.depth = choose_depth_topics(self._bag.topics, self._bag.topic,
                                             depth_topic, str(self.path))
        except BagTopicError as err:
            raise bags.BagError(f'{err} (--depth-topic)') from None
        if self.depth is None:
            return
        self.description += f' with depth {self.depth.image}'
        if self.depth.camera_info:
            self.description += f' and {self.depth.camera_info}'
        notes = [self.note] if self.note else []
        if self.depth.reason:
            notes.append(f'{self.depth.reason}; pass --depth-topic to pick another')
        if not self.depth.camera_info:
            notes.append(f'no camera_info beside {self.depth.image} or {self._bag.topic}: '
                         f'depth cannot be placed in 3D without one')
        self.note = '\n'.join(notes)
        for name in filter(None, (self.depth.camera_info, self.depth.image)):
            self._streams.append(bags.BagTopicStream(self.path, [name]))

    def frames(self) -> Iterator[Frame]:
        """Yield every ``Frame`` in order (with its depth messages, from an RGB-D bag)."""
        if self.is_bag:
            colour = (Frame(frame.stamp_ns, frame.bgr, frame.frame_id) for frame in self._bag)
            yield from attach_nearest(colour, self._streams) if self._streams else colour
        else:
            for index, bgr in self._video:
                yield Frame(self._start_ns + int(round(index * 1e9 / self.fps)), bgr,
                            DEFAULT_FRAME_ID)

    def close(self) -> None:
        """Close the bag or video."""
        for stream in self._streams:
            stream.close()
        (self._bag if self.is_bag else self._video).close()

    def __enter__(self) -> 'FrameSource':
        """Return self."""
        return self

    def __exit__(self, *exc) -> bool:
        """Close the bag or video."""
        self.close()
        return False
