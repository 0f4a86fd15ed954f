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
Frames lost before the node: the camera's frame rate from its header stamps against arrivals.

Large images between processes need the right transport on both sides; with Fast DDS's
defaults a 30 Hz camera reached the node at 9 Hz for minutes while the node's own counters
looked healthy (issue 24): the frames never arrived, so nothing in the node dropped them.
The camera's rate is in the stamps of the frames that do arrive: they lie on its lattice
``t0 + k T``, so their spacings are T, or whole multiples of T where frames were lost. The
share lost before the node is ``1 - arrival rate x T``, with arrivals counted on the node
clock: with ``use_sim_time`` that is the bag's ``/clock``, so a bag played at half rate is no
loss. Frames the node drops itself (newest-frame policy) arrived; they are counted elsewhere.

What stamps cannot tell: a camera losing exactly every other frame looks like one at half
the rate (all spacings 2T); a bag played at another rate without ``use_sim_time`` looks like
loss (the messages say so). Kept free of rclpy: callers pass stamps and node-clock times in
seconds.
"""

import collections
from dataclasses import dataclass
import threading
from typing import Deque, Dict, Optional, Sequence, Tuple

import numpy as np

DOCS = 'docs/node.md, "Large images at camera rate"'


def camera_period(spacings: Sequence[float], tolerance: float = 0.25, min_fit: float = 0.8,
                  max_divisor: int = 4, quantile: float = 0.25,
                  margin: float = 0.05) -> Optional[float]:
    """
    Return the camera's frame period from the spacings of the stamps that arrived, or None.

    Spacings are whole multiples of the period (a lost frame makes one 2T) plus jitter. The
    regular spacing at a low ``quantile`` (the median of those within ``tolerance`` of it) and
    its fractions down to 1/``max_divisor`` are the candidates: each is refined over the
    spacings within ``tolerance`` of whole multiples of it (their total over their number of
    periods), and the one that makes the most spacings whole wins, the coarser one when they
    are within ``margin``; it must make at least ``min_fit`` whole. A fraction wins when every
    spacing is a gap, e.g. 3T and 4T when about two frames in three are lost (the regular
    spacing is then 3T). A stamp read late (or early) makes a short spacing next to a long one
    that together span whole periods: they count as one. None: no period explains the
    spacings.
    """
    spacings = np.asarray(spacings, dtype=np.float64)
    spacings = spacings[spacings > 0.0]
    if spacings.size == 0:
        return None
    base = np.quantile(spacings, quantile, method='lower')
    regular = float(np.median(spacings[np.abs(spacings / base - 1.0) <= tolerance]))
    best_fit, best = 0.0, None
    for divisor in range(1, max_divisor + 1):
        period = regular / divisor
        for _ in range(3):  # the longer spacings pin the period down better than the shortest
            joined, periods, whole = _on_lattice(spacings, period, tolerance)
            period = joined[whole].sum() / periods[whole].sum() if whole.any() else period
        fit = _on_lattice(spacings, period, tolerance)[2].mean()
        if fit > best_fit + margin:
            best_fit, best = fit, period
    return float(best) if best_fit >= min_fit else None


def _on_lattice(spacings: np.ndarray, period: float,
                tolerance: float) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    (spacings, each with a displaced neighbour joined; periods each spans; which are whole).

    A spacing shorter than a period is joined with the one before or after it when together
    they are within ``tolerance`` of whole periods (one stamp displaced, nothing lost).
    """
    short = (1.0 - tolerance) * period

    def whole(spacing: float) -> bool:
        return spacing >= short and abs(spacing / period - round(spacing / period)) <= tolerance

    joined = spacings
    if (spacings < short).any():  # (rare: the loop costs more than the rest together)
        joined = []
        for spacing in spacings.tolist():
            if joined and (spacing < short or joined[-1] < short) and whole(joined[-1] + spacing):
                joined[-1] += spacing
            else:
                joined.append(spacing)
        joined = np.asarray(joined)
    ratio = joined / period
    periods = np.rint(ratio)
    return joined, periods, (periods >= 1.0) & (np.abs(ratio - periods) <= tolerance)


@dataclass(frozen=True)
class InputLossLimits:
    """How the loss is judged; the defaults give a WARN about 4 s into a sustained loss."""

    window: float = 3.0  # seconds of arrivals (node clock) judged at once
    min_spacings: int = 6  # at least this many stamp spacings (more than window at low rates)
    max_messages: int = 512  # memory bound (at very high rates the window gets shorter)
    warn_share: float = 0.2  # WARN once more than this share is lost ...
    clear_share: float = 0.1  # ... OK again once at most this share is lost (or unknown) ...
    hold: float = 3.0  # ... for this many seconds (node clock) without a break
    restart_gap: float = 5.0  # no frame for this long: start afresh (no input is not loss)
    judge_every: float = 0.2  # seconds between judgements as frames arrive


