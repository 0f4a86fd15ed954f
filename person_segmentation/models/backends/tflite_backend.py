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
Run the DeepLab TFLite models on LiteRT and turn their output into person probability.

The hosted DeepLab models come in two kinds: the float 257x257 model returns 21 logits per pixel,
and the quantised 513x513 Coral models end in an ARG_MAX op (class ids only). Both compute their
logits on a 33x33 grid (output stride 8 or 16) and then upsample them bilinearly
(align-corners) to the input size; the quantised ones then take the argmax.

At load time the backend trims that tail off the graph (``tflite_graph.trim_logits_tail``; in
memory, the file is not touched): the model's output becomes the raw 33x33x21 logits. That
saves the two most expensive and least useful ops (a 513x513x21 resize and an argmax over it)
and gives the quantised models a real softmax probability instead of class ids. The logits
are upsampled 2x to 65x65 (exact align-corners midpoints), the person softmax is taken there,
and the probability is warped to the input size with the same align-corners geometry as the
model's own resize. Rectangular inputs (the engine's 'native' strategy) run a graph patched by
``tflite_graph.reshape_input``.

When a model does not have that structure (a user-supplied file) the full output is used: the
softmax of the logits, or, for class ids only, a 0/1 probability (1.0 where the class is person;
``binary_output`` is then True).
"""

import pathlib
from typing import Optional

import cv2
import numpy as np

from person_segmentation.models import tflite_graph
from person_segmentation.models.backends.base import Backend
from person_segmentation.models.backends.litert_messages import to_logging
from person_segmentation.models.spec import NUM_CLASSES, PERSON_CLASS


def _interpreter_class():
    tflite_graph.schema()  # the ImportError with the fix when LiteRT is missing
    from ai_edge_litert import interpreter
    return interpreter.Interpreter


def load_interpreter(path=None, threads: int = 1, content: Optional[bytes] = None):
    """Create a LiteRT interpreter; a file that is not a TFLite model raises ValueError."""
    interpreter_class = _interpreter_class()
    try:
        with to_logging():
            if content is not None:
                return interpreter_class(model_content=content,
                                         num_threads=max(1, int(threads)))
            return interpreter_class(model_path=str(path), num_threads=max(1, int(threads)))
    except (ValueError, RuntimeError) as error:
        raise ValueError(f'{path} is not a usable TFLite model: {error}') from None


def _allocate(interpreter) -> None:
    """Allocate the tensors (where LiteRT creates its XNNPACK delegate and says so)."""
    with to_logging():
        interpreter.allocate_tensors()


def _upsample2x_align_corners(grid: np.ndarray) -> np.ndarray:
    """Exact 2x align-corners bilinear upsampling of [N, h, w, C] to [N, 2h-1, 2w-1, C]."""
    n, h, w, c = grid.shape
    out = np.empty((n, 2 * h - 1, 2 * w - 1, c), np.float32)
    out[:, ::2, ::2] = grid
    out[:, 1::2, ::2] = 0.5 * (grid[:, :-1] + grid[:, 1:])
    out[:, :, 1::2] = 0.5 * (out[:, :, :-2:2] + out[:, :, 2::2])
    return out


class TFLiteBackend(Backend):
    """A DeepLab Pascal VOC TFLite model on LiteRT (CPU, XNNPACK), batched over tiles."""

    def __init__(self, path, threads: int = 2, trim: bool = True):
        self.path = pathlib.Path(path)
        self.threads = max(1, int(threads))
        content = self.path.read_bytes()
        self._content = content
        self._trim = trim
        self.input_shape = None  # (height, width) of a rectangular input, see set_input_shape
        trimmed = None
        if trim:
            try:
                trimmed = tflite_graph.trim_logits_tail(content)
            except Exception:  # noqa: B902 - not a DeepLab-shaped graph: run it as it is
                trimmed = None
        self.trimmed = trimmed is not None
        if trimmed is not None:
            self._interpreter = load_interpreter(self.path, self.threads, trimmed[0])
        else:
            self._interpreter = load_interpreter(self.path, self.threads)
        self._input = self._interpreter.get_input_details()[0]
        shape = [int(v) for v in self._input['shape']]
        if len(shape) != 4 or shape[1] != shape[2] or shape[3] != 3:
            raise ValueError(f'{self.path}: input shape {shape} is not [1, S, S, 3]')
        self.input_size = shape[1]
        self._float_input = self._input['dtype'] == np.float32
        self._output = self._interpreter.get_output_details()[0]
        out_shape = [int(v) for v in self._output['shape']]
        self._logits = len(out_shape) == 4 and out_shape[-1] == NUM_CLASSES
        if not self._logits and len(out_shape) != 3:
            raise ValueError(f'{self.path}: output shape {out_shape} is neither logits '
                             f'[1, H, W, {NUM_CLASSES}] nor class ids [1, H, W]')
        scale, zero = self._output['quantization']
        self._quant = (float(scale), int(zero)) if scale else None
        self.binary_output = not self._logits
        self.name = 'tflite'
        self.device = f'cpu ({self.threads} threads, LiteRT XNNPACK)'
        self._batch = 0

    @property
    def output_stride(self) -> Optional[int]:
        """Stride of the logits grid when the graph supports rectangular inputs, else None."""
        if not hasattr(self, '_stride'):
            patched = None
            try:
                patched = tflite_graph.reshape_input(self._content, self.input_size,
                                                     self.input_size)
            except Exception:  # noqa: B902 - unexpected graph: no rectangular inputs
                patched = None
            self._stride = patched[1] if patched else None
        return self._stride

    def set_input_shape(self, height: int, width: int) -> None:
        """
        Rebuild the interpreter for a rectangular ``height`` x ``width`` input (one frame).

        Both sides must be ``k * output_stride + 1``. Raise ValueError when the graph cannot.
        All or nothing: when building or allocating the new interpreter fails (out of memory,
        say), the previous one stays in use, so frames of the previous shape keep working.
        """
        if (height, width) == self.input_shape:
            return
        patched = tflite_graph.reshape_input(self._content, height, width)
        if patched is None:
            raise ValueError(f'{self.path.name} cannot take a {width}x{height} input '
                             f'(output stride {self.output_stride})')
        content = patched[0]
        if self._trim:
            trimmed = tflite_graph.trim_logits_tail(content)
            content = trimmed[0] if trimmed else content
        interpreter = load_interpreter(self.path, self.threads, content)
        tensor = interpreter.get_input_details()[0]
        interpreter.resize_tensor_input(tensor['index'], [1, height, width, 3])
        _allocate(interpreter)
        feed = np.empty((1, height, width, 3),
                        np.float32 if self._float_input else tensor['dtype'])
        self._interpreter, self._input, self._feed = interpreter, tensor, feed
        self._output = interpreter.get_output_details()[0]
        self.input_shape = (height, width)
        self._batch = None

    def _ensure_batch(self, batch: int) -> None:
        if self.input_shape is not None:
            return
        if batch != self._batch:
            size = self.input_size
            self._batch = None  # until allocated: a failure here must not leave a stale size
            self._interpreter.resize_tensor_input(self._input['index'], [batch, size, size, 3])
            _allocate(self._interpreter)
            self._feed = np.empty((batch, size, size, 3),
                                  np.float32 if self._float_input else self._input['dtype'])
            self._batch = batch

    def _prepare(self, tiles: np.ndarray) -> np.ndarray:
        if self._float_input:
            # DeepLab normalisation: RGB in [-1, 1]
            np.multiply(tiles, 1.0 / 127.5, out=self._feed, casting='unsafe')
            self._feed -= 1.0
            return self._feed
        return tiles

    def predict(self, tiles: np.ndarray) -> np.ndarray:
        """Return float32 [N, S, S] person probability for uint8 RGB tiles [N, S, S, 3]."""
        tiles = np.asarray(tiles)
        height, width = self.input_shape or (self.input_size, self.input_size)
        if tiles.ndim != 4 or tiles.shape[1:] != (height, width, 3) or (
                self.input_shape is not None and tiles.shape[0] != 1):
            raise ValueError(f'expected tiles [N, {height}, {width}, 3], got {tiles.shape}')
        if tiles.dtype != np.uint8:
            raise ValueError(f'expected uint8 RGB tiles, got {tiles.dtype}')
        self._ensure_batch(tiles.shape[0])
        self._interpreter.set_tensor(self._input['index'], self._prepare(tiles))
        self._interpreter.invoke()
        raw = self._interpreter.get_tensor(self._output['index'])
        if not self._logits:
            return self._to_input_size((raw == PERSON_CLASS).astype(np.float32))
        return self._to_input_size(self._softmax_person(raw))

    def _softmax_person(self, raw: np.ndarray) -> np.ndarray:
        """Person softmax of [N, h, w, 21] logits, on a grid of at most ~65x65."""
        if min(raw.shape[1:3]) > 65:  # full-resolution logits (untrimmed): subsample
            step = (min(raw.shape[1:3]) - 1) // 64
            raw = raw[:, ::step, ::step, :]
        logits = raw.astype(np.float32)
        if self._quant is not None:
            scale, zero = self._quant
            logits -= zero
            logits *= scale
        if min(logits.shape[1:3]) <= 33:
            logits = _upsample2x_align_corners(logits)
        logits -= logits[..., PERSON_CLASS:PERSON_CLASS + 1]
        with np.errstate(over='ignore'):
            np.exp(logits, out=logits)
        return 1.0 / logits.sum(axis=-1)

    def _to_input_size(self, prob: np.ndarray) -> np.ndarray:
        """Upsample [N, gh, gw] to the input size with align-corners geometry (the model's)."""
        height, width = self.input_shape or (self.input_size, self.input_size)
        if prob.shape[1:] == (height, width):
            return prob
        warp = np.array([[(width - 1) / (prob.shape[2] - 1), 0, 0],
                         [0, (height - 1) / (prob.shape[1] - 1), 0]], np.float32)
        out = np.empty((prob.shape[0], height, width), np.float32)
        for i in range(prob.shape[0]):
            cv2.warpAffine(prob[i], warp, (width, height), dst=out[i], flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)
        return out

    def close(self) -> None:
        """Drop the interpreter."""
        self._interpreter = None
