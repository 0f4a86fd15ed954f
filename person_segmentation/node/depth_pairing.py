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
Which depth frame goes with a colour frame: the nearest stamp within a tolerance, or why none.

The node segments the newest colour frame when its worker is free, so it looks for the frame's
depth later than the frame arrived; by then the depth frame of the same stamp has arrived even
where the driver publishes depth after colour. Depth frames are kept in a small buffer bounded
in count (memory); each match also drops the frames older than any later colour frame can use
(colour frames reach the worker in stamp order), so the buffer holds about one processing time
of depth. The latest camera_info is kept beside it (a calibration rarely changes).

Every colour frame is processed with or without depth: ``match`` returns the depth and the
intrinsics, or a problem (kind, message) that says why not (no depth yet, stale depth, no depth
within the tolerance, sizes differ, no or wrong camera_info), for a rate-limited warning. It
may wait a little (``wait``) where the answer may still be on its way: the depth image of the
frame's stamp when the depth stream is alive but behind (an RGB-D driver publishes aligned
depth after colour, once aligned, and a fast model can be done before it arrives), and the
first camera_info just after the depth stream started (another topic, another DDS reader).
message_filters' synchronizers are not used: they deliver only complete sets, so a depth
stream that stops would silently stop the mask and every other output too (see
docs/node.md, With a depth camera). Kept free of rclpy: stamps are integer nanoseconds.
"""

from collections import deque
from dataclasses import dataclass
import threading
import time
from typing import Any, Optional, Tuple

from person_segmentation.engine.pinhole import (intrinsics_from_calibration,
                                                IntrinsicsError, PinholeIntrinsics)

Problem = Tuple[str, str]  # (kind, message): kind is a few stable words for rate-limiting
#: A depth stream whose newest image is at most this much older than a colour frame (stamps)
#: is taken for alive, its image for that frame for still on the way; one that started at most
#: this long ago (steady clock) may still be followed by its first camera_info.
ALIVE_NS = 1_000_000_000


@dataclass(frozen=True)
class DepthMatch:
    """What ``match`` found: the depth item and intrinsics, or the problem."""

    depth: Any = None  # the item given to add_depth (e.g. the Image message)
    intrinsics: Optional[PinholeIntrinsics] = None
    offset: Optional[float] = None  # depth stamp minus colour stamp, seconds
    problem: Optional[Problem] = None


def stamp_ns(stamp) -> int:
    """Nanoseconds of a builtin_interfaces/Time (anything with sec and nanosec)."""
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


def intrinsics_from_camera_info(info) -> PinholeIntrinsics:
    """Intrinsics of the image a sensor_msgs/CameraInfo describes (raises IntrinsicsError)."""
    roi = info.roi
    return intrinsics_from_calibration(
        info.k, info.p, int(info.width), int(info.height), d=info.d,
        binning_x=int(info.binning_x), binning_y=int(info.binning_y),
        roi=(int(roi.x_offset), int(roi.y_offset), int(roi.width), int(roi.height)))


class DepthPairing:
    """A bounded buffer of recent depth frames and the latest calibration, matched by stamp."""

    def __init__(self, tolerance: float = 0.03, capacity: int = 30):
        """``tolerance``: seconds a depth stamp may differ from the colour stamp."""
        if tolerance < 0.0:
            raise ValueError(f'tolerance must be >= 0 s, got {tolerance}')
        if capacity < 1:
            raise ValueError(f'capacity must be at least 1 frame, got {capacity}')
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)  # a depth image or camera_info came
        self._first_depth_at: Optional[float] = None  # steady clock
        self._tolerance_ns = int(round(tolerance * 1e9))
        self._frames = deque(maxlen=capacity)  # (stamp_ns, width, height, item), arrival order
        self._intrinsics: Optional[PinholeIntrinsics] = None
        self._calibration_problem: Optional[Problem] = None

    @property
    def tolerance(self) -> float:
        """Seconds a depth stamp may differ from the colour stamp."""
        return self._tolerance_ns / 1e9

    @tolerance.setter
    def tolerance(self, seconds: float) -> None:
        if seconds < 0.0:
            raise ValueError(f'tolerance must be >= 0 s, got {seconds}')
        self._tolerance_ns = int(round(seconds * 1e9))

    def __len__(self) -> int:
        """How many depth frames are buffered."""
        with self._lock:
            return len(self._frames)

    def add_depth(self, stamp: int, width: int, height: int, item: Any) -> None:
        """Keep a depth frame (stamp in ns); the oldest one goes when the buffer is full."""
        with self._lock:
            self._frames.append((int(stamp), int(width), int(height), item))
            if self._first_depth_at is None:
                self._first_depth_at = time.monotonic()
            self._arrived.notify_all()

    def set_camera_info(self, info) -> None:
        """Keep the calibration of a sensor_msgs/CameraInfo; an unusable one is reported later."""
        try:
            intrinsics, problem = intrinsics_from_camera_info(info), None
        except IntrinsicsError as error:
            intrinsics, problem = None, ('camera_info', f'camera_info is unusable: {error}')
        with self._lock:
            self._intrinsics, self._calibration_problem = intrinsics, problem
            self._arrived.notify_all()

    def match(self, stamp: int, width: int, height: int, wait: float = 0.0) -> DepthMatch:
        """
        Find the depth frame nearest to a colour stamp (ns) for its size, or the problem.

        ``wait``: seconds to wait at most for a depth image or camera_info that may still be
        on its way (module docstring); 0: answer with what has arrived.
        """
        deadline = time.monotonic() + wait
        with self._lock:
            while True:
                found = self._match(stamp, width, height)
                left = deadline - time.monotonic()
                if found.problem is None or left <= 0 or \
                        not self._may_still_come(found.problem[0], stamp):
                    return found
                self._arrived.wait(left)

    def _may_still_come(self, kind: str, stamp: int) -> bool:
        """Whether what ``kind`` misses may still arrive for the colour frame ``stamp``."""
        if kind == 'stale depth':  # the stream is alive, just behind this frame
            return max(frame[0] for frame in self._frames) >= stamp - ALIVE_NS
        if kind == 'no camera_info':  # the depth stream has just started
            return time.monotonic() - self._first_depth_at <= ALIVE_NS / 1e9
        return False

    def _match(self, stamp: int, width: int, height: int) -> DepthMatch:
        """``match`` with what has arrived, under the lock."""
        if not self._frames:
            return DepthMatch(problem=('no depth', 'no depth image received yet'))
        nearest = min(self._frames, key=lambda frame: abs(frame[0] - stamp))
        offset = (nearest[0] - stamp) / 1e9
        if abs(nearest[0] - stamp) > self._tolerance_ns:
            return DepthMatch(problem=self._unmatched(stamp, offset))
        # colour frames come in stamp order: depth older than this one's window is done
        floor = stamp - self._tolerance_ns
        while self._frames and self._frames[0][0] < floor:
            self._frames.popleft()
        intrinsics, calibration_problem = self._intrinsics, self._calibration_problem
        _, depth_width, depth_height, item = nearest
        if (depth_width, depth_height) != (width, height):
            return DepthMatch(offset=offset, problem=(
                'depth size', f'depth image {depth_width}x{depth_height} and colour image '
                f'{width}x{height} differ in size: the depth must be aligned to the colour '
                f'image (RealSense: align_depth.enable:=true and .../aligned_depth_to_color/'
                f'image_raw)'))
        if calibration_problem is not None:
            return DepthMatch(offset=offset, problem=calibration_problem)
        if intrinsics is None:
            return DepthMatch(offset=offset, problem=(
                'no camera_info', 'no camera_info received yet: depth cannot be turned into '
                'points without the intrinsics (remap depth/camera_info)'))
        try:
            intrinsics.check_size(depth_width, depth_height)
        except IntrinsicsError as error:
            return DepthMatch(offset=offset, problem=('camera_info size', str(error)))
        return DepthMatch(depth=item, intrinsics=intrinsics, offset=offset)

    def _unmatched(self, stamp: int, offset: float) -> Problem:
        newest = max(frame[0] for frame in self._frames)
        oldest = min(frame[0] for frame in self._frames)
        tolerance = self._tolerance_ns / 1e9
        if newest < stamp - self._tolerance_ns:
            return ('stale depth',
                    f'the newest depth image is {(stamp - newest) / 1e9:.3f} s older than the '
                    f'colour frame (tolerance {tolerance:g} s): the depth stream stopped or '
                    f'lags')
        if oldest > stamp + self._tolerance_ns:
            return ('depth ahead',
                    f'every buffered depth image is newer than the colour frame (the oldest by '
                    f'{(oldest - stamp) / 1e9:.3f} s, {len(self._frames)} buffered): the colour '
                    f'frame waited longer than the buffer covers, or colour and depth are '
                    f'stamped by different clocks')
        return ('no depth match',
                f'no depth image within {tolerance:g} s of the colour frame (nearest '
                f'{offset:+.3f} s): colour and depth are not synchronised; raise the tolerance '
                f"or enable the driver's frame sync")
