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
A one-frame slot and the thread that drains it, so image callbacks never wait for inference.

A camera publishes faster than a CPU can segment. Queuing frames would add latency and memory
without bound; instead the subscription callback puts each frame into a slot that holds only
the newest one (replacing, and counting, an unprocessed older one) and returns at once. One
worker thread takes the newest frame whenever it is free. Memory is bounded by one waiting
frame plus the one being processed, at any input rate. Kept free of rclpy.
"""

import threading
from typing import Any, Callable, Optional, Tuple


class LatestFrameSlot:
    """Holds at most one item; ``put`` replaces an unprocessed one."""

    def __init__(self):
        self._condition = threading.Condition()
        self._item: Any = None
        self._has_item = False
        self._in_progress = False  # an item was taken and done() not yet called
        self._closed = False

    def put(self, item: Any) -> bool:
        """Store ``item``; return True if it replaced one that was never taken (a drop)."""
        with self._condition:
            replaced = self._has_item
            self._item = item
            self._has_item = True
            self._condition.notify()
            return replaced

    def take(self, timeout: Optional[float] = None) -> Tuple[bool, Any]:
        """Wait up to ``timeout`` s for an item; return (True, item) or (False, None)."""
        with self._condition:
            if not self._has_item and not self._closed:
                self._condition.wait(timeout)
            if not self._has_item:
                return False, None
            item, self._item, self._has_item = self._item, None, False
            self._in_progress = True
            return True, item

    def done(self) -> None:
        """Mark the item returned by the last ``take`` as finished."""
        with self._condition:
            self._in_progress = False

    def idle(self) -> bool:
        """Whether nothing waits and nothing taken is unfinished (one consistent look)."""
        with self._condition:
            return not self._has_item and not self._in_progress

    def close(self) -> None:
        """Wake any waiter; later ``take`` calls return at once."""
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
            return self._has_item


class FrameWorker:
    """
    Runs ``process(item)`` on a background thread for the newest submitted item.

    ``on_drop()`` is called (on the submitting thread) for every item replaced before it was
    processed; ``on_error(exception)`` for every exception ``process`` raises. The worker
    survives errors: one bad frame never stops the stream.
    """

    def __init__(self, process: Callable[[Any], None],
                 on_drop: Optional[Callable[[], None]] = None,
                 on_error: Optional[Callable[[BaseException], None]] = None,
                 name: str = 'frame_worker'):
        self._process = process
        self._on_drop = on_drop
        self._on_error = on_error
        self._slot = LatestFrameSlot()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, item: Any) -> bool:
        """Hand over the newest item without waiting; return True if an older one was dropped."""
        if self._slot.closed:
            return False
        dropped = self._slot.put(item)
        if dropped and self._on_drop is not None:
            self._on_drop()
        return dropped

    def idle(self) -> bool:
        """Tell whether nothing is waiting and nothing is being processed."""
        return self._slot.idle()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop after the current item; return True if the thread ended within ``timeout``."""
        self._slot.close()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while not self._slot.closed:
            ok, item = self._slot.take(timeout=0.5)
            if not ok:
                continue
            try:
                self._process(item)
            except Exception as error:  # noqa: B902 - the worker must outlive any bad frame
                if self._on_error is not None:
                    try:
                        self._on_error(error)
                    except Exception:  # noqa: B902
                        pass
            finally:
                self._slot.done()
