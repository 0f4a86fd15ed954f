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
The node's outputs matched to the input frames they answer, and the replay's end-of-run numbers.

The runner (``replay.runner``) publishes frames into the node over rclpy and hands every output
message to ``OutputCollector``; everything decided here works on message objects by their
fields (header stamps, data), so it is unit tested without a ROS graph.

The overlay, mask, probability and person_detected make up a frame's result (the overlay video
is made of them). Every other output in ``names.OUTPUTS`` (persons, and the depth outputs where
the node has depth) is an *extra*: published for some frames only, so never waited for, and
handed on as it comes, once per output and input frame, matched by its header stamp.
"""

import collections
from dataclasses import dataclass, field
import queue
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
from person_segmentation import names
from person_segmentation.media import bags

#: the outputs the replay subscribes to as sensor_msgs/Image
IMAGE_OUTPUTS = (names.OVERLAY, names.MASK, names.PROBABILITY)
#: the std_msgs/Bool output (no header)
BOOL_OUTPUT = names.PERSON_DETECTED
#: the output every frame needs (the overlay video is made of it); person_detected Bools, which
#: carry no header, are paired with its messages in arrival order
REQUIRED_OUTPUT = names.OVERLAY
#: the outputs a frame's result is made of
FRAME_OUTPUTS = IMAGE_OUTPUTS + (BOOL_OUTPUT,)


def extra_outputs(on_demand: bool = True) -> Tuple[str, ...]:
    """
    Return the node's other outputs (names.OUTPUTS): stamped, handed on as they come.

    Without ``on_demand``, not those the node computes only while watched (names.ON_DEMAND:
    ~/parts): a replay that does not record them must not make the node compute them.
    """
    return tuple(name for name in names.OUTPUTS if name not in FRAME_OUTPUTS
                 and (on_demand or name not in names.ON_DEMAND))


@dataclass
class FrameResult:
    """The node's outputs for one input frame."""

    index: int
    stamp_ns: int
    overlay: Any  # sensor_msgs/Image (bgr8)
    mask: Optional[Any]  # sensor_msgs/Image (mono8), when the node publishes it
    probability: Optional[Any]  # sensor_msgs/Image, when the node publishes it
    person_detected: Optional[bool]
    latency_s: float

    def has_person_pixels(self) -> bool:
        """Whether the mask marks any pixel as person (False without a mask)."""
        if self.mask is None:
            return False
        return bool(np.frombuffer(self.mask.data, dtype=np.uint8).any())

    def overlay_bgr(self) -> np.ndarray:
        """Overlay pixels as BGR uint8."""
        return bags.message_to_bgr(self.overlay)


@dataclass(frozen=True)
class ExtraOutput:
    """One message of an extra output, with the stamp of the input frame it answers."""

    name: str
    stamp_ns: int
    message: Any


@dataclass
class ReplayStats:
    """End-of-run numbers."""

    mode: str
    frames_in: int = 0
    frames_out: int = 0
    frames_with_people: int = 0  # person_detected true
    frames_with_person_pixels: int = 0  # any pixel in the mask
    wall_s: float = 0.0
    input_fps: float = 0.0
    latencies_s: List[float] = field(default_factory=list)
    republished: int = 0
    extras: Dict[str, int] = field(default_factory=dict)  # messages per extra output

    def record(self, result: FrameResult) -> None:
        """Count one complete output."""
        self.frames_out += 1
        self.latencies_s.append(result.latency_s)
        self.frames_with_people += bool(result.person_detected)
        self.frames_with_person_pixels += result.has_person_pixels()

    @property
    def dropped(self) -> int:
        """Input frames for which no complete output arrived."""
        return self.frames_in - self.frames_out

    @property
    def fps(self) -> float:
        """Output frames per wall-clock second."""
        return self.frames_out / self.wall_s if self.wall_s > 0 else 0.0

    def latency_ms(self, percentile: float) -> float:
        """Publish-to-last-output latency percentile in ms (NaN without outputs)."""
        if not self.latencies_s:
            return float('nan')
        return float(np.percentile(np.asarray(self.latencies_s), percentile) * 1000.0)

    def summary(self) -> str:
        """Human-readable end summary."""
        dropped_pct = 100.0 * self.dropped / self.frames_in if self.frames_in else 0.0
        lines = [
            f'replay summary ({self.mode})',
            f'  frames in           {self.frames_in}',
            f'  frames out          {self.frames_out}',
            f'  dropped             {self.dropped} ({dropped_pct:.1f} %)',
            f'  throughput          {self.fps:.2f} fps out over {self.wall_s:.1f} s '
            f'(input published at {self.input_fps:.2f} fps)',
            f'  latency p50 / p99   {self.latency_ms(50):.1f} / {self.latency_ms(99):.1f} ms',
            f'  frames with people  {self.frames_with_people} (person_detected), '
            f'{self.frames_with_person_pixels} with person pixels in the mask',
        ]
        if self.extras:
            counts = ', '.join(f'{name} {count}' for name, count in sorted(self.extras.items()))
            lines.append(f'  other outputs       {counts}')
        if self.republished:
            lines.append(f'  republished         {self.republished} (no output in time)')
        return '\n'.join(lines)


