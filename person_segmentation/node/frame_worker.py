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
One-frame slots and the thread that drains them, so image callbacks never wait for inference.

A camera publishes faster than a CPU can segment. Queuing frames would add latency and memory
without bound; instead the subscription callback puts each frame into its camera's slot, which
holds only the newest one (replacing, and counting, an unprocessed older one), and returns at
once. One worker thread takes the newest frames whenever it is free. Memory is bounded by one
waiting frame per camera plus those being processed, at any input rate.

With several cameras the slots are served in turn (round robin from the camera after the one
served last): a 30 Hz camera always has a frame waiting, but it gets one turn per round like a
5 Hz one, which therefore never waits for more than one frame of each other camera; a silent
camera's empty slot is skipped. The worker may take up to ``most`` frames at a time, one per
camera, for a backend that runs them in one call. Kept free of rclpy.
"""

import threading
from typing import Any, Callable, List, Optional, Tuple

#: what the worker takes: (stream, item) pairs, one per stream at most
Batch = List[Tuple[int, Any]]


class LatestFrames:
    """One newest-item slot per stream; ``put`` replaces an unprocessed item of its stream."""

    def __init__(self, streams: int = 1):
        if streams < 1:
            raise ValueError(f'streams must be at least 1, got {streams}')
        self._condition = threading.Condition()
        self._items: List[Any] = [None] * streams
        self._waiting = [False] * streams
        self._next = 0  # the stream looked at first by the next take
        self._in_progress = False  # items were taken and done() not yet called
        self._closed = False

    def put(self, item: Any, stream: int = 0) -> bool:
        """Store ``item``; return True if it replaced one that was never taken (a drop)."""
        with self._condition:
            replaced = self._waiting[stream]
            self._items[stream] = item
            self._waiting[stream] = True
            self._condition.notify()
            return replaced

    def take(self, timeout: Optional[float] = None, most: int = 1) -> Batch:
        """
        Wait up to ``timeout`` s for an item; return up to ``most`` (stream, item) pairs.

        The streams are looked at in turn, from the one after the stream served last, so every
        stream with an item waiting is served within one round. Nothing once closed.
        """
        with self._condition:
            if not any(self._waiting) and not self._closed:
                self._condition.wait(timeout)
            if self._closed:
                return []
            count, taken = len(self._items), []
            for offset in range(count):
                stream = (self._next + offset) % count
                if self._waiting[stream]:
                    taken.append((stream, self._items[stream]))
                    self._items[stream], self._waiting[stream] = None, False
                    if len(taken) >= most:
                        break
            if taken:
                self._next = (taken[-1][0] + 1) % count
                self._in_progress = True
            return taken

    def done(self) -> None:
        """Mark the items returned by the last ``take`` as finished."""
        with self._condition:
            self._in_progress = False

    def idle(self) -> bool:
        """Whether nothing waits and nothing taken is unfinished (one consistent look)."""
        with self._condition:
            return not any(self._waiting) and not self._in_progress

    def close(self) -> None:
        """Wake any waiter; later ``take`` calls return nothing, at once."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    @property
    def closed(self) -> bool:
        """Whether ``close`` was called."""
        return self._closed

    def pending(self) -> bool:
        """Whether an item waits to be taken."""
        with self._condition:
            return any(self._waiting)


class FrameWorker:
    """
    Runs ``process(batch)`` on a background thread for the newest submitted items.

    ``batch`` is a list of (stream, item) pairs: one pair, or up to ``most`` of different
    streams (``LatestFrames.take``). ``on_drop(stream)`` is called (on the submitting thread)
    for every item replaced before it was processed; ``on_error(exception)`` for every
    exception ``process`` raises. The worker survives errors: one bad frame never stops the
    stream. Once stopped, items still waiting are never processed.
    """

    def __init__(self, process: Callable[[Batch], None],
                 on_drop: Optional[Callable[[int], None]] = None,
                 on_error: Optional[Callable[[BaseException], None]] = None,
                 name: str = 'frame_worker', streams: int = 1, most: int = 1):
        self._process = process
        self._on_drop = on_drop
        self._on_error = on_error
        self._most = max(1, int(most))
        self._slots = LatestFrames(streams)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, item: Any, stream: int = 0) -> bool:
        """Hand over the newest item without waiting; return True if an older one was dropped."""
        if self._slots.closed:
            return False
        dropped = self._slots.put(item, stream)
        if dropped and self._on_drop is not None:
            self._on_drop(stream)
        return dropped

    def idle(self) -> bool:
        """Tell whether nothing is waiting and nothing is being processed."""
        return self._slots.idle()

    def pending(self) -> bool:
        """Tell whether an item waits to be taken."""
        return self._slots.pending()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop after the current items; return True if the thread ended within ``timeout``."""
        self._slots.close()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while not self._slots.closed:
            batch = self._slots.take(timeout=0.5, most=self._most)
            if not batch:
                continue
            try:
                self._process(batch)
            except Exception as error:  # noqa: B902 - the worker must outlive any bad frame
                if self._on_error is not None:
                    try:
                        self._on_error(error)
                    except Exception:  # noqa: B902
                        pass
            finally:
                self._slots.done()
