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
The node as a separate process: its output lines, log lines per kind of problem, peak memory.

Used by the fuzz test and bench/bench_hostile_input.py, which check what a hostile camera costs
the node: every line it writes must come from its logger (no third-party decoder noise), each
kind of problem at most once per rate-limit period, and its peak RSS must stay bounded.
"""

import collections
import re
import subprocess
import threading
from typing import Dict, List, Optional, Tuple

LOG_LINE = re.compile(r'^\[(DEBUG|INFO|WARN|ERROR|FATAL)\] \[(\d+\.\d+)\] \[[^\]]+\]: (.*)$')
# LiteRT prints this once per process when it creates its first interpreter
LITERT_BANNER = 'INFO: Created TensorFlow Lite XNNPACK delegate for CPU.'


class NodeProcess:
    """A node started with ``command``; stdout and stderr lines are collected on a thread."""

    def __init__(self, command: List[str], env: dict, new_session: bool = False):
        # new_session: a Ctrl-C in the terminal reaches only the caller, which stops the node
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True,
                                        start_new_session=new_session)
        self.lines: List[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip('\n'))

    def alive(self) -> bool:
        """Tell whether the process still runs."""
        return self.process.poll() is None

    def _status_mb(self, key: str) -> float:
        with open(f'/proc/{self.process.pid}/status') as status:
            for line in status:
                if line.startswith(key + ':'):
                    return int(line.split()[1]) / 1024.0
        raise RuntimeError(f'no {key} for process {self.process.pid}')

    def rss_mb(self) -> float:
        """Return the resident memory now, MB."""
        return self._status_mb('VmRSS')

    def peak_mb(self) -> float:
        """Return the peak resident memory (since start or the last reset_peak), MB."""
        return self._status_mb('VmHWM')

    def reset_peak(self) -> None:
        """Start measuring the peak RSS from now on (Linux clear_refs)."""
        with open(f'/proc/{self.process.pid}/clear_refs', 'w') as clear_refs:
            clear_refs.write('5')

    def stop(self) -> None:
        """End the process (SIGTERM, then SIGKILL) and the reader."""
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._reader.join(5)


def problems_by_kind(lines: List[str], start: Optional[float] = None,
                     end: Optional[float] = None) -> Tuple[Dict[str, List[float]], List[str]]:
    """
    Return ({'WARN skipping an image (step)': [stamps], ...}, lines not from the logger).

    A kind is the severity and the message up to its first colon, numbers masked; only lines
    stamped within [start, end] (seconds since the epoch) count when those are given.
    """
    times = collections.defaultdict(list)
    outside = []
    for line in lines:
        match = LOG_LINE.match(line)
        if match is None:
            if line != LITERT_BANNER:
                outside.append(line)
            continue
        severity, stamp, text = match.groups()
        stamp = float(stamp)
        if severity in ('WARN', 'ERROR', 'FATAL') and (start is None or start <= stamp) and (
                end is None or stamp <= end):
            times[f'{severity} {re.sub(r"[0-9.]+", "N", text.split(":")[0])}'].append(stamp)
    return dict(times), outside


def most_in_a_window(stamps: List[float], window: float = 5.0) -> int:
    """Return the most stamps that fall within any ``window`` seconds."""
    stamps = sorted(stamps)
    return max((sum(1 for t in stamps[i:] if t < s + window) for i, s in enumerate(stamps)),
               default=0)
