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
Log each kind of problem at most once per period, and say how many were left out.

A broken camera can send hundreds of bad frames a second; logging each one would bury the log
(and slow the node). Keys name the kind of problem (``invalid: step``, ``stale``), never
per-frame details, so one line per kind per period reaches the log whatever varies from frame
to frame. What was suppressed is reported with the next line of that kind or, when none comes,
by ``flush`` (the node calls it every second). Kept free of rclpy: ``log`` is any
callable taking one string; give each severity its own (rclpy refuses one call site logging at
two severities).
"""

from dataclasses import dataclass
import threading
import time
from typing import Callable, Dict, List, Tuple


@dataclass
class _Window:
    logged: float  # when a line of this kind was last written
    suppressed: int = 0  # lines of this kind left out since then
    latest: str = ''  # the last one left out


class RateLimitedLog:
    """At most one line per key per ``period`` seconds (monotonic), with suppressed counts."""

    def __init__(self, log: Callable[[str], object], period: float = 5.0,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 256):
        self._log = log
        self._period = float(period)
        self._clock = clock
        self._max_keys = max_keys
        self._windows: Dict[str, _Window] = {}
        self._lock = threading.Lock()

    def __call__(self, key: str, message: str) -> bool:
        """Log ``message`` unless a line of ``key`` was written less than a period ago."""
        now = self._clock()
        with self._lock:
            window = self._windows.get(key)
            if window is not None and now - window.logged < self._period:
                window.suppressed += 1
                window.latest = message
                return False
            suppressed = window.suppressed if window is not None else 0
            self._forget_old(now)
            self._windows[key] = _Window(now)
        self._log(message + self._more(suppressed))
        return True

    def quiet(self, key: str) -> bool:
        """Tell whether a line of ``key`` would be written now (no period of it still open)."""
        with self._lock:
            window = self._windows.get(key)
            return window is None or (not window.suppressed
                                      and self._clock() - window.logged >= self._period)

    def flush(self) -> int:
        """Report the keys whose period ended with lines left out; return how many lines."""
        now = self._clock()
        due: List[Tuple[str, int]] = []
        with self._lock:
            for window in self._windows.values():
                if window.suppressed and now - window.logged >= self._period:
                    due.append((window.latest, window.suppressed))
                    window.logged, window.suppressed, window.latest = now, 0, ''
        for latest, suppressed in due:
            self._log(f'{latest}{self._more(suppressed - 1)}')
        return len(due)

    def _more(self, count: int) -> str:
        return f' ({count} more like this in the last {self._period:g} s)' if count > 0 else ''

    def _forget_old(self, now: float) -> None:
        """Bound the table: drop keys quiet for a whole period (called under the lock)."""
        if len(self._windows) < self._max_keys:
            return
        for key in [k for k, w in self._windows.items()
                    if not w.suppressed and now - w.logged >= self._period]:
            del self._windows[key]
