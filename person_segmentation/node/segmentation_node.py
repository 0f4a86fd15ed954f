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
The ROS 2 node: camera images in; mask, overlay, probability, presence, diagnostics out.

This module is only the ROS adapter. The image callback never waits for inference: it hands
the message to a FrameWorker (newest frame wins, older unprocessed ones are dropped and counted)
and returns. The worker converts the image (image_conversion), runs the Segmenter, and publishes
every output with the input's header unchanged. Bad frames are skipped with a rate-limited
warning; the node keeps running.
"""

from dataclasses import dataclass, replace
import signal
import sys
import time
from typing import Any, List, Optional

import cv2
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
import numpy as np
from person_segmentation import exit_codes, names
from person_segmentation.engine.presence import PresenceHysteresis
from person_segmentation.engine.rendering import render_overlay
from person_segmentation.engine.segmenter import Segmenter
from person_segmentation.media.image_conversion import (array_to_fields, compressed_to_rgb,
                                                        image_msg_to_rgb, ImageConversionError)
from person_segmentation.models.files import ModelFileError
from person_segmentation.node import interrupts
from person_segmentation.node import parameters as node_parameters
from person_segmentation.node.frame_stats import FrameStats
from person_segmentation.node.frame_worker import FrameWorker
from person_segmentation.node.qos import AUTO, choose_reliability, reliability_name, RELIABLE
from person_segmentation.node.rate_limited_log import RateLimitedLog
from person_segmentation.node.staleness import stale_reason
from rcl_interfaces.msg import SetParametersResult
from rcl_interfaces.srv import SetParameters, SetParametersAtomically
import rclpy
from rclpy.clock import Clock, ClockType
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Bool

try:  # vision_msgs is optional (not on PyPI)
    from vision_msgs.msg import Detection2D, Detection2DArray, ObjectHypothesisWithPose
except ImportError:  # pragma: no cover - depends on the installation
    Detection2D = Detection2DArray = ObjectHypothesisWithPose = None

NO_INPUT_WARN_SECONDS = 5.0


@dataclass
class _Frame:
    """One received message waiting for the worker."""

    msg: Any
    compressed: bool
    received: float  # node clock, seconds
    arrived: float  # steady clock (time.monotonic), seconds: how long it waited


def _stamp_seconds(stamp) -> float:
    return float(stamp.sec) + float(stamp.nanosec) * 1e-9


def _input_qos(reliability: str, depth: int) -> QoSProfile:
    """Keep-last ``depth``, volatile, with the reliability ``qos.choose_reliability`` chose."""
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=int(depth),
                      reliability=(ReliabilityPolicy.RELIABLE if reliability == RELIABLE
                                   else ReliabilityPolicy.BEST_EFFORT),
                      durability=DurabilityPolicy.VOLATILE)


def _image_msg(header, array: np.ndarray, encoding: str) -> Image:
    msg = Image(**array_to_fields(array, encoding))
    msg.header = header
    return msg


class PersonSegmentationNode(Node):
    """Segments people in camera images; see docs/node.md for topics and parameters."""

    def __init__(self, **kwargs):
        super().__init__(names.NODE_NAME, **kwargs)
        try:
            self._setup()
        except BaseException:
            self._stop_worker()
            super().destroy_node()
            raise

    # ------------------------------------------------------------------ set-up
    def _setup(self) -> None:
        self._worker: Optional[FrameWorker] = None
        self._segmenter: Optional[Segmenter] = None
        for spec in node_parameters.PARAMETERS:
            self.declare_parameter(spec.name, spec.default, node_parameters.descriptor(spec))
        values = {spec.name: self.get_parameter(spec.name).value
                  for spec in node_parameters.PARAMETERS}
        reason = node_parameters.validate_changes(values)
        if reason:
            raise ValueError(f'invalid parameter: {reason}')
        self._values = values
        self._log = self.get_logger()
        # One logger object per severity: rclpy raises "Logger severity cannot be changed
        # between calls" when one call site (RateLimitedLog's) logs at two severities through
        # the same logger object.
        self._warn = RateLimitedLog(rclpy.logging.get_logger(self._log.name).warning)
        self._error = RateLimitedLog(rclpy.logging.get_logger(self._log.name).error)
        self._stats = FrameStats()
        self.overlays_rendered = 0  # only while ~/overlay has subscribers
        self._presence = PresenceHysteresis(values['presence_on_frames'],
                                            values['presence_off_frames'])
        self._segmenter = Segmenter(
            model=values['model'] or None, preset=values['preset'], threads=values['threads'],
            strategy=values['strategy'] or None, smoothing=values['smoothing'],
            threshold=values['threshold'], min_region_area=values['min_region_area'] or None,
            model_dir=values['model_dir'] or None, backend=values['backend'],
            device=values['device'])
        self._apply_presence_rule()
        self._create_publishers()
        if getattr(self, 'add_post_set_parameters_callback', None) is not None:  # Iron and later
            self.add_on_set_parameters_callback(self._validate_parameters)
            self.add_post_set_parameters_callback(self._apply_parameters)
        else:  # Humble's rclpy has no post-set callback: apply in the one that validates
            self.add_on_set_parameters_callback(self._validate_and_apply_parameters)
        self._guard_parameter_services()

        steady = Clock(clock_type=ClockType.STEADY_TIME)
        self._compressed = bool(values['input_compressed'])
        self._input_topic = 'image/compressed' if self._compressed else 'image'
        self._subscription = None
        self._reliability: Optional[str] = None
        self._worker = FrameWorker(self._process, on_drop=self._stats.on_dropped,
                                   on_error=self._on_worker_error,
                                   name='person_segmentation_worker')
        self._update_subscription()
        if values['qos_reliability'] == AUTO:
            self._qos_timer = self.create_timer(0.5, self._update_subscription, clock=steady)
        self._diagnostics_timer = self.create_timer(values['diagnostics_period'],
                                                    self._publish_diagnostics, clock=steady)
        self._log_timer = self.create_timer(1.0, self._flush_logs, clock=steady)
        backend = self._segmenter.backend
        kind = 'CompressedImage' if self._compressed else 'Image'
        self._log.info(
            f'{self._segmenter.describe()} ({backend.selection}); input '
            f'{self._subscription.topic_name} '
            f'({kind}, qos_reliability={values["qos_reliability"]})')

    def _create_publishers(self) -> None:
        values = self._values
        image_qos = QoSProfile(depth=2, reliability=ReliabilityPolicy.RELIABLE)
        self._mask_pub = (self.create_publisher(Image, '~/mask', image_qos)
                          if values['publish_mask'] else None)
        self._overlay_pub = (self.create_publisher(Image, '~/overlay', image_qos)
                             if values['publish_overlay'] else None)
        self._probability_pub = (self.create_publisher(Image, '~/probability', image_qos)
                                 if values['publish_probability'] else None)
        self._presence_pub = (self.create_publisher(Bool, '~/person_detected', 10)
                              if values['publish_person_detected'] else None)
        self._persons_pub = None
        if values['publish_persons']:
            if Detection2DArray is None:
                self._log.info('vision_msgs is not installed: the ~/persons output '
                               '(vision_msgs/Detection2DArray) is off')
            else:
                self._persons_pub = self.create_publisher(Detection2DArray, '~/persons', 10)
        self._diagnostics_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)

    # ------------------------------------------------------------------ QoS
    def _update_subscription(self) -> None:
        """(Re-)create the image subscription with the reliability the publishers need."""
        mode = self._values['qos_reliability']
        offered: List[str] = []
        if mode == AUTO:
            try:
                infos = self.get_publishers_info_by_topic(self._input_topic)
            except Exception as error:  # noqa: B902 - graph queries fail during shutdown
                self._warn('graph', f'cannot query publishers of {self._input_topic}: {error}')
                return
            offered = [reliability_name(info.qos_profile.reliability) for info in infos]
        wanted = choose_reliability(mode, offered)
        if wanted == self._reliability and self._subscription is not None:
            return
        if self._subscription is not None:
            self.destroy_subscription(self._subscription)
        msg_type = CompressedImage if self._compressed else Image
        self._subscription = self.create_subscription(
            msg_type, self._input_topic, self._on_image,
            _input_qos(wanted, self._values['qos_depth']))
        if self._reliability is not None or offered:
            self._log.info(f'image publishers offer {", ".join(sorted(set(offered))) or "-"}: '
                           f'subscribing to {self._subscription.topic_name} as {wanted}')
        self._reliability = wanted

    @property
    def reliability(self) -> Optional[str]:
        """Return the reliability the image subscription uses now (reliable / best_effort)."""
        return self._reliability

    @property
    def stats(self) -> FrameStats:
        """Return the frame counters (received, processed, dropped, ...)."""
        return self._stats

    @property
    def segmenter(self) -> Segmenter:
        """Return the engine in use."""
        return self._segmenter

    # ------------------------------------------------------------------ parameters
    def _apply_presence_rule(self) -> None:
        """Give the engine the presence evidence parameters (the preset keeps the rest)."""
        self._segmenter.presence_rule = replace(
            self._segmenter.presence_rule,
            min_area=float(self._values['presence_min_area']),
            min_confidence=float(self._values['presence_min_confidence']))

    def _validate_parameters(self, parameters: List[Parameter]) -> SetParametersResult:
        changes = {p.name: p.value for p in parameters}
        reason = node_parameters.validate_changes(changes)
        return SetParametersResult(successful=reason is None, reason=reason or '')

    def _guard_parameter_services(self) -> None:
        """
        Refuse malformed set-parameter requests before rclpy's parameter service sees them.

        rclpy (Humble to Kilted) lets the executor, and so the node, die on a parameter type it
        does not know (``ValueError: 99 is not a valid Parameter.Type`` from
        ``Parameter.from_parameter_msg``), and sets a parameter with an empty name (its
        undeclared-parameter check tests ``any()`` of the names). rclcpp had the same crash:
        https://github.com/ros2/rclcpp/issues/3257.
        """
        for service in self.services:
            if service.srv_type in (SetParameters, SetParametersAtomically):
                service.callback = self._refusing_malformed(service.callback)

    def _refusing_malformed(self, callback):
        def guarded(request, response):
            problem = next(filter(None, map(node_parameters.malformed_parameter,
                                            request.parameters)), None)
            if problem is None:
                return callback(request, response)
            self._warn('parameters', f'refused a set-parameters request: {problem}')
            result = SetParametersResult(successful=False, reason=f'refused: {problem}')
            if isinstance(response, SetParameters.Response):
                response.results = [result] * len(request.parameters)
            else:
                response.result = result
            return response
        return guarded

    def _validate_and_apply_parameters(self, parameters: List[Parameter]) -> SetParametersResult:
        result = self._validate_parameters(parameters)
        if result.successful:
            self._apply_parameters(parameters)
        return result

    def _apply_parameters(self, parameters: List[Parameter]) -> None:
        changed = {p.name: p.value for p in parameters}
        self._values.update(changed)
        if 'threshold' in changed:
            self._segmenter.threshold = changed['threshold']
        if 'smoothing' in changed:
            self._segmenter.smoothing = changed['smoothing']
        if 'presence_min_area' in changed or 'presence_min_confidence' in changed:
            self._apply_presence_rule()
        if 'presence_on_frames' in changed or 'presence_off_frames' in changed:
            self._presence.set_frames(self._values['presence_on_frames'],
                                      self._values['presence_off_frames'])
        names = ', '.join(f'{name}={value!r}' for name, value in changed.items()
                          if name in node_parameters.BY_NAME)
        if names:
            self._log.info(f'parameters changed: {names}')

    # ------------------------------------------------------------------ input
    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_image(self, msg) -> None:
        """Subscription callback: never waits for inference."""
        now = self._now()
        self._stats.on_received(now)
        self._worker.submit(_Frame(msg, self._compressed, now, time.monotonic()))

    # ------------------------------------------------------------------ worker
    def _on_worker_error(self, error: BaseException) -> None:
        if not self.context.ok():
            return
        self._stats.on_failed()
        self._error(f'error:{type(error).__name__}',
                    f'processing a frame failed: {type(error).__name__}: {error}')

    def _process(self, frame: _Frame) -> None:
        values = self._values
        header = frame.msg.header
        stamp = _stamp_seconds(header.stamp)
        stale = stale_reason(values['max_age_reference'], values['max_age'],
                             time.monotonic() - frame.arrived,
                             self._now() - stamp if stamp > 0.0 else None)
        if stale is not None:
            self._stats.on_stale()
            self._warn(*stale)
            return
        try:
            if frame.compressed:
                rgb = compressed_to_rgb(frame.msg.data, frame.msg.format,
                                        values['max_image_pixels'])
            else:
                rgb = image_msg_to_rgb(frame.msg, None if values['use_cv_bridge'] else False,
                                       values['max_image_pixels'])
        except ImageConversionError as error:
            self._stats.on_invalid()
            self._warn(f'invalid: {error.kind}', f'skipping an image ({error.kind}): {error}')
            return
        result = self._segmenter(rgb, timestamp=stamp if stamp > 0.0 else frame.received)
        self._publish(header, rgb, result)
        now = self._now()
        self._stats.on_processed(now, now - stamp if stamp > 0.0 else None,
                                 sum(result.timings.values()) * 1e-3)

    def _publish(self, header, rgb: np.ndarray, result) -> None:
        values = self._values
        if self._mask_pub is not None:
            self._mask_pub.publish(_image_msg(header, result.mask, 'mono8'))
        if self._probability_pub is not None:
            if values['probability_encoding'] == '32FC1':
                probability = result.probability.astype(np.float32, copy=False)
                self._probability_pub.publish(_image_msg(header, probability, '32FC1'))
            else:
                probability = (result.probability * 255.0 + 0.5).astype(np.uint8)
                self._probability_pub.publish(_image_msg(header, probability, 'mono8'))
        if self._overlay_pub is not None and self._overlay_pub.get_subscription_count() > 0:
            overlay = render_overlay(rgb, result.mask, tuple(values['overlay_color']),
                                     values['overlay_alpha'], values['overlay_outline'])
            bgr = cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR, dst=overlay)  # in place: one copy less
            self._overlay_pub.publish(_image_msg(header, bgr, 'bgr8'))
            self.overlays_rendered += 1
        if self._presence_pub is not None:
            self._presence_pub.publish(Bool(data=self._presence.update(result.person_present)))
        if self._persons_pub is not None:
            self._persons_pub.publish(self._detections(header, result.regions))

    @staticmethod
    def _detections(header, regions):
        array = Detection2DArray(header=header)
        for region in regions:
            x, y, w, h = region.bbox
            detection = Detection2D(header=header)
            detection.id = 'person'
            hypothesis = ObjectHypothesisWithPose()
            if hasattr(hypothesis, 'hypothesis'):  # vision_msgs >= 3
                hypothesis.hypothesis.class_id = 'person'
                hypothesis.hypothesis.score = float(region.confidence)
            else:  # pragma: no cover - old vision_msgs
                hypothesis.id = 'person'
                hypothesis.score = float(region.confidence)
            detection.results.append(hypothesis)
            center = detection.bbox.center
            position = getattr(center, 'position', center)  # Pose2D.position since 4.0
            position.x = float(x) + float(w) / 2.0
            position.y = float(y) + float(h) / 2.0
            detection.bbox.size_x = float(w)
            detection.bbox.size_y = float(h)
            array.detections.append(detection)
        return array

    # ------------------------------------------------------------------ diagnostics
    def diagnostic_status(self) -> DiagnosticStatus:
        """Return the node's current health, as published on /diagnostics."""
        snapshot = self._stats.snapshot(self._now())
        backend = self._segmenter.backend
        device = str(backend.device)
        name = self.get_fully_qualified_name().lstrip('/')
        status = DiagnosticStatus(name=f'{name}: segmentation', hardware_id=device)
        since = snapshot['seconds_since_input']
        if snapshot['received'] == 0 or not since <= NO_INPUT_WARN_SECONDS:
            status.level = DiagnosticStatus.WARN
            status.message = f'no images on {self._subscription.topic_name}'
        elif snapshot['processed'] == 0:
            status.level = DiagnosticStatus.WARN
            status.message = 'images received but none processed (see the log)'
        else:
            status.level = DiagnosticStatus.OK
            status.message = 'segmenting'

        def ms(seconds: float) -> str:
            return 'nan' if seconds != seconds else f'{seconds * 1e3:.1f}'

        values = {
            'input topic': self._subscription.topic_name,
            'input reliability': str(self._reliability),
            'input rate (Hz)': f'{snapshot["input_rate"]:.2f}',
            'processed rate (Hz)': f'{snapshot["processed_rate"]:.2f}',
            'received frames': str(snapshot['received']),
            'processed frames': str(snapshot['processed']),
            'dropped frames': str(snapshot['dropped']),
            'stale frames skipped': str(snapshot['stale']),
            'invalid frames skipped': str(snapshot['invalid']),
            'failed frames': str(snapshot['failed']),
            'latency p50 (ms)': ms(snapshot['latency_p50']),
            'latency p95 (ms)': ms(snapshot['latency_p95']),
            'inference p50 (ms)': ms(snapshot['inference_p50']),
            'preset': self._segmenter.preset.name if self._segmenter.preset else 'none (model)',
            'model': self._segmenter.model_name,
            'backend': str(backend.name),
            'device': device,
            'backend selection': str(backend.selection),
            'threads': str(self._values['threads']),
        }
        status.values = [KeyValue(key=key, value=value) for key, value in values.items()]
        return status

    def _flush_logs(self) -> None:
        """Report what the rate limits held back, once their period is over."""
        self._warn.flush()
        self._error.flush()

    def _publish_diagnostics(self) -> None:
        array = DiagnosticArray()
        array.header.stamp = self.get_clock().now().to_msg()
        array.status = [self.diagnostic_status()]
        self._diagnostics_pub.publish(array)

    # ------------------------------------------------------------------ shutdown
    def _stop_worker(self) -> bool:
        """Stop the worker after its current frame; False if it is still running."""
        worker = getattr(self, '_worker', None)
        if worker is not None:
            if not worker.stop(timeout=10.0):
                return False
            self._worker = None
        return True

    def destroy_node(self) -> None:
        """Stop the worker (after its current frame), release the model, destroy the node."""
        stopped = self._stop_worker()
        segmenter = getattr(self, '_segmenter', None)
        if not stopped:  # never pull the model from under a frame in progress
            self.get_logger().warning('a frame was still being processed after 10 s; '
                                      'leaving the model to the process exit')
        elif segmenter is not None:
            segmenter.close()
            self._segmenter = None
        super().destroy_node()


