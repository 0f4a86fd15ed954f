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
Log each distinct problem at most once per period, with a count of what was held back.

A broken camera can send hundreds of bad frames a second; the node must still say what is
wrong without flooding the log. Pure Python (takes any logging callable), so it is testable
without rclpy.
"""

import threading
import time
from typing import Dict


class RateLimitedLog:
    """Log each distinct problem at most once per ``period`` seconds (wall time)."""

    def __init__(self, log, period: float = 5.0, max_keys: int = 64):
        self._log = log
        self._period = period
        self._max_keys = max_keys
        self._last: Dict[str, float] = {}
        self._suppressed: Dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, key: str, message: str) -> None:
        """Log ``message`` unless ``key`` was logged less than ``period`` seconds ago."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self._period:
                self._suppressed[key] = self._suppressed.get(key, 0) + 1
                return
            if len(self._last) >= self._max_keys:
                self._last.clear()
                self._suppressed.clear()
            suppressed = self._suppressed.pop(key, 0)
            self._last[key] = now
        if suppressed:
            message += f' ({suppressed} more like this in the last {self._period:g} s)'
        self._log(message)
