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
half-way through a frame. A node serving several cameras gives each its own pipeline (own
outputs, counters and presence hysteresis) around one engine. No rclpy.
"""

from dataclasses import dataclass
import time
from typing import Any, Callable, Optional

import cv2
import numpy as np
from person_segmentation.engine.presence import PresenceHysteresis
from person_segmentation.engine.rendering import render_overlay
from person_segmentation.engine.segmenter import SegmentationResult, Segmenter
from person_segmentation.media.image_conversion import (compressed_to_rgb, image_msg_to_rgb,
                                                        ImageConversionError)
from person_segmentation.node import messages
from person_segmentation.node.frame_stats import FrameStats
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


class FramePipeline:
    """Turns one camera's frames into its outputs; counts what happened to each frame."""

    def __init__(self, segmenter: Segmenter, outputs: Outputs, settings: Callable[[], Settings],
                 now: Callable[[], float], warn: RateLimitedLog):
        """
        Process with ``segmenter`` and publish to ``outputs``.

        ``settings()`` returns the node's current settings; ``now()`` the node clock in seconds
        (simulated time where used); ``warn`` takes the skipped frames' warnings.
        """
        self.segmenter = segmenter
        self.outputs = outputs
        self._settings = settings
        self._now = now
        self._warn = warn
        self.stats = FrameStats()
        first = settings()
        self.presence = PresenceHysteresis(first.presence_on_frames, first.presence_off_frames)
        self.overlays_rendered = 0  # only while ~/overlay has subscribers

    def frame(self, msg, compressed: bool) -> Frame:
        """Stamp an arriving message with its arrival (node and steady clock) and count it."""
        received = self._now()
        self.stats.on_received(received)
        return Frame(msg, compressed, received, time.monotonic())

    def process(self, frame: Frame) -> None:
        """Skip a stale or malformed frame with a warning, else segment it and publish."""
        settings = self._settings()
        header = frame.msg.header
        stamp = messages.stamp_seconds(header.stamp)
        stale = stale_reason(settings.max_age_reference, settings.max_age,
                             time.monotonic() - frame.arrived,
                             self._now() - stamp if stamp > 0.0 else None)
        if stale is not None:
            self.stats.on_stale()
            self._warn(*stale)
            return
        rgb = self._convert(frame, settings)
        if rgb is None:
            return
        result = self.segmenter(rgb, timestamp=stamp if stamp > 0.0 else frame.received)
        self._publish(header, rgb, result, settings)
        now = self._now()
        self.stats.on_processed(now, now - stamp if stamp > 0.0 else None,
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
            self._warn(f'invalid: {error.kind}', f'skipping an image ({error.kind}): {error}')
            return None

    def _publish(self, header, rgb: np.ndarray, result: SegmentationResult,
                 settings: Settings) -> None:
        outputs = self.outputs
        if outputs.mask is not None:
            outputs.mask.publish(messages.mask_image(header, result.mask))
        if outputs.probability is not None:
            outputs.probability.publish(messages.probability_image(
                header, result.probability, settings.probability_encoding))
        if outputs.overlay is not None and outputs.overlay.get_subscription_count() > 0:
            overlay = render_overlay(rgb, result.mask, settings.overlay_color,
                                     settings.overlay_alpha, settings.overlay_outline)
            bgr = cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR, dst=overlay)  # in place: one copy less
            outputs.overlay.publish(messages.overlay_image(header, bgr))
            self.overlays_rendered += 1
        if outputs.person_detected is not None:
            outputs.person_detected.publish(
                messages.flag(self.presence.update(result.person_present)))
        if outputs.persons is not None:
            outputs.persons.publish(messages.detections(header, result.regions))
