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

A backend turns a batch of square RGB uint8 tiles at the model's input size into a per-pixel
person probability at that same size. Normalisation, dtype, threading and device placement are
the backend's business; tiling, resizing back to the frame and smoothing are the Segmenter's.
"""

from abc import ABC, abstractmethod
from typing import Optional

import numpy as np


class Backend(ABC):
    """A loaded model that maps RGB tiles to person probability."""

    #: square input side in pixels that ``predict`` expects
    input_size: int
    #: short backend name for logs and /diagnostics, e.g. 'tflite' or 'keras-tensorflow'
    name: str
    #: where inference runs, e.g. 'cpu (2 threads)' or 'gpu:0'
    device: str
    #: True when the probability is only 0/1 (argmax-only models)
    binary_output: bool = False
    #: True when ``predict`` takes the tiles of several frames in one call (for any strategy)
    batches_frames: bool = False
    #: frames per ``predict`` call worth batching (a GPU backend: several; a CPU one: 1)
    preferred_batch: int = 1
    #: why this backend and device were chosen (``create_backend``), for logs and diagnostics
    selection: str = ''

    @property
    def output_stride(self) -> Optional[int]:
        """
        Stride of the logits grid when the graph takes rectangular inputs, else None.

        A backend that returns a stride must implement ``set_input_shape``; the engine's
        'native' strategy (one aspect-kept input per frame) needs both.
        """
        return None

    def set_input_shape(self, height: int, width: int) -> None:
        """Take one ``height`` x ``width`` input per call from now on (see ``output_stride``)."""
        raise ValueError(f'{self.name} backend takes square {self.input_size}x{self.input_size} '
                         f'inputs only, not {width}x{height}')

    @abstractmethod
    def predict(self, tiles: np.ndarray) -> np.ndarray:
        """Return float32 [N, S, S] person probability for uint8 RGB tiles [N, S, S, 3]."""

    def close(self) -> None:
        """Release resources (interpreters, device memory); the default does nothing."""
