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
One camera's frames through the engine: judge staleness, convert, segment, publish.

This is the node's per-frame work, apart from the ROS entities (parameters, subscriptions,
publishers, timers) that the node sets up around it: it publishes through the ``Outputs`` it is
given and reads the node's ``Settings`` once per frame, so a live parameter change never lands
half-way through a frame. A camera with a depth input also has its ``CameraDepth``: each
segmented frame's people are measured in the depth of its stamp and published in 3D, or the
frame is published without them and a warning says why. A node serving several cameras gives
each its own pipeline (own outputs, counters, presence hysteresis, smoothing stream,
subscriptions and depth) around one engine;
``process_together`` runs the frames several cameras have waiting through that engine, in one
call per frame size where the backend batches. No rclpy.
"""

from dataclasses import dataclass
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from person_segmentation.engine.presence import PresenceHysteresis
from person_segmentation.engine.rendering import render_overlay
from person_segmentation.engine.segmenter import SegmentationResult, Segmenter
from person_segmentation.media.image_conversion import (compressed_to_rgb, image_msg_to_rgb,
                                                        ImageConversionError)
from person_segmentation.node import messages, parameters
from person_segmentation.node.camera_depth import CameraDepth, DepthOutcome
from person_segmentation.node.cameras import Camera, cameras
from person_segmentation.node.depth_pairing import stamp_ns
from person_segmentation.node.frame_stats import FrameStats
from person_segmentation.node.input_loss import InputLossDetector, InputLossReport
from person_segmentation.node.parameters import Settings
from person_segmentation.node.rate_limited_log import RateLimitedLog
from person_segmentation.node.staleness import stale_reason


@dataclass
class Frame:
    """One received message waiting for its turn."""

    msg: Any  # sensor_msgs/Image or CompressedImage
    compressed: bool
    received: float  # node clock, seconds
    arrived: float  # steady clock (time.monotonic), seconds: how long it waited


@dataclass
class Outputs:
    """Where one camera's results go: publishers (anything with ``publish``), None when off."""

    mask: Any = None
    probability: Any = None
    overlay: Any = None  # also needs get_subscription_count(): rendered only when watched
    person_detected: Any = None
    persons: Any = None
    nearest_person: Any = None  # with a depth input
    persons_cloud: Any = None  # with a depth input
    parts: Any = None  # also needs get_subscription_count(): computed only when watched


@dataclass
class _Ready:
    """A frame converted and due for the engine."""

    frame: Frame
    rgb: np.ndarray
    stamp: float  # header stamp in seconds, 0.0 when unset
    settings: Settings


