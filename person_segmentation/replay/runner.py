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
under ``ros2 bag play --clock``) and hands the node's outputs to ``outputs.OutputCollector``,
which matches them to input frames by header stamp and measures what arrived, what was dropped
and how late. Depth recorded with a frame (an RGB-D bag: depth images and their camera_info) is
published just before it, as stored, on the depth input topics, as an RGB-D driver publishes
it. The node runs as its own process (default) or in this process in a separate ROS context;
DDS carries the data either way.
"""

import importlib
import os
import pathlib
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Callable, Iterable, Optional, Tuple

from person_segmentation import names
from person_segmentation.media.bag_topics import CAMERA_INFO_TYPE, IMAGE_TYPE
from person_segmentation.media.frame_source import Frame
from person_segmentation.node import messages
from person_segmentation.replay import ReplayError
from person_segmentation.replay.options import (INPROCESS, node_arguments, REALTIME,
                                                ReplayOptions)
from person_segmentation.replay.outputs import (BOOL_OUTPUT, extra_outputs, ExtraOutput,
                                                FRAME_OUTPUTS, FrameResult, IMAGE_OUTPUTS,
                                                OutputCollector, ReplayStats,
                                                REQUIRED_OUTPUT)
import rclpy
from rclpy.context import Context
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from rclpy.serialization import serialize_message
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Bool

# The node's one start path (node/main.py, what the installed person_segmentation_node runs),
# with this interpreter: works without the executable on PATH, e.g. from a source checkout.
NODE_COMMAND = (sys.executable, '-m', 'person_segmentation.node.main')


def message_class(msgtype: str):
    """Return the rclpy message class of ``package/msg/Type``; None where not installed."""
    package, _, name = msgtype.rpartition('/')
    try:
        return getattr(importlib.import_module(package.replace('/', '.')), name)
    except (ImportError, AttributeError):
        return None


#: seconds a refused message is offered again before the replay gives up
REFUSAL_PATIENCE = 5.0


def publish_patiently(publisher, message, patience: float = REFUSAL_PATIENCE) -> None:
    """
    Publish, trying again while the middleware refuses; a ReplayError after ``patience`` s.

    Fast DDS refuses a message (rclpy's RCLError, "cannot publish data") while a reliable
    writer's history stays full of messages the node has not acknowledged: a loaded machine.
    A recording is replayed whole, so the frame is offered again (the first refusal ended the
    replay before); a node that stays unreachable ends it with a message that says so.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            publisher.publish(message)
            return
        except RuntimeError as error:  # rclpy's RCLError
            if time.monotonic() >= deadline:
                raise ReplayError(f'the middleware refused to publish on {publisher.topic_name} '
                                  f'for {patience:g} s: {error}') from None
            time.sleep(0.01)


def reliable_qos(depth: int) -> QoSProfile:
    """Reliable, volatile, keep-last QoS (large images over best effort lose frames)."""
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                      reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.VOLATILE)