def _ignore_sigint() -> None:
    """
    Let no further Ctrl-C interrupt the shutdown that the first one started.

    In a terminal, Ctrl-C reaches both ``ros2 launch`` and the node, and launch then sends the
    node a SIGINT of its own: the second one would raise KeyboardInterrupt inside
    ``destroy_node`` (a traceback and exit code -2). The shutdown is short and bounded (the
    worker finishes its current frame); launch escalates to SIGTERM and SIGKILL if it is not.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def main(args=None) -> int:
    """Run the node until Ctrl-C / SIGTERM; exit_codes.ERROR when it cannot start."""
    rclpy.init(args=args)
    try:
        node = PersonSegmentationNode()
    except KeyboardInterrupt:  # Ctrl-C while the model loads: a clean stop
        _ignore_sigint()
        rclpy.try_shutdown()
        return exit_codes.OK
    except (ModelFileError, ValueError, KeyError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        rclpy.logging.get_logger(names.NODE_NAME).error(f'cannot start: {message}')
        rclpy.try_shutdown()
        return exit_codes.ERROR
    except Exception as error:  # noqa: B902 - e.g. rclpy's parameter exceptions
        if not rclpy.ok():  # Ctrl-C / SIGTERM shut the context down under the constructor
            return exit_codes.OK
        rclpy.logging.get_logger(names.NODE_NAME).error(
            f'cannot start: {type(error).__name__}: {error}')
        rclpy.try_shutdown()
        return exit_codes.ERROR
    try:
        if not interrupts.requested():  # else a Ctrl-C while starting that a library swallowed
            rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception:  # noqa: B902
        if rclpy.ok():  # a real failure: keep its traceback
            raise
        # else a callback that was running when Ctrl-C / SIGTERM shut the context down
        # failed on it (e.g. "publisher's context is invalid"): part of a clean stop
    finally:
        _ignore_sigint()
        node.destroy_node()
        rclpy.try_shutdown()
        _ignore_sigint()  # try_shutdown may put back the handler that raises KeyboardInterrupt
    return exit_codes.OK


if __name__ == '__main__':
    sys.exit(main())