class OutputCollector:
    """
    Assemble the node's per-frame outputs, matched to input frames by header stamp.

    std_msgs/Bool has no header: the node publishes exactly one per processed frame, right
    after that frame's overlay, so the n-th Bool belongs to the n-th overlay message (a
    frame processed twice, after a resend, contributes two of each; the second is dropped).
    """

    def __init__(self):
        #: the outputs a frame needs before it is complete (those the node publishes)
        self.required: Tuple[str, ...] = ()
        self._lock = threading.Lock()
        self._partial: Dict[int, Dict[str, object]] = {}
        self._order: collections.deque = collections.deque()  # stamps waiting for a Bool
        self._bools: collections.deque = collections.deque()
        self._done = set()
        self._published: Dict[int, Tuple[int, float]] = {}  # stamp -> (index, publish time)
        self.completed: 'queue.Queue[FrameResult]' = queue.Queue()
        self.extras: 'queue.Queue[ExtraOutput]' = queue.Queue()
        self._extras_seen = set()  # (name, stamp_ns)
        self.last_output = 0.0

    def published(self, index: int, stamp_ns: int) -> None:
        """Note that input frame ``index`` with header stamp ``stamp_ns`` was published now."""
        with self._lock:
            self._published[stamp_ns] = (index, time.perf_counter())

    def is_done(self, stamp_ns: int) -> bool:
        """Tell whether every output of the frame stamped ``stamp_ns`` has arrived."""
        with self._lock:
            return stamp_ns in self._done

    def on_image(self, name: str, msg) -> None:
        """Take one image output (any message class with a header)."""
        stamp_ns = bags.stamp_to_ns(msg.header.stamp)
        with self._lock:
            self.last_output = time.perf_counter()
            if name == REQUIRED_OUTPUT:
                # One per processed frame, duplicates included, so every Bool the node
                # publishes pairs with exactly one entry here (a duplicate's is discarded).
                self._order.append(stamp_ns)
            if stamp_ns in self._done or stamp_ns not in self._published:
                self._assign_bools()
                return  # a duplicate (republished frame) or not one of ours
            self._partial.setdefault(stamp_ns, {}).setdefault(name, msg)
            self._assign_bools()
            if stamp_ns in self._partial:
                self._complete(stamp_ns)

    def on_extra(self, name: str, msg) -> None:
        """Take one message of an extra output (any message class with a header)."""
        stamp_ns = bags.stamp_to_ns(msg.header.stamp)
        with self._lock:
            self.last_output = time.perf_counter()
            if stamp_ns not in self._published or (name, stamp_ns) in self._extras_seen:
                return  # not one of ours, or a republished frame's second answer
            self._extras_seen.add((name, stamp_ns))
        self.extras.put(ExtraOutput(name, stamp_ns, msg))

    def on_bool(self, msg) -> None:
        """Take one std_msgs/Bool person_detected output."""
        with self._lock:
            self.last_output = time.perf_counter()
            self._bools.append(bool(msg.data))
            self._assign_bools()

    def _assign_bools(self) -> None:
        while self._bools and self._order:
            stamp_ns = self._order.popleft()
            value = self._bools.popleft()
            if stamp_ns in self._partial:
                self._partial[stamp_ns].setdefault(BOOL_OUTPUT, value)
                self._complete(stamp_ns)

    def _complete(self, stamp_ns: int) -> None:
        entry = self._partial[stamp_ns]
        if not all(name in entry for name in self.required):
            return
        del self._partial[stamp_ns]
        self._done.add(stamp_ns)
        index, published_at = self._published[stamp_ns]
        self.completed.put(FrameResult(
            index=index, stamp_ns=stamp_ns, overlay=entry[names.OVERLAY],
            mask=entry.get(names.MASK), probability=entry.get(names.PROBABILITY),
            person_detected=entry.get(BOOL_OUTPUT),
            latency_s=time.perf_counter() - published_at))
