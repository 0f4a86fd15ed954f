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
Run the .tflite models on LiteRT: one interpreter per input shape, shared by every caller.

``LiteRTBackend`` keeps an allocated interpreter per input shape (``ShapeCache``: the views
at two sizes, their mirrors and cameras of other sizes alternate shapes, and building an
interpreter costs 30-50 ms), so one instance serves a whole Segmenter. ``TFLiteBackend`` runs
the DeepLab Pascal VOC models on it; ``tflite_bodypix_backend`` runs BodyPix.

The hosted DeepLab models come in two kinds: the float 257x257 model returns 21 logits per
pixel, and the quantised 513x513 Coral models end in an ARG_MAX op (class ids only). Both
compute their logits on a 33x33 grid (output stride 8 or 16) and then upsample them bilinearly
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
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

from person_segmentation.models import tflite_graph
from person_segmentation.models.backends.base import Backend
from person_segmentation.models.backends.litert_messages import to_logging
from person_segmentation.models.backends.shape_cache import ShapeCache
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


class Runner:
    """One interpreter for one input shape; allocated for a batch size on first use."""

    def __init__(self, interpreter, height: int, width: int, normalise=None):
        self.interpreter = interpreter
        self.shape = (height, width)
        self.input = interpreter.get_input_details()[0]
        #: output details by tensor name, in the graph's order
        self.outputs: Dict[str, dict] = {d['name']: d for d in interpreter.get_output_details()}
        self._normalise = normalise  # uint8 tiles -> the float input, into a buffer
        self._batch = None
        self._feed = None

    def ensure_batch(self, batch: int) -> None:
        """Allocate the tensors for ``batch`` inputs (nothing to do when they already are)."""
        if batch == self._batch:
            return
        self._batch = None  # until allocated: a failure here must not leave a stale size
        self.interpreter.resize_tensor_input(self.input['index'], [batch, *self.shape, 3])
        _allocate(self.interpreter)
        if self._normalise is not None:
            self._feed = np.empty((batch, *self.shape, 3), np.float32)
        self._batch = batch
        self.outputs = {d['name']: d for d in self.interpreter.get_output_details()}

    def run(self, tiles: np.ndarray, names: Optional[List[str]] = None) -> List[np.ndarray]:
        """
        Invoke on uint8 RGB ``tiles`` [N, h, w, 3]; return the named outputs (copies).

        ``names`` None: the graph's first output.
        """
        self.ensure_batch(tiles.shape[0])
        feed = tiles if self._normalise is None else self._normalise(tiles, self._feed)
        self.interpreter.set_tensor(self.input['index'], feed)
        self.interpreter.invoke()
        names = names or [next(iter(self.outputs))]
        return [self.interpreter.get_tensor(self.outputs[name]['index']) for name in names]


class LiteRTBackend(Backend):
    """A .tflite model on LiteRT (CPU, XNNPACK) with one interpreter per input shape kept."""

    name = 'tflite'
    #: the input shape whose interpreter takes batches (allocated per batch size on use); every
    #: other shape's interpreter is allocated for one input when built, so a shape that cannot
    #: be allocated (out of memory) is never kept
    batched_shape: Optional[Tuple[int, int]] = None

    def __init__(self, path, threads: int = 2):
        self.path = pathlib.Path(path)
        self.threads = max(1, int(threads))
        self._content = self.path.read_bytes()
        self.device = f'cpu ({self.threads} threads, LiteRT XNNPACK)'
        self._shapes: ShapeCache[Runner] = ShapeCache(self._build)

    def _graph(self, height: int, width: int) -> Optional[bytes]:
        """Return the model bytes for ``height`` x ``width`` inputs (None: the file as it is)."""
        return self._content

    def _normalisation(self, runner_input):
        """Return ``(tiles, buffer) -> float input`` for a float input tensor, else None."""
        return None

    def _build(self, shape: Tuple[int, int]) -> Runner:
        height, width = shape
        content = self._graph(height, width)
        interpreter = load_interpreter(self.path, self.threads, content)
        tensor = interpreter.get_input_details()[0]
        runner = Runner(interpreter, height, width, self._normalisation(tensor))
        if shape != self.batched_shape:
            runner.ensure_batch(1)
        return runner

    def runner(self, height: int, width: int) -> Runner:
        """Return the interpreter for ``height`` x ``width`` inputs (built once, kept LRU)."""
        return self._shapes.get((height, width))

    @property
    def interpreters_built(self) -> int:
        """Return how many interpreters this backend has built (one per new input shape)."""
        return self._shapes.builds

    def close(self) -> None:
        """Drop the interpreters."""
        self._shapes.clear()


