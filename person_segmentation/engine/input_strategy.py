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
Turn a frame of any aspect ratio into model inputs and merge the answers back.

The DeepLab models take a fixed square input; stretching a 16:9 frame into it distorts people.
Three ways keep the aspect ratio, each measured on DAVIS (docs/engine.md, "Input strategy"):

- ``native`` (the default of every DeepLab .tflite model and the presets): the whole frame,
  short side scaled to the model size, as ONE rectangular input to a graph whose image-pooling
  window was adapted to it (``models.tflite_graph.reshape_input``): no tiles, no overlap
  computed twice, the best J and the fastest.
- ``tiles`` (any square-input backend: the Keras .h5 models): scale the frame so its short side
  equals the model input, cut overlapping square tiles along the long side, and blend their
  probabilities with linear feathering across each overlap (a tile's centre has more context
  than its edge). Within 0.01 J of ``native``.
- ``pad`` (letterbox): one square input, the whole frame scaled so its long side fits, padded
  with mid-grey; cheapest, but people get fewer pixels (0.08-0.30 J lower).

``zoom`` scales the short side to ``zoom`` x the model size for ``native`` and ``tiles`` (more
pixels per far person at a proportional cost); ``long_side`` instead sets the input's long side
(the presets' views, ``views.View``). Dropped after measurement (issue 18): ``grid``
(tiles at zoom 1.75: ``tiles`` with ``zoom`` does it), ``stretch`` (kept only to show its cost)
and ``tiles+pad`` (lower J than ``tiles`` alone).

A plan is built once per frame size and reused, so per-frame work is resizes and copies into
preallocated buffers.
"""

import functools
from typing import Callable, Optional, Tuple

import cv2
import numpy as np

STRATEGIES = ('native', 'tiles', 'pad')
PAD_VALUE = 128  # mid-grey: 0 after DeepLab's (x - 127.5) / 127.5 normalisation
#: The model input's memory budget: what a frame MAX_ASPECT times wider than tall (or taller than
#: wide) needs under the strategy. A frame beyond it is letterboxed to MAX_ASPECT first, because
#: the short side is what gets scaled to the model size: a 1 x 256 frame would otherwise become a
#: 257 x 65793 input (2.5 GB). 4 covers 32:9 and side-by-side stereo.
MAX_ASPECT = 4.0
#: The letterbox canvas keeps a short side of at least this many model sizes (more when the
#: zoom asks for more), so the strategy scales it down rather than up (1.75 was the zoom of the
#: dropped 'grid' strategy; kept so that results stay the same).
LETTERBOX_MIN_ZOOM = 1.75


def fit_deeplab_side(length: float, stride: int) -> int:
    """Return DeepLab's input side nearest ``length``: ``k * stride + 1`` (Backend.fit_side)."""
    return max(1, int(round((length - 1) / stride))) * stride + 1


def _resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize with area averaging when shrinking (no aliasing) and bilinear when enlarging."""
    if (width, height) == (image.shape[1], image.shape[0]):
        return image
    shrink = width < image.shape[1] and height < image.shape[0]
    return cv2.resize(image, (width, height),
                      interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def _axis_layout(length: int, size: int):
    """Return tile starts along one axis and their feathering weights (summing to 1)."""
    count = int(np.ceil(length / size))
    if count <= 1:
        return [0], [np.ones(size, np.float32)]
    step = (length - size) / (count - 1)
    starts = [int(round(i * step)) for i in range(count)]
    # Weight grows with the distance from a tile edge that lies inside the frame, so an
    # overlap blends linearly from one tile to the next (a tile's centre has more context).
    pos = np.arange(size, dtype=np.float32)
    weights, total = [], np.zeros(length, np.float32)
    for start in starts:
        left = pos + 1 if start > 0 else np.full(size, np.inf, np.float32)
        right = size - pos if start + size < length else np.full(size, np.inf, np.float32)
        weight = np.minimum(np.minimum(left, right), float(size)).astype(np.float32)
        weights.append(weight)
        total[start:start + size] += weight
    return starts, [w / total[s:s + size] for w, s in zip(weights, starts)]


class _TilesPlan:
    """Overlapping square tiles over the frame scaled so its short side is ``zoom`` x S."""

    def __init__(self, height: int, width: int, size: int, zoom: float = 1.0):
        self.height, self.width, self.size = height, width, size
        scale = max(size / min(height, width) * zoom, size / min(height, width))
        self.scaled = (max(size, int(round(height * scale))), max(size, int(round(width * scale))))
        self.scale = self.scaled[0] / height  # model pixels per frame pixel
        self.rows = _axis_layout(self.scaled[0], size)
        self.cols = _axis_layout(self.scaled[1], size)
        self.count = len(self.rows[0]) * len(self.cols[0])

    def _cells(self):
        for top, row_weight in zip(*self.rows):
            for left, col_weight in zip(*self.cols):
                yield top, left, row_weight, col_weight

    def tiles(self, rgb: np.ndarray, out: np.ndarray) -> None:
        scaled = _resize(rgb, self.scaled[1], self.scaled[0])
        size = self.size
        for i, (top, left, _, _) in enumerate(self._cells()):
            out[i] = scaled[top:top + size, left:left + size]

    def merge(self, prob: np.ndarray) -> np.ndarray:
        if self.count == 1:
            canvas = prob[0]
        else:
            canvas = np.zeros(self.scaled, np.float32)
            size = self.size
            for i, (top, left, row_weight, col_weight) in enumerate(self._cells()):
                canvas[top:top + size, left:left + size] += (
                    prob[i] * row_weight[:, None] * col_weight[None, :])
        return cv2.resize(canvas, (self.width, self.height), interpolation=cv2.INTER_LINEAR)


class _PadPlan:
    """The whole frame scaled so its long side is S, centred on a mid-grey square."""

    count = 1

    def __init__(self, height: int, width: int, size: int):
        self.height, self.width, self.size = height, width, size
        scale = size / max(height, width)
        self.inner = (max(1, int(round(height * scale))), max(1, int(round(width * scale))))
        self.scale = self.inner[0] / height
        self.top = (size - self.inner[0]) // 2
        self.left = (size - self.inner[1]) // 2

    def tiles(self, rgb: np.ndarray, out: np.ndarray) -> None:
        out[0] = PAD_VALUE
        ih, iw = self.inner
        out[0, self.top:self.top + ih, self.left:self.left + iw] = _resize(rgb, iw, ih)

    def merge(self, prob: np.ndarray) -> np.ndarray:
        ih, iw = self.inner
        crop = prob[0, self.top:self.top + ih, self.left:self.left + iw]
        return cv2.resize(crop, (self.width, self.height), interpolation=cv2.INTER_LINEAR)


class _NativePlan:
    """
    The whole frame, short side scaled to ``zoom`` x S, as ONE rectangular input (no tiles).

    Needs a backend whose graph takes rectangular inputs: both sides are snapped to the nearest
    side it takes (``fit_side``; DeepLab: ``k * stride + 1``, which moves each side by at most
    half a stride: 8 px at 513, < 1.5 %). A zoom below 1 gives a smaller input with the frame's
    aspect ratio (it used to be padded up to S on each side, which stretched the frame). With
    ``size`` None (a model that runs at the camera's resolution: BodyPix) the frame's own short
    side is scaled by ``zoom``.
    """

    count = 1

    def __init__(self, height: int, width: int, size: Optional[int],
                 fit_side: Callable[[float], int], zoom: float = 1.0,
                 long_side: Optional[float] = None):
        self.height, self.width, self.size = height, width, size
        if long_side is not None:
            scale = long_side / max(height, width)
        else:
            scale = size * zoom / min(height, width) if size else zoom  # (bit for bit as before)
        self.tile_shape = (fit_side(height * scale), fit_side(width * scale))
        self.scale = float(np.sqrt(self.tile_shape[0] * self.tile_shape[1] / (height * width)))

    def tiles(self, rgb: np.ndarray, out: np.ndarray) -> None:
        out[0] = _resize(rgb, self.tile_shape[1], self.tile_shape[0])

    def merge(self, prob: np.ndarray) -> np.ndarray:
        return cv2.resize(prob[0], (self.width, self.height), interpolation=cv2.INTER_LINEAR)


class _Letterbox:
    """A frame beyond MAX_ASPECT, shrunk to fit and centred on a mid-grey canvas of MAX_ASPECT."""

    def __init__(self, height: int, width: int, max_short_side: int):
        long_side = min(max(height, width), int(np.ceil(max_short_side * MAX_ASPECT)))
        short_side = max(1, int(np.ceil(long_side / MAX_ASPECT)))
        scale = long_side / max(height, width)
        self.inner = (max(1, int(round(height * scale))), max(1, int(round(width * scale))))
        self.canvas = (short_side, long_side) if width >= height else (long_side, short_side)
        self.top = (self.canvas[0] - self.inner[0]) // 2
        self.left = (self.canvas[1] - self.inner[1]) // 2
        self._buffer = np.full(self.canvas + (3,), PAD_VALUE, np.uint8)

    def fit(self, rgb: np.ndarray) -> np.ndarray:
        ih, iw = self.inner
        self._buffer[self.top:self.top + ih, self.left:self.left + iw] = _resize(rgb, iw, ih)
        return self._buffer

    def crop(self, probability: np.ndarray, height: int, width: int) -> np.ndarray:
        ih, iw = self.inner
        inner = probability[self.top:self.top + ih, self.left:self.left + iw]
        return cv2.resize(inner, (width, height), interpolation=cv2.INTER_LINEAR)


class InputPlan:
    """
    Model inputs for one frame size, model input size, strategy and zoom; reuse it every frame.

    ``zoom`` (for 'tiles' and 'native') scales the frame's short side to ``zoom`` x S instead of
    S: more pixels per person at a proportional cost. A frame more than MAX_ASPECT times wider
    than tall (or taller than wide) is letterboxed to MAX_ASPECT, so the model input never
    exceeds the strategy's budget, whatever the frame's shape.

    'native' snaps each side with ``fit_side`` (the backend's ``Backend.fit_side``; given only
    ``stride``, DeepLab's ``k * stride + 1``). ``frame_sized`` (a backend that runs at the
    camera's resolution, ``Backend.native_size`` None): 'native' scales the frame's own short
    side by ``zoom`` instead of scaling it to S; its input then follows the frame's pixels, so
    it needs no letterbox.

    ``long_side`` (a preset's view) sets the long side of the 'native' input instead of the
    zoom; 'tiles' takes the zoom that gives its short side that size (1 to 4), 'pad' ignores it.
    """

    def __init__(self, height: int, width: int, size: int, strategy: str = 'tiles',
                 stride: int = None, zoom: float = 1.0,
                 fit_side: Optional[Callable[[float], int]] = None, frame_sized: bool = False,
                 long_side: Optional[float] = None):
        if strategy not in STRATEGIES:
            raise ValueError(f'unknown input strategy {strategy!r}; '
                             f'choose one of {", ".join(STRATEGIES)}')
        if height < 1 or width < 1:
            raise ValueError(f'empty frame {width}x{height}')
        if not 0.25 <= zoom <= 4.0:
            raise ValueError(f'zoom must be in [0.25, 4], got {zoom}')
        if long_side is not None and long_side < 1:
            raise ValueError(f'long_side must be at least 1 pixel, got {long_side}')
        if long_side is not None and strategy == 'tiles':
            zoom = min(4.0, max(1.0, long_side * min(height, width) / (max(height, width) * size)))
        self.strategy = strategy
        self.zoom = zoom
        self.long_side = long_side
        self.shape: Tuple[int, int] = (height, width)
        self.size = size
        self._letterbox = None
        native_frame = strategy == 'native' and frame_sized
        if max(height, width) > MAX_ASPECT * min(height, width) and not native_frame:
            # (an input at the frame's own size grows with the frame, not with its aspect)
            self._letterbox = _Letterbox(height, width,
                                         int(np.ceil(size * max(zoom, LETTERBOX_MIN_ZOOM))))
            height, width = self._letterbox.canvas
        if strategy == 'native':
            if fit_side is None and stride:
                fit_side = functools.partial(fit_deeplab_side, stride=stride)
            if fit_side is None:
                raise ValueError("strategy 'native' needs a model whose graph takes rectangular "
                                 'inputs (a DeepLab or BodyPix TFLite model)')
            self._plan = _NativePlan(height, width, None if frame_sized else size, fit_side,
                                     zoom, long_side)
        elif strategy == 'tiles':
            self._plan = _TilesPlan(height, width, size, zoom)
        else:
            self._plan = _PadPlan(height, width, size)
        self.count = self._plan.count
        #: (height, width) of each model input: square except for 'native'
        self.tile_shape = getattr(self._plan, 'tile_shape', (size, size))
        self._buffer = np.empty((self.count,) + self.tile_shape + (3,), np.uint8)

    @property
    def frame_input_shape(self) -> Optional[Tuple[int, int]]:
        """
        Return the one input's (height, width) when it is the whole frame resized, else None.

        That is 'native' without a letterbox: frame pixels map onto the input (and a BodyPix
        input's output grid) by scaling alone (``models.bodypix.grid_positions``).
        """
        if self.strategy == 'native' and self._letterbox is None:
            return self.tile_shape
        return None

    @property
    def scale(self) -> float:
        """Model-input pixels per frame pixel: how big things look to the model."""
        scale = self._plan.scale  # per pixel of what the plan was made for
        if self._letterbox is not None:  # a canvas pixel is not a frame pixel
            scale *= self._letterbox.inner[0] / self.shape[0]
        return scale

    def tiles(self, rgb: np.ndarray) -> np.ndarray:
        """Return uint8 RGB model inputs [N, h, w, 3] for ``rgb`` (a reused buffer)."""
        if self._letterbox is not None:
            rgb = self._letterbox.fit(rgb)
        self._plan.tiles(rgb, self._buffer)
        return self._buffer

    def merge(self, prob: np.ndarray) -> np.ndarray:
        """Merge the inputs' probabilities [N, h, w] into a float32 H x W map of the frame."""
        result = self._plan.merge(prob)
        if self._letterbox is not None:
            result = self._letterbox.crop(result, *self.shape)
        return result