@dataclass(frozen=True)
class InputLossReport:
    """The judgement at one moment: level, the rates behind it, or why there are none."""

    warn: bool  # sustained loss before the node (with hysteresis)
    changed: bool  # warn changed since the previous report (log it once)
    lost_share: Optional[float]  # 0-1; None: cannot judge now (see note)
    camera_rate: Optional[float]  # Hz, from the stamps' spacing
    arrival_rate: Optional[float]  # Hz, on the node clock
    note: str = ''  # why there is no lost_share

    def message(self) -> str:
        """Return the diagnostics message while ``warn``."""
        if self.lost_share is None:
            return f'frames lost before the node (no judgement now: {self.note})'
        return (f'{self.lost_share:.0%} of the camera frames lost before the node: stamps at '
                f'{self.camera_rate:.1f} Hz, {self.arrival_rate:.1f} Hz arriving')

    def log_line(self) -> str:
        """Return the warning to log when ``warn`` begins: likely causes, where to read on."""
        if self.lost_share is None:
            return self.message()
        return (f"only {self.arrival_rate:.1f} of the camera's {self.camera_rate:.1f} frames "
                f'per second (by their header stamps) reach the node, {self.lost_share:.0%} '
                'are lost before it: large images between processes need a large enough '
                "transport (shared memory or socket buffers) in the camera's process and the "
                f"node's, see {DOCS}; or the node's process is too short of CPU to take "
                'each frame from its subscription queue (qos_depth); or a bag is played at '
                'another rate without use_sim_time')

    def values(self) -> Dict[str, str]:
        """Return the diagnostics key-value pairs; an unknown value names the reason."""
        unknown = f'unknown ({self.note})'
        return {
            'camera rate from stamps (Hz)':
                unknown if self.camera_rate is None else f'{self.camera_rate:.2f}',
            'frames lost before the node (%)':
                unknown if self.lost_share is None else f'{self.lost_share * 100.0:.1f}',
        }


@dataclass(frozen=True)
class _Estimate:
    lost_share: Optional[float] = None
    camera_rate: Optional[float] = None
    arrival_rate: Optional[float] = None
    note: str = ''


class InputLossDetector:
    """
    Thread-safe: ``on_message`` from the image callback, ``assess`` from the diagnostics.

    Each received frame gives (header stamp, node clock at arrival). A zero stamp is left out
    (nothing to judge by), and so is a repeated one (the same frame again); a stamp going back
    (a bag loop, another camera), the node clock going back, or a pause of ``restart_gap``
    starts the history afresh.
    """

    def __init__(self, limits: InputLossLimits = InputLossLimits()):
        self.limits = limits
        self._lock = threading.Lock()
        self._frames: Deque[Tuple[float, float]] = collections.deque(
            maxlen=limits.max_messages)  # (stamp, arrival)
        self._warn = False
        self._changed = False
        self._crossing_since: Optional[float] = None  # loss on the other side of warn since
        self._judged_at: Optional[float] = None
        self._estimate = _Estimate(note='no stamped frame yet')

    def on_message(self, stamp: float, now: float) -> None:
        """Record a frame with header ``stamp`` that arrived at node-clock ``now`` (seconds)."""
        if stamp <= 0.0:
            return
        with self._lock:
            if self._frames:
                last_stamp, last_arrival = self._frames[-1]
                if stamp == last_stamp:
                    return
                if (stamp < last_stamp or now < last_arrival
                        or now - last_arrival >= self.limits.restart_gap):
                    self._frames.clear()
            self._frames.append((float(stamp), float(now)))
            if self._judged_at is None or not 0.0 <= now - self._judged_at < \
                    self.limits.judge_every:
                self._judge(now)

    def assess(self, now: float) -> InputLossReport:
        """Judge at node-clock ``now`` and report; ``changed`` is reported once."""
        with self._lock:
            self._judge(now)
            changed, self._changed = self._changed, False
            estimate = self._estimate
            return InputLossReport(self._warn, changed, estimate.lost_share,
                                   estimate.camera_rate, estimate.arrival_rate, estimate.note)

    def _judge(self, now: float) -> None:
        """Estimate now and move the level when the loss stayed across its threshold (locked)."""
        limits = self.limits
        self._judged_at = now
        self._estimate = estimate = self._estimated(now)
        share = estimate.lost_share
        if self._warn:
            crossing = share is None or share <= limits.clear_share
        else:
            crossing = share is not None and share > limits.warn_share
        if not crossing:
            self._crossing_since = None
            return
        if self._crossing_since is None or now < self._crossing_since:
            self._crossing_since = now
        if now - self._crossing_since >= limits.hold:
            self._warn = not self._warn
            self._changed = True
            self._crossing_since = None

    def _estimated(self, now: float) -> _Estimate:
        """Rates and lost share over the recent window of frames (locked)."""
        limits = self.limits
        if not self._frames:
            return _Estimate(note='no stamped frame yet')
        if now - self._frames[-1][1] >= limits.restart_gap:  # (a frame may be newer than now:
            return _Estimate(note='no recent frame')  # it came in while the caller read its clock)
        frames = np.array(self._frames, dtype=np.float64)
        stamps, arrivals = frames[:, 0], frames[:, 1]
        first = int(np.searchsorted(arrivals, arrivals[-1] - limits.window))
        first = max(0, min(first, len(frames) - (limits.min_spacings + 1)))
        stamps, arrivals = stamps[first:], arrivals[first:]
        spacings = len(stamps) - 1
        if spacings < limits.min_spacings:
            return _Estimate(note=f'{spacings} of {limits.min_spacings} stamp spacings '
                                  'needed so far')
        span = arrivals[-1] - arrivals[0]
        if span <= 0.0:
            return _Estimate(note='node clock not advancing')
        arrival_rate = spacings / span
        period = camera_period(np.diff(stamps))
        if period is None:
            return _Estimate(arrival_rate=arrival_rate, note='stamp spacing too irregular')
        share = min(1.0, max(0.0, 1.0 - arrival_rate * period))
        return _Estimate(share, 1.0 / period, arrival_rate)
