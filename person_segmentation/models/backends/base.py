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
The interface every inference backend implements, so model details stay out of the callers.

A backend turns a batch of RGB uint8 model inputs into a per-pixel person probability at the
same size (and, for models that have them, body-part labels). Normalisation, dtype, threading,
device placement and what is kept per input shape are the backend's business; fitting frames
to inputs, resizing back to the frame and smoothing are the Segmenter's. One backend instance
serves every view of a Segmenter (and its mirror): ``predict`` takes any input shape the
model takes (``takes``), whatever the previous call's was.
"""

from abc import ABC, abstractmethod
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np

#: what ``predict`` returns: probability [N, H, W], or with ``parts=True`` (probability, parts)
Prediction = Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]
#: what ``predict_grids`` returns: probability [N, H, W] and the grids asked for, by name
GridPrediction = Tuple[np.ndarray, Dict[str, np.ndarray]]


class Backend(ABC):
    """A loaded model that maps RGB inputs to person probability (and body parts)."""

    #: square input side in pixels: the 'tiles' and 'pad' strategies' input
    input_size: int
    #: short backend name for logs and /diagnostics, e.g. 'tflite' or 'keras-tensorflow'
    name: str
    #: where inference runs, e.g. 'cpu (2 threads)' or 'gpu:0'
    device: str
    #: True when the probability is only 0/1 (argmax-only models)
    binary_output: bool = False
    #: True when ``predict(..., parts=True)`` gives body-part labels and ``predict_grids`` the
    #: part logits (BodyPix; not DeepLab)
    has_parts: bool = False
    #: True when ``predict_grids`` gives pose-keypoint scores (BodyPix 2.0's file has them)
    has_keypoints: bool = False
    #: True when ``predict`` takes the inputs of several frames in one call (for any strategy)
    batches_frames: bool = False
    #: frames per ``predict`` call worth batching (a GPU backend: several; a CPU one: 1)
    preferred_batch: int = 1
    #: why this backend and device were chosen (``create_backend``), for logs and diagnostics
    selection: str = ''

    @property
    def output_stride(self) -> Optional[int]:
        """
        Stride of the output grid when the graph takes rectangular inputs, else None.

        A backend with a stride takes every ``fit_side``-aligned input shape; the engine's
        'native' strategy (one aspect-kept input per frame) needs it.
        """
        return None

    @property
    def native_size(self) -> Optional[int]:
        """
        Return the short side the 'native' strategy scales a frame to at zoom 1.

        The model's own input size (DeepLab: what it was trained at), or None: the frame's own
        short side (BodyPix, which runs at the camera's resolution).
        """
        return self.input_size

    def fit_side(self, length: float) -> int:
        """
        Return the input side the graph takes nearest to ``length`` pixels (at least one cell).

        DeepLab's rule (the default): ``k * output_stride + 1``, whose output grid has a cell on
        the first and the last pixel. Raise ValueError for a graph of square inputs only.
        """
        stride = self.output_stride
        if not stride:
            raise ValueError(f'{self.name} backend takes square {self.input_size}x'
                             f'{self.input_size} inputs only')
        return max(1, int(round((length - 1) / stride))) * stride + 1

    def takes(self, height: int, width: int) -> bool:
        """Tell whether ``predict`` accepts ``height`` x ``width`` inputs."""
        if (height, width) == (self.input_size, self.input_size):
            return True
        return bool(self.output_stride) and (
            self.fit_side(height), self.fit_side(width)) == (height, width)

    def check_inputs(self, tiles) -> np.ndarray:
        """Return ``tiles`` as an array; ValueError unless uint8 RGB [N, H, W, 3] it takes."""
        tiles = np.asarray(tiles)
        if tiles.ndim != 4 or tiles.shape[3] != 3 or tiles.dtype != np.uint8:
            raise ValueError(f'expected uint8 RGB inputs [N, H, W, 3], got {tiles.dtype} '
                             f'{tiles.shape}')
        if not self.takes(*tiles.shape[1:3]):
            raise ValueError(f'{self.name} backend cannot take a {tiles.shape[2]}x'
                             f'{tiles.shape[1]} input ({self.input_rule()})')
        return tiles

    def input_rule(self) -> str:
        """Say which input sizes the model takes, for error messages."""
        if not self.output_stride:
            return f'square {self.input_size}x{self.input_size} only'
        return (f'sides of k x {self.output_stride} + 1 pixels, or the square '
                f'{self.input_size}x{self.input_size}')

    @abstractmethod
    def predict(self, tiles: np.ndarray, parts: bool = False) -> Prediction:
        """
        Return float32 [N, H, W] person probability for uint8 RGB inputs [N, H, W, 3].

        With ``parts=True`` (``has_parts`` backends only) return ``(probability, parts)``,
        parts uint8 [N, H, W]: the body part (1..24) each pixel most likely belongs to,
        everywhere; whether the pixel is a person at all is the caller's mask.
        """

    def predict_grids(self, tiles: np.ndarray, grids: Sequence[str]) -> GridPrediction:
        """
        Return ``(probability, {name: grid})``: ``predict``'s probability and BodyPix's grids.

        ``grids`` names what else to return, on the model's output grid ([N, h, w, C], cell
        (i, j) on input pixel (16 i, 16 j)): ``models.bodypix.PART_LOGITS`` (the 24 body-part
        logits; ``has_parts``) and ``models.bodypix.KEYPOINT_SCORES`` (the 17 pose keypoints'
        scores in [0, 1]; ``has_keypoints``). Only what is named is read back; a model without
        them raises ValueError.
        """
        raise ValueError(f'{self.name} backend: {", ".join(grids)} asked for, but the model '
                         'has no body parts or keypoints (not BodyPix)')

    def close(self) -> None:
        """Release resources (interpreters, device memory); the default does nothing."""
