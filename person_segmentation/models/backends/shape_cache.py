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
What a backend keeps per input shape (an interpreter, a compiled network), a few shapes at most.

One backend serves every view and camera of a Segmenter's model, and those alternate input
shapes (the accurate preset: two views, every frame; cameras of other sizes). Building for a shape
is the expensive part (a LiteRT interpreter: 30-50 ms; a Keras network: about a second), so
each shape's object is kept; the least recently used one goes when more than ``capacity``
shapes are in use, which bounds memory whatever the frame sizes do. A build that fails leaves
the cache as it was, so the shapes already built keep working.
"""

from collections import OrderedDict
from typing import Callable, Generic, Hashable, Optional, TypeVar

#: shapes kept per backend: two views of a preset for three camera sizes
SHAPES_KEPT = 6

Value = TypeVar('Value')


class ShapeCache(Generic[Value]):
    """An LRU of ``build(key)`` results; ``builds`` counts the builds (tests, benchmarks)."""

    def __init__(self, build: Callable[[Hashable], Value], capacity: int = SHAPES_KEPT,
                 release: Optional[Callable[[Value], None]] = None):
        if capacity < 1:
            raise ValueError(f'a shape cache keeps at least one shape, not {capacity}')
        self._build, self._release = build, release
        self.capacity = capacity
        self.builds = 0
        self._items: 'OrderedDict[Hashable, Value]' = OrderedDict()

    def get(self, key: Hashable) -> Value:
        """Return the object for ``key``, building it (and forgetting the oldest) when new."""
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
            return value
        value = self._build(key)  # may raise: then nothing changes
        self.builds += 1
        self._items[key] = value
        while len(self._items) > self.capacity:
            _, oldest = self._items.popitem(last=False)
            if self._release is not None:
                self._release(oldest)
        return value

    def keys(self):
        """Return the keys kept, least recently used first."""
        return list(self._items)

    def __len__(self) -> int:
        """Return how many shapes are kept."""
        return len(self._items)

    def clear(self) -> None:
        """Forget (and release) every shape."""
        while self._items:
            _, value = self._items.popitem(last=False)
            if self._release is not None:
                self._release(value)
