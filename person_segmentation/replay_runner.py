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
Drive the segmentation node with recorded frames over real ROS topics and collect its output.

The replay tool must exercise the node exactly as a camera would (DDS transport, QoS, the
node's own queueing and dropping) without a ROS installation. This adapter publishes frames
as sensor_msgs/Image on the node's input together with /clock (the node runs on sim time, as
under ``ros2 bag play --clock``), matches the node's outputs to input frames by header stamp,
and measures what arrived, what was dropped and how late. The node runs as its own process
(default) or in this process in a separate ROS context; DDS carries the data either way.
"""

import array
import collections
from dataclasses import dataclass, field
import os
import pathlib
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Callable, Dict, Iterable, List, Optional, Tuple

import numpy as np
from person_segmentation import bag_io
import rclpy
from rclpy.context import Context
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from rclpy.serialization import serialize_message
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Image
from std_msgs.msg import Bool

NODE_NAME = 'person_segmentation'
IMAGE_OUTPUTS = ('overlay', 'mask', 'probability')
BOOL_OUTPUT = 'person_detected'
# The output that is always collected (the video needs it): person_detected Bools, which
# carry no header, are paired with its messages in arrival order.
BOOL_PAIR_OUTPUT = 'overlay'
MODES = ('lossless', 'realtime')
# person_segmentation_node's entry point, run with this interpreter (works without the console
# script on PATH, e.g. from a source checkout).
NODE_COMMAND = (sys.executable, '-c',
                'import sys; from person_segmentation.node import main; sys.exit(main())')
NODE_MODES = ('subprocess', 'inprocess')


class ReplayError(Exception):
    """The replay could not run (node failed to start, no output, ...); says what and why."""


@dataclass
class ReplayOptions:
    """How to replay: mode, node and its model, and patience."""

    mode: str = 'lossless'
    rate: float = 1.0  # realtime only: playback speed multiplier
    model: Optional[str] = None
    node: str = 'subprocess'
    input_topic: str = '/replay/image'
    node_parameters: Dict[str, object] = field(default_factory=dict)
    startup_timeout: float = 120.0  # s for the node to load its model and appear
    retry_after: float = 10.0  # lossless: republish a frame without output after this many s
    frame_timeout: float = 60.0  # lossless: give up on a frame after this many s
    drain_idle: float = 3.0  # realtime: stop waiting for outputs after this long without any

    def __post_init__(self):
        """Reject impossible values early, with the option's name."""
        if self.mode not in MODES:
            raise ValueError(f'mode must be one of {", ".join(MODES)}, got {self.mode!r}')
        if self.node not in NODE_MODES:
            raise ValueError(f'node must be one of {", ".join(NODE_MODES)}, got {self.node!r}')
        if not self.rate > 0:
            raise ValueError(f'rate must be positive, got {self.rate}')


@dataclass
class FrameResult:
    """The node's outputs for one input frame."""

    index: int
    stamp_ns: int
    overlay: Image
    mask: Optional[Image]
    probability: Optional[Image]
    person_detected: Optional[bool]
    latency_s: float

    def has_person_pixels(self) -> bool:
        """Whether the mask marks any pixel as person (False without a mask)."""
        if self.mask is None:
            return False
        return bool(np.frombuffer(self.mask.data, dtype=np.uint8).any())

    def overlay_bgr(self) -> np.ndarray:
        """Overlay pixels as BGR uint8."""
        return bag_io.message_to_bgr(self.overlay)


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
        if self.republished:
            lines.append(f'  republished         {self.republished} (no output in time)')
        return '\n'.join(lines)


def _ros_time(stamp_ns: int):
    from builtin_interfaces.msg import Time
    sec, nanosec = divmod(int(stamp_ns), 1_000_000_000)
    return Time(sec=sec, nanosec=nanosec)