class FramePipeline:
    """Turns one camera's frames into its outputs; counts what happened to each frame."""

    def __init__(self, segmenter: Segmenter, outputs: Outputs, settings: Callable[[], Settings],
                 now: Callable[[], float], warn: RateLimitedLog, camera: Optional[Camera] = None,
                 running: Callable[[], bool] = lambda: True):
        """
        Process with ``segmenter`` and publish to ``outputs``.

        ``settings()`` returns the node's current settings; ``now()`` the node clock in seconds
        (simulated time where used); ``warn`` takes the skipped frames' warnings. ``camera``
        (default: the node's one camera) names the input, and the camera in warnings when the
        node serves several. ``running()`` is False once the node stops (its context shut
        down): a publish that fails then is part of the stop, not a refusal to report.
        """
        self.segmenter = segmenter
        self.outputs = outputs
        self._settings = settings
        self._now = now
        self._warn = warn
        self._running = running
        first = settings()
        self.camera = camera if camera is not None else cameras((), (), first.input_compressed)[0]
        self.stats = FrameStats()
        #: frames lost before the node: the camera's rate from the header stamps vs arrivals
        self.input_loss = InputLossDetector()
        self.presence = PresenceHysteresis(first.presence_on_frames, first.presence_off_frames)
        self.overlays_rendered = 0  # only while ~/overlay has subscribers
        self.parts_published = 0  # only while ~/parts has subscribers (and the model has parts)
        #: the node's subscription for this camera and the reliability it uses (None: none)
        self.subscription: Any = None
        self.reliability: Optional[str] = None
        #: the camera's depth input (None: it has none), its subscriptions and reliability
        self.depth: Optional[CameraDepth] = None
        self.depth_subscriptions: Dict[str, Any] = {}
        self.depth_reliability: Dict[str, str] = {}

    def warn(self, kind: str, message: str) -> None:
        """Log a rate-limited warning about this camera's frames (named when there are several)."""
        if self.camera.name:
            kind, message = f'{self.camera.name} {kind}', f'{self.camera.name}: {message}'
        self._warn(kind, message)

    def frame(self, msg, compressed: bool) -> Frame:
        """Stamp an arriving message with its arrival (node and steady clock) and count it."""
        received = self._now()
        self.stats.on_received(received)
        self.input_loss.on_message(messages.stamp_seconds(msg.header.stamp), received)
        return Frame(msg, compressed, received, time.monotonic())

    def input_loss_report(self, now: float) -> InputLossReport:
        """Judge the loss before the node at node-clock ``now``; log once when it begins."""
        report = self.input_loss.assess(now)
        if report.changed and report.warn:
            self.warn('input loss', report.log_line())
        return report

    def process(self, frame: Frame) -> None:
        """Skip a stale or malformed frame with a warning, else segment it and publish."""
        ready = self.prepare(frame)
        if ready is not None:
            self.finish(ready, self.segmenter(ready.rgb, self._timestamp(ready),
                                              self.camera.index, parts=self.wants_parts()))

    def wants_parts(self) -> bool:
        """Tell whether ~/parts has subscribers (body parts cost 2-6 ms a frame)."""
        parts = self.outputs.parts
        return parts is not None and parts.get_subscription_count() > 0

    def prepare(self, frame: Frame) -> Optional[_Ready]:
        """Return the frame converted for the engine, or None: skipped as stale or malformed."""
        settings = self._settings()
        stamp = messages.stamp_seconds(frame.msg.header.stamp)
        stale = stale_reason(settings.max_age_reference, settings.max_age,
                             time.monotonic() - frame.arrived,
                             self._now() - stamp if stamp > 0.0 else None)
        if stale is not None:
            self.stats.on_stale()
            self.warn(*stale)
            return None
        rgb = self._convert(frame, settings)
        return None if rgb is None else _Ready(frame, rgb, stamp, settings)

    @staticmethod
    def _timestamp(ready: _Ready) -> float:
        """Return the engine's time of a frame: its stamp, else its arrival (node clock)."""
        return ready.stamp if ready.stamp > 0.0 else ready.frame.received

    def finish(self, ready: _Ready, result: SegmentationResult) -> None:
        """Publish a segmented frame's outputs and count it."""
        self._publish(ready.frame.msg.header, ready.rgb, result, ready.settings)
        now = self._now()
        self.stats.on_processed(now, now - ready.stamp if ready.stamp > 0.0 else None,
                                sum(result.timings.values()) * 1e-3)

    def _convert(self, frame: Frame, settings: Settings) -> Optional[np.ndarray]:
        try:
            if frame.compressed:
                return compressed_to_rgb(frame.msg.data, frame.msg.format,
                                         settings.max_image_pixels)
            return image_msg_to_rgb(frame.msg, None if settings.use_cv_bridge else False,
                                    settings.max_image_pixels)
        except ImageConversionError as error:
            self.stats.on_invalid()
            self.warn(f'invalid: {error.kind}', f'skipping an image ({error.kind}): {error}')
            return None

    def _publish(self, header, rgb: np.ndarray, result: SegmentationResult,
                 settings: Settings) -> None:
        # people in 3D first: the safety answer, and the depth paired as soon as the frame is
        # segmented (its depth decided before any of its outputs is out)
        outcome = self._measure_depth(header, result, settings)
        outputs = self.outputs
        if outputs.mask is not None:
            self._send(outputs.mask, 'mask', messages.mask_image(header, result.mask))
        if outputs.probability is not None:
            self._send(outputs.probability, 'probability', messages.probability_image(
                header, result.probability, settings.probability_encoding))
        if outputs.overlay is not None and outputs.overlay.get_subscription_count() > 0:
            overlay = render_overlay(rgb, result.mask, settings.overlay_color,
                                     settings.overlay_alpha, settings.overlay_outline)
            bgr = cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR, dst=overlay)  # in place: one copy less
            self._send(outputs.overlay, 'overlay', messages.overlay_image(header, bgr))
            self.overlays_rendered += 1
        if outputs.person_detected is not None:
            self._send(outputs.person_detected, 'person_detected',
                       messages.flag(self.presence.update(result.person_present)))
        if outputs.persons is not None:
            self._send(outputs.persons, 'persons', messages.detections(
                header, result.regions, _points(result.regions, outcome)))
        if outputs.parts is not None and result.parts is not None:
            self._send(outputs.parts, 'parts', messages.image(header, result.parts, 'mono8'))
            self.parts_published += 1

    def _send(self, publisher, name: str, message) -> None:
        """
        Publish one output; a message the middleware refuses costs that output only.

        rclpy raises RCLError (a RuntimeError) when the DDS writer will not take a message:
        Fast DDS answers "cannot publish data" when a reliable writer's history stays full
        because a slow reliable subscriber (rviz over Wi-Fi, a loaded machine) has not
        acknowledged it in time. Raised out of ``_publish``, it skipped every output after
        the refused one, ``~/person_detected`` included, for the sake of a viewer. The frame
        still counts as processed; the refusal is counted and logged, naming the topic.
        """
        try:
            publisher.publish(message)
        except RuntimeError as error:
            if not self._running():  # "publisher's context is invalid": Ctrl-C came meanwhile
                return
            self.stats.on_refused()
            topic = publisher.topic_name
            self.warn(f'refused: {name}',
                      f'the middleware refused to publish {topic} for a frame ({error}); '
                      'the other outputs were published')

    def _measure_depth(self, header, result: SegmentationResult,
                       settings: Settings) -> Optional[DepthOutcome]:
        """Measure the frame's people in depth and publish them; None without depth."""
        if self.depth is None:
            return None
        outcome = self.depth.measure(stamp_ns(header.stamp), result.labels, result.regions,
                                     parameters.depth_settings(settings), settings.depth_wait)
        if outcome.note:
            self.warn('depth: note', outcome.note)
        if outcome.problem is not None:
            kind, message = outcome.problem
            self.warn(f'depth: {kind}', f'no depth for this frame ({kind}): {message}')
            return outcome
        if self.outputs.nearest_person is not None:
            self._send(self.outputs.nearest_person, 'nearest_person',
                       messages.nearest_person(header, outcome.people))
        if self.outputs.persons_cloud is not None:
            self._send(self.outputs.persons_cloud, 'persons_cloud',
                       messages.xyz_cloud(outcome.people.cloud, header))
        return outcome


