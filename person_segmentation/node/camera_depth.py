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
One camera's depth input: the depth frames waiting for their colour frame, and people in 3D.

A camera with an aligned depth stream gets one ``CameraDepth`` beside its pipeline. The depth
and camera_info callbacks only hand their messages to it (``on_depth``, ``on_camera_info``:
cheap, never decoding); the worker, once a colour frame is segmented, asks ``measure`` for its
people in 3D: the depth frame of the nearest stamp is decoded and measured under the
frame's person regions as the engine labelled them (engine/people_3d.py), or the reason there
is none is returned (and counted by kind for /diagnostics): no depth yet, stale, no match,
another size, no or unusable camera_info, an undecodable depth message. The frame itself is
published either way. No rclpy.
"""

from collections import Counter, deque
from dataclasses import dataclass, field
import threading
import time
from typing import Dict, Optional, Sequence

import numpy as np
from person_segmentation.engine.people_3d import (DepthInputError, DepthSettings,
                                                  measure_people, People3D)
from person_segmentation.engine.pinhole import IntrinsicsError
from person_segmentation.engine.regions import PersonRegion
from person_segmentation.media.depth_image import depth_fields_to_array
from person_segmentation.media.image_conversion import ImageConversionError
from person_segmentation.node.depth_pairing import DepthPairing, Problem, stamp_ns
from person_segmentation.node.frame_stats import percentiles


@dataclass(frozen=True)
class DepthOutcome:
    """What depth gave one colour frame: people in 3D, or the problem (kind, message)."""

    people: Optional[People3D] = None
    problem: Optional[Problem] = None
    offset: Optional[float] = None  # depth stamp minus colour stamp, seconds
    note: str = ''  # something to say once (a calibration with lens distortion)


@dataclass
class DepthCounts:
    """What happened to one camera's depth, for /diagnostics."""

    received: int = 0  # depth images
    camera_infos: int = 0
    paired: int = 0  # colour frames measured in depth
    unpaired: Counter = field(default_factory=Counter)  # colour frames without, by kind
    last_problem: str = ''
    last_kind: str = ''  # why the last frame had no depth; '' when it had
    offsets: deque = field(default_factory=lambda: deque(maxlen=200))  # of the paired, s
    costs: deque = field(default_factory=lambda: deque(maxlen=200))  # decode + measure, s

    def snapshot(self) -> Dict[str, object]:
        """Return the counts with the median pairing offset and cost (NaN before any)."""
        return {'received': self.received, 'camera_infos': self.camera_infos,
                'paired': self.paired, 'unpaired': dict(self.unpaired),
                'last_problem': self.last_problem, 'last_kind': self.last_kind,
                'offset_p50': percentiles(self.offsets, (50,))[50],
                'cost_p50': percentiles(self.costs, (50,))[50]}


class CameraDepth:
    """One camera's depth frames and calibration, paired with its colour frames by stamp."""

    def __init__(self, tolerance: float, capacity: int):
        """``tolerance``: seconds a depth stamp may differ; ``capacity``: frames buffered."""
        self.pairing = DepthPairing(tolerance, capacity)
        self._counts = DepthCounts()
        self._lock = threading.Lock()
        self._distortion_noted = False

    def on_depth(self, msg) -> None:
        """Keep a sensor_msgs/Image of depth until its colour frame is processed (cheap)."""
        self.pairing.add_depth(stamp_ns(msg.header.stamp), int(msg.width), int(msg.height), msg)
        with self._lock:
            self._counts.received += 1

    def on_camera_info(self, msg) -> None:
        """Keep the latest sensor_msgs/CameraInfo of the depth image."""
        self.pairing.set_camera_info(msg)
        with self._lock:
            self._counts.camera_infos += 1

    def measure(self, stamp: int, labels: np.ndarray, regions: Sequence[PersonRegion],
                settings: DepthSettings, wait: float = 0.0) -> DepthOutcome:
        """
        Return the people in 3D of the colour frame stamped ``stamp`` (ns), or the problem.

        ``labels`` (the colour image's size) and ``regions`` are the engine's
        (``SegmentationResult.labels`` and ``.regions``): one person per region, in their
        order. ``wait``: seconds to wait at most for depth still on its way
        (DepthPairing.match).
        """
        height, width = labels.shape[:2]
        match = self.pairing.match(stamp, width, height, wait)
        if match.problem is not None:
            return self._unpaired(DepthOutcome(problem=match.problem, offset=match.offset))
        started = time.perf_counter()
        msg = match.depth
        try:
            depth = depth_fields_to_array(msg.encoding, msg.height, msg.width, msg.step,
                                          bool(msg.is_bigendian), msg.data)
            people = measure_people(labels, regions, depth, match.intrinsics, settings)
        except ImageConversionError as error:
            return self._unpaired(DepthOutcome(
                problem=(f'depth invalid: {error.kind}', f'depth image unusable: {error}'),
                offset=match.offset))
        except (IntrinsicsError, DepthInputError) as error:
            return self._unpaired(DepthOutcome(problem=('depth size', str(error)),
                                               offset=match.offset))
        seconds = time.perf_counter() - started
        note = ''
        if match.intrinsics.distorted and not self._distortion_noted:
            self._distortion_noted = True
            note = ('the depth camera_info lists lens distortion (D): depth is back-projected '
                    'with P as a rectified image, as depth_image_proc does; publish rectified '
                    '(aligned) depth for exact points')
        with self._lock:
            self._counts.paired += 1
            self._counts.last_kind = ''
            self._counts.offsets.append(match.offset)
            self._counts.costs.append(seconds)
        return DepthOutcome(people=people, offset=match.offset, note=note)

    def _unpaired(self, outcome: DepthOutcome) -> DepthOutcome:
        kind, message = outcome.problem
        with self._lock:
            self._counts.unpaired[kind] += 1
            self._counts.last_problem, self._counts.last_kind = message, kind
        return outcome

    def snapshot(self) -> Dict[str, object]:
        """Return the depth counts for /diagnostics (a copy)."""
        with self._lock:
            return self._counts.snapshot()