def bgr_to_image_msg(bgr: np.ndarray, stamp_ns: int, frame_id: str) -> Image:
    """sensor_msgs/Image (bgr8) of a BGR frame."""
    bgr = np.ascontiguousarray(bgr)
    msg = Image()
    msg.header.stamp = _ros_time(stamp_ns)
    msg.header.frame_id = frame_id
    msg.height, msg.width = int(bgr.shape[0]), int(bgr.shape[1])
    msg.encoding = 'bgr8'
    msg.is_bigendian = 0
    msg.step = int(bgr.shape[1] * 3)
    msg.data = array.array('B', bgr.tobytes())
    return msg


def reliable_qos(depth: int) -> QoSProfile:
    """Reliable, volatile, keep-last QoS (large images over best effort lose frames)."""
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                      reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.VOLATILE)


class _Collector:
    """
    Assemble the node's per-frame outputs, matched to input frames by header stamp.

    std_msgs/Bool has no header: the node publishes exactly one per processed frame, right
    after that frame's overlay, so the n-th Bool belongs to the n-th overlay message (a
    frame processed twice, after a resend, contributes two of each; the second is dropped).
    """

    def __init__(self):
        self.required: Tuple[str, ...] = ()
        self._lock = threading.Lock()
        self._partial: Dict[int, Dict[str, object]] = {}
        self._order: collections.deque = collections.deque()  # stamps waiting for a Bool
        self._bools: collections.deque = collections.deque()
        self._done = set()
        self._published: Dict[int, Tuple[int, float]] = {}  # stamp -> (index, publish time)
        self.completed: 'queue.Queue[FrameResult]' = queue.Queue()
        self.last_output = 0.0

    def published(self, index: int, stamp_ns: int) -> None:
        with self._lock:
            self._published[stamp_ns] = (index, time.perf_counter())

    def is_done(self, stamp_ns: int) -> bool:
        with self._lock:
            return stamp_ns in self._done

    def on_image(self, name: str, msg: Image) -> None:
        stamp_ns = bag_io.stamp_to_ns(msg.header.stamp)
        with self._lock:
            self.last_output = time.perf_counter()
            if name == BOOL_PAIR_OUTPUT:
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

    def on_bool(self, msg: Bool) -> None:
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
            index=index, stamp_ns=stamp_ns, overlay=entry['overlay'], mask=entry.get('mask'),
            probability=entry.get('probability'), person_detected=entry.get(BOOL_OUTPUT),
            latency_s=time.perf_counter() - published_at))


def _node_arguments(options: ReplayOptions) -> List[str]:
    args = ['--ros-args', '-r', f'image:={options.input_topic}',
            '-p', 'use_sim_time:=true', '-p', 'qos_reliability:=reliable']
    if options.model:
        args += ['-p', f'model:={options.model}']
    for name, value in options.node_parameters.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        args += ['-p', f'{name}:={text}']
    return args


class _SubprocessNode:
    """person_segmentation_node in its own process; its log goes to a temporary file."""

    def __init__(self, options: ReplayOptions):
        package_root = pathlib.Path(__file__).resolve().parents[1]
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(
            [str(package_root)] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
        env.setdefault('PYTHONUNBUFFERED', '1')
        self._log = tempfile.TemporaryFile(mode='w+b')
        command = [*NODE_COMMAND, *_node_arguments(options)]
        self._process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                                         stdout=self._log, stderr=subprocess.STDOUT)

    def failure(self) -> Optional[str]:
        if self._process.poll() is None:
            return None
        return f'the node exited with status {self._process.returncode}'

    def log_tail(self, lines: int = 15) -> str:
        # read through a new handle: seeking the shared one would move the child's writes
        with open(f'/proc/self/fd/{self._log.fileno()}', 'rb') as log:
            text = log.read().decode(errors='replace').strip().splitlines()
        return '\n'.join(text[-lines:])

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()