def _upsample2x_align_corners(grid: np.ndarray) -> np.ndarray:
    """Exact 2x align-corners bilinear upsampling of [N, h, w, C] to [N, 2h-1, 2w-1, C]."""
    n, h, w, c = grid.shape
    out = np.empty((n, 2 * h - 1, 2 * w - 1, c), np.float32)
    out[:, ::2, ::2] = grid
    out[:, 1::2, ::2] = 0.5 * (grid[:, :-1] + grid[:, 1:])
    out[:, :, 1::2] = 0.5 * (out[:, :, :-2:2] + out[:, :, 2::2])
    return out


def _deeplab_normalise(tiles: np.ndarray, feed: np.ndarray) -> np.ndarray:
    """Normalise like DeepLab's float model: RGB in [-1, 1]."""
    np.multiply(tiles, 1.0 / 127.5, out=feed, casting='unsafe')
    feed -= 1.0
    return feed


class TFLiteBackend(LiteRTBackend):
    """
    A DeepLab Pascal VOC TFLite model on LiteRT, any 'native' input shape and square batches.

    The file's own square input takes a batch of tiles in one invoke; a rectangular input
    (``k * output_stride + 1`` per side) runs a reshaped graph, one input per invoke.
    """

    def __init__(self, path, threads: int = 2, trim: bool = True):
        super().__init__(path, threads)
        self._trim = trim
        inputs, _ = tflite_graph.io_shapes(self._content, str(self.path))
        shape = [int(v) for v in inputs[0]] if len(inputs) == 1 else []
        if len(shape) != 4 or shape[1] != shape[2] or shape[3] != 3:
            raise ValueError(f'{self.path}: input shape {shape} is not [1, S, S, 3]')
        self.input_size = shape[1]
        self.batched_shape = (self.input_size, self.input_size)
        self._square = None
        if trim:
            try:
                trimmed = tflite_graph.trim_logits_tail(self._content)
            except Exception:  # noqa: B902 - not a DeepLab-shaped graph: run it as it is
                trimmed = None
            self._square = trimmed[0] if trimmed else None
        self.trimmed = self._square is not None
        runner = self.runner(self.input_size, self.input_size)  # checks the file is usable
        self._float_input = runner.input['dtype'] == np.float32
        output = next(iter(runner.outputs.values()))
        out_shape = [int(v) for v in output['shape']]
        self._logits = len(out_shape) == 4 and out_shape[-1] == NUM_CLASSES
        if not self._logits and len(out_shape) != 3:
            raise ValueError(f'{self.path}: output shape {out_shape} is neither logits '
                             f'[1, H, W, {NUM_CLASSES}] nor class ids [1, H, W]')
        scale, zero = output['quantization']
        self._quant = (float(scale), int(zero)) if scale else None
        self.binary_output = not self._logits

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

    def _graph(self, height: int, width: int) -> Optional[bytes]:
        if (height, width) == (self.input_size, self.input_size):
            return self._square  # trimmed, or None: the file itself
        patched = tflite_graph.reshape_input(self._content, height, width)
        if patched is None:
            raise ValueError(f'{self.path.name} cannot take a {width}x{height} input '
                             f'(output stride {self.output_stride})')
        content = patched[0]
        if self._trim:
            trimmed = tflite_graph.trim_logits_tail(content)
            content = trimmed[0] if trimmed else content
        return content

    def _normalisation(self, runner_input):
        return _deeplab_normalise if runner_input['dtype'] == np.float32 else None

    def predict(self, tiles: np.ndarray, parts: bool = False) -> np.ndarray:
        """Return float32 [N, H, W] person probability for uint8 RGB inputs [N, H, W, 3]."""
        if parts:
            raise ValueError(f'{self.path.name} is a DeepLab model: it has no body parts')
        tiles = self.check_inputs(tiles)
        height, width = tiles.shape[1:3]
        runner = self.runner(height, width)
        if (height, width) == (self.input_size, self.input_size):
            raw = runner.run(tiles)[0]
        else:  # a reshaped graph runs one input per invoke
            raw = np.concatenate([runner.run(tiles[i:i + 1])[0] for i in range(len(tiles))])
        if not self._logits:
            return self._to_input_size((raw == PERSON_CLASS).astype(np.float32), height, width)
        return self._to_input_size(self._softmax_person(raw), height, width)

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

    @staticmethod
    def _to_input_size(prob: np.ndarray, height: int, width: int) -> np.ndarray:
        """Upsample [N, gh, gw] to the input size with align-corners geometry (the model's)."""
        if prob.shape[1:] == (height, width):
            return prob
        warp = np.array([[(width - 1) / (prob.shape[2] - 1), 0, 0],
                         [0, (height - 1) / (prob.shape[1] - 1), 0]], np.float32)
        out = np.empty((prob.shape[0], height, width), np.float32)
        for i in range(prob.shape[0]):
            cv2.warpAffine(prob[i], warp, (width, height), dst=out[i], flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)
        return out
