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

This module is only the ROS adapter: it declares the parameters, loads the engine, and sets up
the subscription, publishers and timers around a ``FramePipeline``, which does the per-frame
work (convert, segment, publish; node/pipeline.py). The image callback never waits for
inference: it hands the message to a FrameWorker (newest frame wins, older unprocessed ones are
dropped and counted) and returns. Bad frames are skipped with a rate-limited warning; the node
keeps running. ``node/main.py`` starts it.
"""

from dataclasses import replace
from typing import List, Optional

from diagnostic_msgs.msg import DiagnosticArray
from person_segmentation import names
from person_segmentation.engine.segmenter import Segmenter
from person_segmentation.node import messages, parameters
from person_segmentation.node.frame_stats import FrameStats
from person_segmentation.node.frame_worker import FrameWorker
from person_segmentation.node.parameters import Settings
from person_segmentation.node.pipeline import FramePipeline, Outputs
from person_segmentation.node.qos import AUTO, choose_reliability, reliability_name, RELIABLE
from person_segmentation.node.rate_limited_log import RateLimitedLog
from rcl_interfaces.msg import SetParametersResult
from rcl_interfaces.srv import SetParameters, SetParametersAtomically
import rclpy
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Bool

#: The outputs' QoS: reliable keep-last 2 matches reliable and best-effort subscribers alike.
OUTPUT_IMAGE_QOS = QoSProfile(depth=2, reliability=ReliabilityPolicy.RELIABLE)


def _input_qos(reliability: str, depth: int) -> QoSProfile:
    """Keep-last ``depth``, volatile, with the reliability ``qos.choose_reliability`` chose."""
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=int(depth),
                      reliability=(ReliabilityPolicy.RELIABLE if reliability == RELIABLE
                                   else ReliabilityPolicy.BEST_EFFORT),
                      durability=DurabilityPolicy.VOLATILE)


class PersonSegmentationNode(Node):
    """Segments people in camera images; see docs/node.md for topics and parameters."""

    def __init__(self, **kwargs):
        super().__init__(names.NODE_NAME, **kwargs)
        self._worker: Optional[FrameWorker] = None
        self._segmenter: Optional[Segmenter] = None
        try:
            self._configure()
            self._activate()
        except BaseException:
            self._stop_worker()
            super().destroy_node()
            raise

    # ------------------------------------------------------------------ set-up
    def _configure(self) -> None:
        """Declare the parameters, load the engine, create the outputs and the pipeline."""
        self._settings = self._declare_parameters()
        self._log = self.get_logger()
        # One logger object per severity: rclpy raises "Logger severity cannot be changed
        # between calls" when one call site (RateLimitedLog's) logs at two severities through
        # the same logger object.
        self._warn = RateLimitedLog(rclpy.logging.get_logger(self._log.name).warning)
        self._error = RateLimitedLog(rclpy.logging.get_logger(self._log.name).error)
        settings = self._settings
        self._segmenter = Segmenter(
            model=settings.model or None, preset=settings.preset, threads=settings.threads,
            strategy=settings.strategy or None, smoothing=settings.smoothing,
            threshold=settings.threshold, min_region_area=settings.min_region_area or None,
            model_dir=settings.model_dir or None, backend=settings.backend,
            device=settings.device)
        self._apply_presence_rule()
        self._pipeline = FramePipeline(self._segmenter, self._create_outputs(),
                                       lambda: self._settings, self._now, self._warn)
        self._diagnostics_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self._watch_parameters()

    def _activate(self) -> None:
        """Start the worker, subscribe to the camera and start the timers."""
        settings = self._settings
        self._compressed = settings.input_compressed
        self._input_topic = 'image/compressed' if self._compressed else 'image'
        self._subscription = None
        self._reliability: Optional[str] = None
        self._worker = FrameWorker(self._pipeline.process, on_drop=self._pipeline.stats.on_dropped,
                                   on_error=self._on_worker_error,
                                   name='person_segmentation_worker')
        self._update_subscription()
        steady = Clock(clock_type=ClockType.STEADY_TIME)
        if settings.qos_reliability == AUTO:
            self._qos_timer = self.create_timer(0.5, self._update_subscription, clock=steady)
        self._diagnostics_timer = self.create_timer(settings.diagnostics_period,
                                                    self._publish_diagnostics, clock=steady)
        self._log_timer = self.create_timer(1.0, self._flush_logs, clock=steady)
        kind = 'CompressedImage' if self._compressed else 'Image'
        self._log.info(
            f'{self._segmenter.describe()} ({self._segmenter.backend.selection}); input '
            f'{self._subscription.topic_name} ({kind}, '
            f'qos_reliability={settings.qos_reliability})')

    def _declare_parameters(self) -> Settings:
        """Declare every parameter (an integer given for a DOUBLE one counts as that number)."""
        # rclpy's start-up values (-p, params files); a YAML `64` for a DOUBLE parameter would
        # stop the node ("expected DOUBLE, got INTEGER") before any callback of ours runs.
        overrides = getattr(self, '_parameter_overrides', {})
        values = {}
        for spec in parameters.PARAMETERS:
            given = overrides.get(spec.name)
            if spec.is_float and given is not None and given.type_ == Parameter.Type.INTEGER:
                overrides[spec.name] = Parameter(spec.name, Parameter.Type.DOUBLE,
                                                 float(given.value))
            values[spec.name] = self.declare_parameter(
                spec.name, spec.default, parameters.descriptor(spec)).value
        reason = parameters.validate_changes(values)
        if reason:
            raise ValueError(f'invalid parameter: {reason}')
        return Settings().changed(values)

    def _create_outputs(self) -> Outputs:
        settings = self._settings

        def output(enabled: bool, msg_type, name: str, qos):
            return self.create_publisher(msg_type, f'~/{name}', qos) if enabled else None

        outputs = Outputs(
            mask=output(settings.publish_mask, Image, names.MASK, OUTPUT_IMAGE_QOS),
            probability=output(settings.publish_probability, Image, names.PROBABILITY,
                               OUTPUT_IMAGE_QOS),
            overlay=output(settings.publish_overlay, Image, names.OVERLAY, OUTPUT_IMAGE_QOS),
            person_detected=output(settings.publish_person_detected, Bool,
                                   names.PERSON_DETECTED, 10))
        if settings.publish_persons:
            if messages.DETECTIONS_AVAILABLE:
                outputs.persons = output(True, messages.Detection2DArray, names.PERSONS, 10)
            else:
                self._log.info(f'vision_msgs is not installed: the ~/{names.PERSONS} output '
                               '(vision_msgs/Detection2DArray) is off')
        return outputs

    # ------------------------------------------------------------------ QoS
    def _update_subscription(self) -> None:
        """(Re-)create the image subscription with the reliability the publishers need."""
        mode = self._settings.qos_reliability
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
            _input_qos(wanted, self._settings.qos_depth))
        if self._reliability is not None or offered:
            self._log.info(f'image publishers offer {", ".join(sorted(set(offered))) or "-"}: '
                           f'subscribing to {self._subscription.topic_name} as {wanted}')
        self._reliability = wanted

    @property
    def reliability(self) -> Optional[str]:
        """Return the reliability the image subscription uses now (reliable / best_effort)."""
        return self._reliability

    @property
    def settings(self) -> Settings:
        """Return the parameter values in use now."""
        return self._settings

    @property
    def stats(self) -> FrameStats:
        """Return the frame counters (received, processed, dropped, ...)."""
        return self._pipeline.stats

    @property
    def segmenter(self) -> Segmenter:
        """Return the engine in use."""
        return self._segmenter

    @property
    def overlays_rendered(self) -> int:
        """Return how many overlays were rendered (only while ~/overlay has subscribers)."""
        return self._pipeline.overlays_rendered

    # ------------------------------------------------------------------ parameters
    def _watch_parameters(self) -> None:
        """Check live changes before they are set and apply them once they are."""
        if getattr(self, 'add_post_set_parameters_callback', None) is not None:  # Iron and later
            self.add_on_set_parameters_callback(self._validate_parameters)
            self.add_post_set_parameters_callback(self._apply_parameters)
        else:  # Humble's rclpy has no post-set callback: apply in the one that validates
            self.add_on_set_parameters_callback(self._validate_and_apply_parameters)
        for service in self.services:
            if service.srv_type in (SetParameters, SetParametersAtomically):
                service.callback = self._checking_requests(service.callback)

    def _checking_requests(self, callback):
        """
        Wrap a set-parameters service: mend or refuse a request before rclpy's service sees it.

        An INTEGER for one of our DOUBLE parameters (what ``ros2 param set ... 64`` sends)
        becomes that DOUBLE; rclpy would refuse it. Refused: a parameter type that is not an
        rcl_interfaces/ParameterType and an empty name, which rclpy (Humble to Kilted) does not
        check: an unknown type raised ``ValueError: 99 is not a valid Parameter.Type`` inside
        its service and stopped the executor, and so the node (rclcpp had the same crash:
        https://github.com/ros2/rclcpp/issues/3257); an empty name was declared.
        """
        def checked(request, response):
            problem = next(filter(None, map(parameters.malformed_parameter,
                                            request.parameters)), None)
            if problem is None:
                for parameter in request.parameters:
                    parameters.widen_integer(parameter)
                return callback(request, response)
            self._warn('parameters', f'refused a set-parameters request: {problem}')
            result = SetParametersResult(successful=False, reason=f'refused: {problem}')
            if isinstance(response, SetParameters.Response):
                response.results = [result] * len(request.parameters)
            else:
                response.result = result
            return response
        return checked

    def _validate_parameters(self, changed: List[Parameter]) -> SetParametersResult:
        reason = parameters.validate_changes({p.name: p.value for p in changed})
        return SetParametersResult(successful=reason is None, reason=reason or '')

    def _validate_and_apply_parameters(self, changed: List[Parameter]) -> SetParametersResult:
        result = self._validate_parameters(changed)
        if result.successful:
            self._apply_parameters(changed)
        return result

    def _apply_parameters(self, changed: List[Parameter]) -> None:
        old = self._settings
        settings = self._settings = old.changed({p.name: p.value for p in changed})
        if settings.threshold != old.threshold:
            self._segmenter.threshold = settings.threshold
        if settings.smoothing != old.smoothing:
            self._segmenter.smoothing = settings.smoothing
        if (settings.presence_min_area, settings.presence_min_confidence) != (
                old.presence_min_area, old.presence_min_confidence):
            self._apply_presence_rule()
        if (settings.presence_on_frames, settings.presence_off_frames) != (
                old.presence_on_frames, old.presence_off_frames):
            self._pipeline.presence.set_frames(settings.presence_on_frames,
                                               settings.presence_off_frames)
        ours = ', '.join(f'{p.name}={p.value!r}' for p in changed if p.name in parameters.BY_NAME)
        if ours:
            self._log.info(f'parameters changed: {ours}')

    def _apply_presence_rule(self) -> None:
        """Give the engine the presence evidence parameters (the preset keeps the rest)."""
        self._segmenter.presence_rule = replace(
            self._segmenter.presence_rule, min_area=self._settings.presence_min_area,
            min_confidence=self._settings.presence_min_confidence)

    # ------------------------------------------------------------------ input
    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_image(self, msg) -> None:
        """Subscription callback: never waits for inference."""
        self._worker.submit(self._pipeline.frame(msg, self._compressed))

    def _on_worker_error(self, error: BaseException) -> None:
        if not self.context.ok():
            return
        self._pipeline.stats.on_failed()
        self._error(f'error:{type(error).__name__}',
                    f'processing a frame failed: {type(error).__name__}: {error}')

    # ------------------------------------------------------------------ diagnostics
    def diagnostic_status(self):
        """Return the node's current health, as published on /diagnostics."""
        name = self.get_fully_qualified_name().lstrip('/')
        return messages.segmentation_status(
            f'{name}: segmentation', self._pipeline.stats.snapshot(self._now()),
            self._subscription.topic_name, self._reliability, self._segmenter,
            self._settings.threads)

    def _publish_diagnostics(self) -> None:
        self._diagnostics_pub.publish(messages.diagnostic_array(
            self.get_clock().now().to_msg(), [self.diagnostic_status()]))

    def _flush_logs(self) -> None:
        """Report what the rate limits held back, once their period is over."""
        self._warn.flush()
        self._error.flush()

    # ------------------------------------------------------------------ shutdown
    def _stop_worker(self) -> bool:
        """Stop the worker after its current frame; False if it is still running."""
        if self._worker is not None:
            if not self._worker.stop(timeout=10.0):
                return False
            self._worker = None
        return True

    def destroy_node(self) -> None:
        """Stop the worker (after its current frame), release the model, destroy the node."""
        if not self._stop_worker():  # never pull the model from under a frame in progress
            self.get_logger().warning('a frame was still being processed after 10 s; '
                                      'leaving the model to the process exit')
        elif self._segmenter is not None:
            self._segmenter.close()
            self._segmenter = None
        super().destroy_node()