class _InProcessNode:
    """PersonSegmentationNode in this process, in its own ROS context and executor thread."""

    def __init__(self, options: ReplayOptions):
        from person_segmentation.node import PersonSegmentationNode
        self._context = Context()
        rclpy.init(args=_node_arguments(options), context=self._context)
        self._error: Optional[BaseException] = None
        try:
            self._node = PersonSegmentationNode(context=self._context)
        except BaseException:
            self._context.try_shutdown()
            raise
        self._executor = SingleThreadedExecutor(context=self._context)
        self._executor.add_node(self._node)
        self._thread = threading.Thread(target=self._spin, name='segmentation_node',
                                        daemon=True)
        self._thread.start()

    def _spin(self) -> None:
        try:
            self._executor.spin()
        except ExternalShutdownException:
            pass
        except BaseException as err:  # reported by failure()
            self._error = err

    def failure(self) -> Optional[str]:
        return None if self._error is None else f'the node failed: {self._error!r}'

    def log_tail(self, lines: int = 15) -> str:
        return '(in-process node: its log is on this terminal)'

    def stop(self) -> None:
        self._executor.shutdown(timeout_sec=5)
        self._node.destroy_node()
        self._context.try_shutdown()
        self._thread.join(timeout=5)


class ReplaySession:
    """A replay publisher/collector node plus the segmentation node, ready to play frames."""

    def __init__(self, options: ReplayOptions):
        self.options = options
        self.outputs_prefix = f'/{NODE_NAME}'
        self._collector = _Collector()
        self._context = Context()
        rclpy.init(args=[], context=self._context)
        self._node = rclpy.create_node('person_segmentation_replay', context=self._context)
        depth = 10 if options.mode == 'realtime' else 2
        self._image_pub = self._node.create_publisher(Image, options.input_topic,
                                                      reliable_qos(depth))
        self._clock_pub = self._node.create_publisher(Clock, '/clock', reliable_qos(1))
        self._subs = {}
        for name in IMAGE_OUTPUTS:
            self._subs[name] = self._node.create_subscription(
                Image, f'{self.outputs_prefix}/{name}',
                lambda msg, name=name: self._collector.on_image(name, msg), reliable_qos(100))
        self._subs[BOOL_OUTPUT] = self._node.create_subscription(
            Bool, f'{self.outputs_prefix}/{BOOL_OUTPUT}', self._collector.on_bool,
            reliable_qos(100))
        self._executor = SingleThreadedExecutor(context=self._context)
        self._executor.add_node(self._node)
        self._thread = threading.Thread(target=self._spin, name='replay_executor', daemon=True)
        self._thread.start()
        self._segmenter = None
        try:
            if options.node == 'subprocess':
                self._segmenter = _SubprocessNode(options)
            else:
                self._segmenter = _InProcessNode(options)
        except BaseException:
            self.close()
            raise

    def _spin(self) -> None:
        try:
            self._executor.spin()
        except ExternalShutdownException:
            pass

    def _fail(self, reason: str) -> ReplayError:
        tail = self._segmenter.log_tail() if self._segmenter else ''
        return ReplayError(reason + (f'\n--- node log (last lines) ---\n{tail}' if tail else ''))

    def wait_ready(self) -> Tuple[str, ...]:
        """Wait until the node listens to the input and publishes outputs; return those."""
        deadline = time.monotonic() + self.options.startup_timeout
        seen_at = None
        while True:
            failure = self._segmenter.failure()
            if failure:
                raise self._fail(f'{failure} before it was ready')
            listening = self._image_pub.get_subscription_count() > 0
            present = tuple(name for name, sub in self._subs.items()
                            if sub.get_publisher_count() > 0)
            if listening and 'overlay' in present:
                seen_at = seen_at or time.monotonic()
                # Give discovery a moment to report the other outputs as well.
                if len(present) == len(self._subs) or time.monotonic() - seen_at > 2.0:
                    self._collector.required = present
                    return present
            if time.monotonic() > deadline:
                raise self._fail(
                    f'the node did not subscribe to {self.options.input_topic} and publish '
                    f'{self.outputs_prefix}/overlay within {self.options.startup_timeout:.0f} s '
                    f'(subscribed: {listening}; outputs seen: {", ".join(present) or "none"})')
            time.sleep(0.05)

    def _publish(self, index: int, stamp_ns: int, bgr: np.ndarray, frame_id: str) -> None:
        msg = bgr_to_image_msg(bgr, stamp_ns, frame_id)
        self._collector.published(index, stamp_ns)
        self._clock_pub.publish(Clock(clock=msg.header.stamp))
        self._image_pub.publish(msg)

    def play(self, frames: Iterable[Tuple[int, np.ndarray, str]],
             on_result: Callable[[FrameResult], None]) -> ReplayStats:
        """Publish ``(stamp_ns, bgr, frame_id)`` frames; hand each complete output on."""
        stats = ReplayStats(mode=self.options.mode)
        started = None
        published_first = published_last = None

        def deliver(block_s: float) -> bool:
            try:
                result = self._collector.completed.get(timeout=block_s) if block_s > 0 \
                    else self._collector.completed.get_nowait()
            except queue.Empty:
                return False
            stats.frames_out += 1
            stats.latencies_s.append(result.latency_s)
            stats.frames_with_people += bool(result.person_detected)
            stats.frames_with_person_pixels += result.has_person_pixels()
            on_result(result)
            return True

        first_stamp = None
        for index, (stamp_ns, bgr, frame_id) in enumerate(frames):
            now = time.perf_counter()
            if started is None:
                started = now
                first_stamp = stamp_ns
            if self.options.mode == 'realtime':
                due = started + (stamp_ns - first_stamp) / 1e9 / self.options.rate
                while True:
                    delivered = deliver(0)
                    wait = due - time.perf_counter()
                    if wait <= 0:
                        break
                    if not delivered:
                        time.sleep(min(wait, 0.005))
                self._publish(index, stamp_ns, bgr, frame_id)
            else:
                self._publish_until_done(index, stamp_ns, bgr, frame_id, stats, deliver)
            stats.frames_in += 1
            published_first = published_first or time.perf_counter()
            published_last = time.perf_counter()
            failure = self._segmenter.failure()
            if failure:
                raise self._fail(f'{failure} during the replay (frame {index})')
        # Collect what is still on its way.
        while stats.frames_out < stats.frames_in:
            if deliver(0.05):
                continue
            idle_since = max(self._collector.last_output, published_last or 0.0)
            if time.perf_counter() - idle_since > self.options.drain_idle:
                break
        if started is not None:
            last = max(self._collector.last_output, published_last)
            stats.wall_s = last - started
            span = published_last - published_first
            stats.input_fps = (stats.frames_in - 1) / span if span > 0 else 0.0
        return stats

    def _publish_until_done(self, index, stamp_ns, bgr, frame_id, stats, deliver) -> None:
        first_try = time.perf_counter()
        self._publish(index, stamp_ns, bgr, frame_id)
        last_try = first_try
        while not self._collector.is_done(stamp_ns):
            deliver(0.05)
            now = time.perf_counter()
            failure = self._segmenter.failure()
            if failure:
                raise self._fail(f'{failure} during the replay (frame {index})')
            if now - first_try > self.options.frame_timeout:
                raise self._fail(f'no output for frame {index} (stamp {stamp_ns} ns) within '
                                 f'{self.options.frame_timeout:.0f} s')
            if now - last_try > self.options.retry_after:
                stats.republished += 1
                last_try = now
                self._clock_pub.publish(Clock(clock=_ros_time(stamp_ns)))
                self._image_pub.publish(bgr_to_image_msg(bgr, stamp_ns, frame_id))
        while deliver(0):
            pass

    def close(self) -> None:
        """Stop the segmentation node and the replay node."""
        if self._segmenter is not None:
            self._segmenter.stop()
            self._segmenter = None
        if self._executor is not None:
            self._executor.shutdown(timeout_sec=5)
            self._executor = None
            self._node.destroy_node()
            self._context.try_shutdown()
            self._thread.join(timeout=5)

    def __enter__(self) -> 'ReplaySession':
        """Return self."""
        return self

    def __exit__(self, *exc) -> bool:
        """Stop both nodes."""
        self.close()
        return False


def serialized(msg) -> bytes:
    """CDR bytes of an rclpy message, as rosbag2 stores them."""
    return serialize_message(msg)
