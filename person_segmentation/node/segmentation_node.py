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
the subscriptions, publishers and timers around one ``FramePipeline`` per camera, which does
the per-frame work (convert, segment, publish; node/pipeline.py). The image callbacks never
wait for inference: they hand each message to a FrameWorker (newest frame per camera wins,
older unprocessed ones are dropped and counted; cameras served in turn) and return. Bad frames
are skipped with a rate-limited warning; the node keeps running. ``node/main.py`` starts it.

The node's life is four steps, which the plain node runs at construction and the managed
(lifecycle) node of node/managed_node.py runs as its transitions: set up (parameters,
diagnostics), configure (model, publishers, pipelines), activate (worker, subscriptions);
deactivate and clean up undo the last two.

A camera with an aligned depth input (``use_depth``, ``depth_images``) also subscribes to its
depth image and camera_info; those callbacks only keep the messages in the camera's
``CameraDepth`` (node/camera_depth.py), which the worker reads when it publishes a frame's
people in 3D (``~/nearest_person``, ``~/persons_cloud``). Without depth nothing of this exists.
"""

from dataclasses import replace
from typing import Any, List, Optional, Tuple

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PointStamped
from person_segmentation import names
from person_segmentation.engine.segmenter import Segmenter
from person_segmentation.models.files import ModelFileError
from person_segmentation.node import messages, parameters
from person_segmentation.node.camera_depth import CameraDepth
from person_segmentation.node.cameras import Camera, cameras
from person_segmentation.node.frame_stats import FrameStats
from person_segmentation.node.frame_worker import Batch, FrameWorker
from person_segmentation.node.parameters import Settings
from person_segmentation.node.pipeline import FramePipeline, Outputs, process_together
from person_segmentation.node.qos import AUTO, choose_reliability, reliability_name, RELIABLE
from person_segmentation.node.rate_limited_log import RateLimitedLog
from rcl_interfaces.msg import SetParametersResult
from rcl_interfaces.srv import SetParameters, SetParametersAtomically
import rclpy
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, CompressedImage, Image, PointCloud2
from std_msgs.msg import Bool

#: The outputs' QoS: reliable keep-last 2 matches reliable and best-effort subscribers alike.
OUTPUT_IMAGE_QOS = QoSProfile(depth=2, reliability=ReliabilityPolicy.RELIABLE)
#: How long stopping waits for the frames in progress (seconds).
WORKER_STOP_TIMEOUT = 10.0
#: Keep-last depth of a depth image / camera_info subscription: every depth frame may be the
#: one a colour frame waits for (the camera's CameraDepth buffers them; the callback is cheap).
DEPTH_QOS_DEPTH = 5


def _input_qos(reliability: str, depth: int) -> QoSProfile:
    """Keep-last ``depth``, volatile, with the reliability ``qos.choose_reliability`` chose."""
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=int(depth),
                      reliability=(ReliabilityPolicy.RELIABLE if reliability == RELIABLE
                                   else ReliabilityPolicy.BEST_EFFORT),
                      durability=DurabilityPolicy.VOLATILE)


def failure_reason(error: BaseException) -> str:
    """Say why the node could not start or configure: the message, or the type and message."""
    if isinstance(error, KeyError) and error.args:
        return str(error.args[0])
    if isinstance(error, (ModelFileError, ValueError, KeyError)):
        return str(error)
    return f'{type(error).__name__}: {error}'


class PersonSegmentationNode(Node):
    """Segments people in camera images; see docs/node.md for topics and parameters."""

    #: whether this is the managed (lifecycle) node (node/managed_node.py)
    MANAGED = False

    def __init__(self, **kwargs):
        super().__init__(names.NODE_NAME, **kwargs)
        self._worker: Optional[FrameWorker] = None
        self._segmenter: Optional[Segmenter] = None
        self._pipelines: List[FramePipeline] = []
        self._qos_timer = None
        self._active = False
        try:
            self._set_up()
            self._start()
        except BaseException:
            self._stop_worker()
            self._close_engine()
            super().destroy_node()
            raise

    def _start(self) -> None:
        """Configure and activate at once (the plain node)."""
        self._configure()
        self._activate()

    # ------------------------------------------------------------------ set-up
    def _set_up(self) -> None:
        """Declare the parameters, name the cameras, start diagnostics and parameter checks."""
        self._settings = self._declare_parameters()
        self._cameras = cameras(self._settings.images, self._settings.cameras,
                                self._settings.input_compressed, self._settings.use_depth,
                                self._settings.depth_images)
        if self._settings.lifecycle and not self.MANAGED:
            raise ValueError('lifecycle is true: start the node with node/main.py (or '
                             'managed_node.create_node), which makes it a managed node')
        self._log = self.get_logger()
        # One logger object per severity: rclpy raises "Logger severity cannot be changed
        # between calls" when one call site (RateLimitedLog's) logs at two severities through
        # the same logger object.
        self._warn = RateLimitedLog(rclpy.logging.get_logger(self._log.name).warning)
        self._error = RateLimitedLog(rclpy.logging.get_logger(self._log.name).error)
        self._diagnostics_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        steady = Clock(clock_type=ClockType.STEADY_TIME)
        self._diagnostics_timer = self.create_timer(self._settings.diagnostics_period,
                                                    self._publish_diagnostics, clock=steady)
        self._log_timer = self.create_timer(1.0, self._flush_logs, clock=steady)
        self._watch_parameters()

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
            default = Parameter.Type.STRING_ARRAY if spec.string_list else spec.default
            values[spec.name] = self.declare_parameter(
                spec.name, default, parameters.descriptor(spec)).value
        reason = parameters.validate_changes(values)
        if reason:
            raise ValueError(f'invalid parameter: {reason}')
        return Settings().changed(values)

    # ------------------------------------------------------------------ configure
    def _configure(self) -> None:
        """Load the engine; create each camera's outputs and pipeline."""
        settings = self._settings
        self._segmenter = Segmenter(
            model=settings.model or None, preset=settings.preset, threads=settings.threads,
            strategy=settings.strategy or None, smoothing=settings.smoothing,
            threshold=settings.threshold or None, min_region_area=settings.min_region_area or None,
            model_dir=settings.model_dir or None, backend=settings.backend,
            device=settings.device)
        self._apply_presence_rule()
        if settings.publish_persons and not messages.DETECTIONS_AVAILABLE:
            self._log.info(f'vision_msgs is not installed: the ~/{names.PERSONS} output '
                           '(vision_msgs/Detection2DArray) is off')
        if settings.publish_parts and not self._segmenter.has_parts:
            self._log.info(f'model {self._segmenter.model_name} has no body parts (BodyPix has '
                           f'them, DeepLab not): the ~/{names.PARTS} output is off')
        for camera in self._cameras:
            pipeline = FramePipeline(self._segmenter, self._create_outputs(camera),
                                     lambda: self._settings, self._now, self._warn, camera,
                                     running=self.context.ok)
            if camera.depth_topic:
                pipeline.depth = CameraDepth(settings.depth_tolerance, settings.depth_queue_size)
            self._pipelines.append(pipeline)

    @property
    def _batched(self) -> bool:
        """Whether the frames several cameras have waiting go to the engine in one call."""
        return len(self._pipelines) > 1 and self._segmenter.backend.batches_frames

    def _create_outputs(self, camera: Camera) -> Outputs:
        settings = self._settings

        def output(enabled: bool, msg_type, name: str, qos):
            return self._create_output_publisher(msg_type, camera.output(name), qos) \
                if enabled else None

        depth = bool(camera.depth_topic)
        return Outputs(
            mask=output(settings.publish_mask, Image, names.MASK, OUTPUT_IMAGE_QOS),
            probability=output(settings.publish_probability, Image, names.PROBABILITY,
                               OUTPUT_IMAGE_QOS),
            overlay=output(settings.publish_overlay, Image, names.OVERLAY, OUTPUT_IMAGE_QOS),
            person_detected=output(settings.publish_person_detected, Bool,
                                   names.PERSON_DETECTED, 10),
            persons=output(settings.publish_persons and messages.DETECTIONS_AVAILABLE,
                           messages.Detection2DArray, names.PERSONS, 10),
            nearest_person=output(depth and settings.publish_nearest_person, PointStamped,
                                  names.NEAREST_PERSON, 10),
            persons_cloud=output(depth and settings.publish_persons_cloud, PointCloud2,
                                 names.PERSONS_CLOUD, OUTPUT_IMAGE_QOS),
            parts=output(settings.publish_parts and self._segmenter.has_parts, Image, names.PARTS,
                         OUTPUT_IMAGE_QOS))

    def _create_output_publisher(self, msg_type, topic: str, qos):
        """Create one output's publisher (the managed node's are lifecycle publishers)."""
        return self.create_publisher(msg_type, topic, qos)

    def _destroy_output_publisher(self, publisher) -> None:
        self.destroy_publisher(publisher)

    # ------------------------------------------------------------------ activate
    def _activate(self) -> None:
        """Start the worker, subscribe to the cameras and start watching their QoS."""
        settings = self._settings
        count = len(self._pipelines)
        self._worker = FrameWorker(self._serve, on_drop=self._on_drop,
                                   on_error=self._on_worker_error,
                                   name='person_segmentation_worker', streams=count,
                                   most=count if self._batched else 1)
        self._update_subscriptions()
        if settings.qos_reliability == AUTO:
            steady = Clock(clock_type=ClockType.STEADY_TIME)
            self._qos_timer = self.create_timer(0.5, self._update_subscriptions, clock=steady)
        self._active = True
        kinds = [(self.resolve_topic_name(p.camera.topic),
                  'CompressedImage' if p.camera.compressed else 'Image', p.camera.name,
                  self._depth_inputs(p.camera)) for p in self._pipelines]
        if len(kinds) == 1 and not kinds[0][2]:
            inputs = f'input {kinds[0][0]} ({kinds[0][1]}{kinds[0][3]}, '
        else:
            inputs = 'inputs ' + '; '.join(
                f'{topic} ({kind}{depth}) -> ~/{name}/'
                for topic, kind, name, depth in kinds) + ' ('
        batching = ', batched' if self._batched else ''
        self._log.info(f'{self._segmenter.describe()} ({self._segmenter.backend.selection}); '
                       f'{inputs}qos_reliability={settings.qos_reliability}{batching})')

    def _depth_inputs(self, camera: Camera) -> str:
        """', depth <topic> + <camera_info topic>' for the start-up log line ('' without)."""
        if not camera.depth_topic:
            return ''
        return (f', depth {self.resolve_topic_name(camera.depth_topic)} + '
                f'{self.resolve_topic_name(camera.depth_info_topic)}')

    def _deactivate(self) -> bool:
        """Unsubscribe and stop the worker after its frames; False if it is still running."""
        self._active = False
        if self._qos_timer is not None:
            self.destroy_timer(self._qos_timer)
            self._qos_timer = None
        for pipeline in self._pipelines:
            if pipeline.subscription is not None:
                self.destroy_subscription(pipeline.subscription)
            pipeline.subscription, pipeline.reliability = None, None
            for subscription in pipeline.depth_subscriptions.values():
                self.destroy_subscription(subscription)
            pipeline.depth_subscriptions, pipeline.depth_reliability = {}, {}
        return self._stop_worker()

    def _cleanup(self) -> bool:
        """Destroy the outputs and release the model; False if a frame is still in progress."""
        if not self._stop_worker():
            return False
        for pipeline in self._pipelines:
            for publisher in vars(pipeline.outputs).values():
                if publisher is not None:
                    self._destroy_output_publisher(publisher)
        self._pipelines = []
        self._close_engine()
        return True

    # ------------------------------------------------------------------ QoS
    def _update_subscriptions(self) -> None:
        for pipeline in self._pipelines:
            self._update_subscription(pipeline)

    def _offered(self, topic: str) -> Optional[List[str]]:
        """Return each publisher's reliability on ``topic`` ([] unless auto; None: unknown)."""
        if self._settings.qos_reliability != AUTO:
            return []
        try:
            infos = self.get_publishers_info_by_topic(topic)
        except Exception as error:  # noqa: B902 - graph queries fail during shutdown
            self._warn('graph', f'cannot query publishers of {topic}: {error}')
            return None
        return [reliability_name(info.qos_profile.reliability) for info in infos]

    def _update_subscription(self, pipeline: FramePipeline) -> None:
        """(Re-)create a camera's subscriptions (depth image, camera_info, image) as needed."""
        camera, depth = pipeline.camera, pipeline.depth
        if depth is not None:
            for kind, topic, msg_type, callback in (
                    ('depth image', camera.depth_topic, Image, depth.on_depth),
                    ('camera_info', camera.depth_info_topic, CameraInfo, depth.on_camera_info)):
                subscription, reliability = self._subscribe(
                    kind, topic, msg_type, callback, DEPTH_QOS_DEPTH,
                    pipeline.depth_subscriptions.get(topic), pipeline.depth_reliability.get(topic))
                if subscription is not None:
                    pipeline.depth_subscriptions[topic] = subscription
                    pipeline.depth_reliability[topic] = reliability
        pipeline.subscription, pipeline.reliability = self._subscribe(
            'image', camera.topic, CompressedImage if camera.compressed else Image,
            lambda msg, pipeline=pipeline: self._on_image(pipeline, msg),
            self._settings.qos_depth, pipeline.subscription, pipeline.reliability)

    def _subscribe(self, kind: str, topic: str, msg_type, callback, depth: int,
                   subscription, reliability: Optional[str]) -> Tuple[Any, Optional[str]]:
        """
        Return an input's subscription and reliability: those given, or new ones on a change.

        One rule for every input (image, depth image, camera_info): each follows the
        reliability its publishers offer and says so in the same log line.
        """
        offered = self._offered(topic)
        if offered is None:
            return subscription, reliability
        wanted = choose_reliability(self._settings.qos_reliability, offered)
        if wanted == reliability and subscription is not None:
            return subscription, reliability
        if subscription is not None:
            self.destroy_subscription(subscription)
        created = self.create_subscription(msg_type, topic, callback, _input_qos(wanted, depth))
        if reliability is not None or offered:
            self._log.info(f'{kind} publishers offer {", ".join(sorted(set(offered))) or "-"}: '
                           f'subscribing to {created.topic_name} as {wanted}')
        return created, wanted

    @property
    def reliability(self) -> Optional[str]:
        """Return the reliability the (first) camera's subscription uses now."""
        return self._pipelines[0].reliability if self._pipelines else None

    @property
    def settings(self) -> Settings:
        """Return the parameter values in use now."""
        return self._settings

    @property
    def pipelines(self) -> List[FramePipeline]:
        """Return each camera's pipeline (none while no model is loaded)."""
        return list(self._pipelines)

    @property
    def stats(self) -> FrameStats:
        """Return the (first) camera's frame counters (received, processed, dropped, ...)."""
        return self._pipelines[0].stats

    @property
    def segmenter(self) -> Optional[Segmenter]:
        """Return the engine in use (None while no model is loaded)."""
        return self._segmenter

    @property
    def overlays_rendered(self) -> int:
        """Return how many overlays were rendered (only while ~/overlay has subscribers)."""
        return sum(pipeline.overlays_rendered for pipeline in self._pipelines)

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
        reason = parameters.validate_changes({p.name: p.value for p in changed},
                                             self._settings)
        return SetParametersResult(successful=reason is None, reason=reason or '')

    def _validate_and_apply_parameters(self, changed: List[Parameter]) -> SetParametersResult:
        result = self._validate_parameters(changed)
        if result.successful:
            self._apply_parameters(changed)
        return result

    def _apply_parameters(self, changed: List[Parameter]) -> None:
        old = self._settings
        settings = self._settings = old.changed({p.name: p.value for p in changed})
        segmenter = self._segmenter  # None while no model is loaded: configure reads settings
        if segmenter is not None and settings.threshold != old.threshold:
            segmenter.threshold = settings.threshold or None  # 0: the preset's
        if segmenter is not None and settings.smoothing != old.smoothing:
            segmenter.smoothing = settings.smoothing
        if (settings.presence_min_area, settings.presence_min_confidence) != (
                old.presence_min_area, old.presence_min_confidence):
            self._apply_presence_rule()
        if (settings.presence_on_frames, settings.presence_off_frames) != (
                old.presence_on_frames, old.presence_off_frames):
            for pipeline in self._pipelines:
                pipeline.presence.set_frames(settings.presence_on_frames,
                                             settings.presence_off_frames)
        if settings.depth_tolerance != old.depth_tolerance:
            for pipeline in self._pipelines:
                if pipeline.depth is not None:
                    pipeline.depth.pairing.tolerance = settings.depth_tolerance
        ours = ', '.join(f'{p.name}={p.value!r}' for p in changed if p.name in parameters.BY_NAME)
        if ours:
            self._log.info(f'parameters changed: {ours}')

    def _apply_presence_rule(self) -> None:
        """
        Give the engine the presence parameters; 0 keeps the preset's value.

        ``presence_min_area`` is the rule's ``min_area``; ``presence_min_confidence`` its
        ``min_confidence`` (evidence alone), the keypoint band moving with it
        (``PresenceRule.with_confidence``).
        """
        if self._segmenter is None:
            return
        settings, rule = self._settings, self._segmenter.default_presence_rule
        if settings.presence_min_area:
            rule = replace(rule, min_area=settings.presence_min_area)
        if settings.presence_min_confidence:
            rule = rule.with_confidence(settings.presence_min_confidence)
        self._segmenter.presence_rule = rule

    # ------------------------------------------------------------------ input
    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_image(self, pipeline: FramePipeline, msg) -> None:
        """Subscription callback: never waits for inference."""
        worker = self._worker  # None once deactivated (a callback may still be under way)
        if worker is not None:
            worker.submit(pipeline.frame(msg, pipeline.camera.compressed), pipeline.camera.index)

    def _on_drop(self, stream: int) -> None:
        self._pipelines[stream].stats.on_dropped()

    def _serve(self, batch: Batch) -> None:
        """Take the worker's turn: the cameras' waiting frames through the one engine."""
        process_together([(self._pipelines[stream], frame) for stream, frame in batch],
                         self._batched, self._on_camera_error)

    def _on_camera_error(self, pipeline: FramePipeline, error: BaseException) -> None:
        if not self.context.ok():
            return
        pipeline.stats.on_failed()
        camera = f'{pipeline.camera.name}: ' if pipeline.camera.name else ''
        self._error(f'error:{camera}{type(error).__name__}',
                    f'{camera}processing a frame failed: {type(error).__name__}: {error}')

    def _on_worker_error(self, error: BaseException) -> None:
        if self.context.ok():
            self._error(f'error:{type(error).__name__}',
                        f'processing frames failed: {type(error).__name__}: {error}')

    # ------------------------------------------------------------------ diagnostics
    def _state(self) -> str:
        """Return the node's state on /diagnostics (the managed node's lifecycle state)."""
        return messages.RUNNING

    def _problem(self) -> str:
        """Return what is wrong with the node itself, for /diagnostics ('' when nothing)."""
        return ''

    def diagnostic_statuses(self) -> list:
        """
        Return the node's current health, as published on /diagnostics.

        A plain node with one camera: one status, ``<node>: segmentation`` (as before several
        cameras or a lifecycle were possible). Otherwise the node's own, ``<node>: node``
        (state, model, backend), and one per camera, ``<node>: <camera>`` (rates, drops,
        latency).
        """
        name = self.get_fully_qualified_name().lstrip('/')
        now = self._now()
        if not self.MANAGED and not self._cameras[0].name:
            pipeline = self._pipelines[0]
            return [messages.segmentation_status(
                f'{name}: {pipeline.camera.label}', pipeline.stats.snapshot(now),
                self.resolve_topic_name(pipeline.camera.topic), pipeline.reliability,
                pipeline.input_loss_report(now), self._segmenter, self._settings.threads,
                self._depth_snapshot(pipeline))]
        segmenter = self._segmenter
        statuses = [messages.node_status(
            f'{name}: node', self._state(), segmenter, self._settings.threads,
            len(self._cameras), segmenter is not None and self._batched, self._problem())]
        device = str(segmenter.backend.device) if segmenter is not None else ''
        statuses += [messages.camera_status(
            f'{name}: {pipeline.camera.label}', pipeline.stats.snapshot(now),
            self.resolve_topic_name(pipeline.camera.topic), pipeline.reliability,
            pipeline.input_loss_report(now), device, self._active,
            self._depth_snapshot(pipeline)) for pipeline in self._pipelines]
        return statuses

    def _depth_snapshot(self, pipeline: FramePipeline) -> Optional[dict]:
        """Return a camera's depth counts and topics for /diagnostics (None: no depth)."""
        if pipeline.depth is None:
            return None
        return {**pipeline.depth.snapshot(),
                'topic': self.resolve_topic_name(pipeline.camera.depth_topic),
                'camera_info_topic': self.resolve_topic_name(pipeline.camera.depth_info_topic)}

    def diagnostic_status(self):
        """Return the first status of ``diagnostic_statuses`` (the plain one-camera node's)."""
        return self.diagnostic_statuses()[0]

    def _publish_diagnostics(self) -> None:
        self._diagnostics_pub.publish(messages.diagnostic_array(
            self.get_clock().now().to_msg(), self.diagnostic_statuses()))

    def _flush_logs(self) -> None:
        """Report what the rate limits held back, once their period is over."""
        self._warn.flush()
        self._error.flush()

    # ------------------------------------------------------------------ shutdown
    def _stop_worker(self) -> bool:
        """Stop the worker after its current frames; False if it is still running."""
        if self._worker is not None:
            if not self._worker.stop(timeout=WORKER_STOP_TIMEOUT):
                return False
            self._worker = None
        return True

    def _close_engine(self) -> None:
        if self._segmenter is not None:
            self._segmenter.close()
            self._segmenter = None

    def destroy_node(self) -> None:
        """Stop the worker (after its current frame), release the model, destroy the node."""
        if not self._stop_worker():  # never pull the model from under a frame in progress
            self.get_logger().warning(f'a frame was still being processed after '
                                      f'{WORKER_STOP_TIMEOUT:g} s; leaving the model to the '
                                      'process exit')
        else:
            self._close_engine()
        super().destroy_node()