def _points(regions, outcome: Optional[DepthOutcome]):
    """Each region's point in 3D (None: no valid depth), or None without depth for the frame."""
    if outcome is None or outcome.people is None:
        return None
    return [person.point for person in outcome.people.people]  # one per region, in order


def process_together(work: Sequence[Tuple[FramePipeline, Frame]], batched: bool,
                     on_error: Callable[[FramePipeline, BaseException], None]) -> None:
    """
    Segment the frames several cameras have waiting with their one engine, and publish them.

    Each camera's frame is prepared (staleness, conversion) and published by its own pipeline;
    a malformed frame is skipped there and costs the others nothing. With ``batched`` (a
    backend that gains from it: ``segmenter.backend.batches_frames``) the frames of one size
    go to the engine in one ``segment_batch`` call, each under its camera's stream; otherwise
    one by one, in the order given. An exception is reported with ``on_error`` for each camera
    it concerns (all of a failed batch), and the others go on.
    """
    ready: List[Tuple[FramePipeline, _Ready]] = []
    for pipeline, frame in work:
        try:
            prepared = pipeline.prepare(frame)
        except Exception as error:  # noqa: B902 - one camera's failure is not the others'
            on_error(pipeline, error)
            continue
        if prepared is not None:
            ready.append((pipeline, prepared))
    groups: Dict[Tuple[int, ...], List[Tuple[FramePipeline, _Ready]]] = {}
    for item in ready:
        key = item[1].rgb.shape if batched else (len(groups),)
        groups.setdefault(key, []).append(item)
    for group in groups.values():
        segmenter = group[0][0].segmenter
        try:
            results = segmenter.segment_batch(
                [item.rgb for _, item in group],
                [FramePipeline._timestamp(item) for _, item in group],
                [pipeline.camera.index for pipeline, _ in group],
                parts=any(pipeline.wants_parts() for pipeline, _ in group))
        except Exception as error:  # noqa: B902
            for pipeline, _ in group:
                on_error(pipeline, error)
            continue
        for (pipeline, item), result in zip(group, results):
            try:
                pipeline.finish(item, result)
            except Exception as error:  # noqa: B902
                on_error(pipeline, error)
