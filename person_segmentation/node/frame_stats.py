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
Frame counters, rates and latency percentiles for the node's diagnostics and benches.

Kept free of rclpy: callers pass times in seconds from whatever clock they use (the node passes
its ROS clock, so rates follow simulated time when use_sim_time is set). Memory is bounded: rates
use a fixed time window and latencies a fixed number of recent samples.
"""

import collections
import threading
from typing import Dict, Iterable, Optional

import numpy as np


class RateWindow:
    """Events per second over the last ``window`` seconds (bounded by ``max_events``)."""

    def __init__(self, window: float = 5.0, max_events: int = 10000):
        self.window = float(window)
        self._times = collections.deque(maxlen=max_events)
        self._first: Optional[float] = None

    def add(self, now: float) -> None:
        """Record one event at time ``now`` (seconds)."""
        if self._first is None:
            self._first = float(now)
        self._times.append(float(now))

    def rate(self, now: float) -> float:
        """Events per second in the window ending at ``now``."""
        start = float(now) - self.window
        while self._times and self._times[0] < start:
            self._times.popleft()
        if self._first is not None and self._first <= start:
            return len(self._times) / self.window  # a full window of history
        if len(self._times) < 2:
            return 0.0
        # Less than a window of history yet: the spacing of the events seen so far.
        return (len(self._times) - 1) / max(self._times[-1] - self._times[0], 1e-9)


def percentiles(samples: Iterable[float], points=(50, 95)) -> Dict[int, float]:
    """Percentiles of ``samples`` (NaN when empty)."""
    values = np.asarray(list(samples), dtype=np.float64)
    if values.size == 0:
        return {p: float('nan') for p in points}
    return {p: float(np.percentile(values, p)) for p in points}


class FrameStats:
    """Thread-safe counters of one image stream through the node."""

    def __init__(self, window: float = 5.0, latency_samples: int = 300):
        self._lock = threading.Lock()
        self._received = RateWindow(window)
        self._processed = RateWindow(window)
        self._latencies = collections.deque(maxlen=latency_samples)
        self._inference = collections.deque(maxlen=latency_samples)
        self.received = 0
        self.processed = 0
        self.dropped = 0
        self.stale = 0
        self.invalid = 0
        self.failed = 0
        self.refused = 0  # output messages the middleware would not take
        self.last_received: Optional[float] = None

    def on_received(self, now: float) -> None:
        """Count a message that arrived."""
        with self._lock:
            self.received += 1
            self.last_received = float(now)
            self._received.add(now)

    def on_dropped(self, count: int = 1) -> None:
        """Count unprocessed frames that were replaced by newer ones."""
        with self._lock:
            self.dropped += count

    def on_stale(self) -> None:
        """Count a frame that was older than max_age when its turn came."""
        with self._lock:
            self.stale += 1

    def on_invalid(self) -> None:
        """Count a frame that could not be converted."""
        with self._lock:
            self.invalid += 1

    def on_failed(self) -> None:
        """Count a frame whose processing raised an unexpected error."""
        with self._lock:
            self.failed += 1

    def on_refused(self) -> None:
        """Count one output message that the middleware refused to publish."""
        with self._lock:
            self.refused += 1

    def on_processed(self, now: float, latency: Optional[float],
                     inference: Optional[float] = None) -> None:
        """Count a frame whose outputs were published; latency in seconds (None if unknown)."""
        with self._lock:
            self.processed += 1
            self._processed.add(now)
            if latency is not None:
                self._latencies.append(float(latency))
            if inference is not None:
                self._inference.append(float(inference))

    def snapshot(self, now: float) -> Dict[str, float]:
        """All counters, rates (Hz) and latency percentiles (seconds) at time ``now``."""
        with self._lock:
            latency = percentiles(self._latencies, (50, 95, 99))
            inference = percentiles(self._inference, (50,))
            return {
                'received': self.received,
                'processed': self.processed,
                'dropped': self.dropped,
                'stale': self.stale,
                'invalid': self.invalid,
                'failed': self.failed,
                'refused': self.refused,
                'input_rate': self._received.rate(now),
                'processed_rate': self._processed.rate(now),
                'latency_p50': latency[50],
                'latency_p95': latency[95],
                'latency_p99': latency[99],
                'inference_p50': inference[50],
                'seconds_since_input': (float('nan') if self.last_received is None
                                        else float(now) - self.last_received),
            }