class _SubprocessNode:
    """person_segmentation_node in its own process; its log goes to a temporary file."""

    def __init__(self, options: ReplayOptions):
        package_root = pathlib.Path(__file__).resolve().parents[2]
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(
            [str(package_root)] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
        env.setdefault('PYTHONUNBUFFERED', '1')
        self._log = tempfile.TemporaryFile(mode='w+b')
        command = [*NODE_COMMAND, *node_arguments(options)]
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
        from person_segmentation.node.managed_node import create_node
        self._context = Context()
        rclpy.init(args=node_arguments(options), context=self._context)
        self._error: Optional[BaseException] = None
        try:
            self._node = create_node(context=self._context)
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
        self.outputs_prefix = f'/{names.NODE_NAME}'
        self._collector = OutputCollector()
        # before this process's first participant (Fast DDS reads its profile then) and the
        # node's process; put back on close, so a test process is left as it was
        self._environment_before = {name: os.environ.get(name) for name in options.environment}
        os.environ.update(options.environment)
        self._context = Context()
        rclpy.init(args=[], context=self._context)
        self._node = rclpy.create_node('person_segmentation_replay', context=self._context)
        depth = 10 if options.mode == REALTIME else 2
        self._image_pub = self._node.create_publisher(Image, options.input_topic,
                                                      reliable_qos(depth))
        self._clock_pub = self._node.create_publisher(Clock, '/clock', reliable_qos(1))
        # the depth input: depth images and their camera_info, as stored (CDR bytes)
        self._depth_pubs = {}
        if options.depth:
            self._depth_pubs = {
                IMAGE_TYPE: self._node.create_publisher(Image, options.depth_topic,
                                                        reliable_qos(depth)),
                CAMERA_INFO_TYPE: self._node.create_publisher(
                    CameraInfo, options.depth_info_topic, reliable_qos(depth))}
        self._subs = {}
        for name in IMAGE_OUTPUTS:
            self._subs[name] = self._node.create_subscription(
                Image, f'{self.outputs_prefix}/{name}',
                lambda msg, name=name: self._collector.on_image(name, msg), reliable_qos(100))
        self._subs[BOOL_OUTPUT] = self._node.create_subscription(
            Bool, f'{self.outputs_prefix}/{BOOL_OUTPUT}', self._collector.on_bool,
            reliable_qos(100))
        # Every other output, subscribed before the node starts so that none of its messages
        # is missed; those whose message package is not installed here cannot come.
        for name in extra_outputs(options.on_demand_outputs):
            msg_class = message_class(names.OUTPUT_TYPES[name])
            if msg_class is not None:
                self._subs[name] = self._node.create_subscription(
                    msg_class, f'{self.outputs_prefix}/{name}',
                    lambda msg, name=name: self._collector.on_extra(name, msg),
                    reliable_qos(100))
        self._executor = SingleThreadedExecutor(context=self._context)
        self._executor.add_node(self._node)
        self._thread = threading.Thread(target=self._spin, name='replay_executor', daemon=True)
        self._thread.start()
        self._node_process = None
        try:
            if options.node == INPROCESS:
                self._node_process = _InProcessNode(options)
            else:
                self._node_process = _SubprocessNode(options)
        except BaseException:
            self.close()
            raise

    def _spin(self) -> None:
        try:
            self._executor.spin()
        except ExternalShutdownException:
            pass

    def _fail(self, reason: str) -> ReplayError:
        tail = self._node_process.log_tail() if self._node_process else ''
        return ReplayError(reason + (f'\n--- node log (last lines) ---\n{tail}' if tail else ''))

    def wait_ready(self) -> Tuple[str, ...]:
        """Wait until the node listens to the input and publishes outputs; return the frame's."""
        deadline = time.monotonic() + self.options.startup_timeout
        seen_at = None
        while True:
            failure = self._node_process.failure()
            if failure:
                raise self._fail(f'{failure} before it was ready')
            # and to the depth input: a depth frame published before would be lost
            listening = all(publisher.get_subscription_count() > 0 for publisher in
                            (self._image_pub, *self._depth_pubs.values()))
            present = tuple(name for name in FRAME_OUTPUTS
                            if self._subs[name].get_publisher_count() > 0)
            if listening and REQUIRED_OUTPUT in present:
                seen_at = seen_at or time.monotonic()
                # Give discovery a moment to report the other outputs as well.
                if len(present) == len(FRAME_OUTPUTS) or time.monotonic() - seen_at > 2.0:
                    self._collector.required = present
                    return present
            if time.monotonic() > deadline:
                raise self._fail(
                    f'the node did not subscribe to {self.options.input_topic} and publish '
                    f'{self.outputs_prefix}/{REQUIRED_OUTPUT} within '
                    f'{self.options.startup_timeout:.0f} s '
                    f'(subscribed: {listening}; outputs seen: {", ".join(present) or "none"})')
            time.sleep(0.05)

    def _send(self, frame: Frame) -> None:
        """Publish /clock, the frame's depth messages, then the frame itself."""
        self._offer(self._clock_pub, Clock(clock=messages.stamp(frame.stamp_ns)))
        self._send_depth(frame)
        self._offer(self._image_pub, messages.camera_image(frame.bgr, frame.stamp_ns,
                                                           frame.frame_id))

    def _send_depth(self, frame: Frame) -> None:
        """Publish the frame's depth and camera_info messages (CDR bytes, as recorded)."""
        for message in frame.depth:
            publisher = self._depth_pubs.get(message.msgtype)
            if publisher is not None:
                self._offer(publisher, message.data)

    def _offer(self, publisher, message) -> None:
        try:
            publish_patiently(publisher, message)
        except ReplayError as error:  # with the node's last lines: why it stopped reading
            raise self._fail(str(error)) from None

    def _publish(self, index: int, frame: Frame) -> None:
        self._collector.published(index, frame.stamp_ns)
        self._send(frame)

    def _prime_depth(self, frame: Frame) -> None:
        """
        Send the first frame's depth messages for a moment before the frame itself.

        A reader that shows up as matched here may not have matched this process's writer yet:
        a message sent in between reaches the node late, after a resend, and the first frame
        would be segmented before its depth or camera_info came. A camera driver publishes
        them all the time; the node keeps the latest camera_info and pairs depth by stamp, so
        the repeats change nothing but their arrival.
        """
        deadline = time.perf_counter() + self.options.depth_settle
        while time.perf_counter() < deadline:
            self._send_depth(frame)
            time.sleep(0.1)

    def play(self, frames: Iterable[Frame], on_result: Callable[[FrameResult], None],
             on_extra: Optional[Callable[[ExtraOutput], None]] = None) -> ReplayStats:
        """Publish the frames; hand each complete result, and each extra output, on."""
        stats = ReplayStats(mode=self.options.mode)
        started = None
        published_first = published_last = None

        def deliver(block_s: float) -> bool:
            while True:  # extras first: cheap, and never waited for
                try:
                    extra = self._collector.extras.get_nowait()
                except queue.Empty:
                    break
                stats.extras[extra.name] = stats.extras.get(extra.name, 0) + 1
                if on_extra is not None:
                    on_extra(extra)
            try:
                result = self._collector.completed.get(timeout=block_s) if block_s > 0 \
                    else self._collector.completed.get_nowait()
            except queue.Empty:
                return False
            stats.record(result)
            on_result(result)
            return True

        first_stamp = None
        for index, frame in enumerate(frames):
            now = time.perf_counter()
            if started is None:
                if frame.depth and self._depth_pubs:
                    self._prime_depth(frame)
                    now = time.perf_counter()
                started = now
                first_stamp = frame.stamp_ns
            if self.options.mode == REALTIME:
                due = started + (frame.stamp_ns - first_stamp) / 1e9 / self.options.rate
                while True:
                    delivered = deliver(0)
                    wait = due - time.perf_counter()
                    if wait <= 0:
                        break
                    if not delivered:
                        time.sleep(min(wait, 0.005))
                self._publish(index, frame)
            else:
                self._publish_until_done(index, frame, stats, deliver)
            stats.frames_in += 1
            published_first = published_first or time.perf_counter()
            published_last = time.perf_counter()
            failure = self._node_process.failure()
            if failure:
                raise self._fail(f'{failure} during the replay (frame {index})')
        # Collect what is still on its way: results, then extras that follow the last result
        # (published with or after it, over other DDS topics).
        while stats.frames_out < stats.frames_in:
            if deliver(0.05):
                continue
            idle_since = max(self._collector.last_output, published_last or 0.0)
            if time.perf_counter() - idle_since > self.options.drain_idle:
                break
        while stats.extras and \
                time.perf_counter() - self._collector.last_output < self.options.extras_idle:
            deliver(0.01)
        deliver(0)
        if started is not None:
            last = max(self._collector.last_output, published_last)
            stats.wall_s = last - started
            span = published_last - published_first
            stats.input_fps = (stats.frames_in - 1) / span if span > 0 else 0.0
        return stats

    def _publish_until_done(self, index: int, frame: Frame, stats, deliver) -> None:
        stamp_ns = frame.stamp_ns
        first_try = time.perf_counter()
        self._publish(index, frame)
        last_try = first_try
        while not self._collector.is_done(stamp_ns):
            deliver(0.05)
            now = time.perf_counter()
            failure = self._node_process.failure()
            if failure:
                raise self._fail(f'{failure} during the replay (frame {index})')
            if now - first_try > self.options.frame_timeout:
                raise self._fail(f'no output for frame {index} (stamp {stamp_ns} ns) within '
                                 f'{self.options.frame_timeout:.0f} s')
            if now - last_try > self.options.retry_after:
                stats.republished += 1
                last_try = now
                self._send(frame)
        while deliver(0):
            pass

    def close(self) -> None:
        """Stop the segmentation node and the replay node."""
        if self._node_process is not None:
            self._node_process.stop()
            self._node_process = None
        if self._executor is not None:
            self._executor.shutdown(timeout_sec=5)
            self._executor = None
            self._node.destroy_node()
            self._context.try_shutdown()
            self._thread.join(timeout=5)
        for name, value in self._environment_before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._environment_before = {}

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
