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
Run BodyPix 2.0 (person mask, 24 body parts, 17 keypoints) on LiteRT, at the input size asked for.

The shipped file (``bodypix_mobilenet_v1_075_720_1280_16_quant.tflite``) takes uint8 RGB; its
input is resized to any H x W with both sides multiples of 16 (``resize_tensor_input``), so
frames keep their aspect ratio and are neither stretched nor letterboxed. Its outputs are uint8,
dequantised with each tensor's own scale and zero point: the person logits on the
(H/16 + 1) x (W/16 + 1) grid become the person probability at the input size, and the part
heatmaps the part labels (``models.bodypix``: the geometry both backends share). Every invoke
computes every output; only those asked for are read back and dequantised.
"""

from typing import Optional, Sequence

import numpy as np

from person_segmentation.models import bodypix, tflite_graph
from person_segmentation.models.backends.tflite_backend import LiteRTBackend


class TFLiteBodyPixBackend(LiteRTBackend):
    """BodyPix on LiteRT: person probability and body parts for inputs of 16-pixel multiples."""

    has_parts = True

    def __init__(self, path, threads: int = 2, input_size: int = 512):
        super().__init__(path, threads)
        #: the 'tiles' and 'pad' strategies' square (the spec's input_size)
        self.input_size = bodypix.fit_side(input_size)
        names = tflite_graph.output_names(self._content, str(self.path))
        missing = [name for name in (bodypix.SEGMENTS, bodypix.PART_HEATMAPS)
                   if name not in names]
        if missing:
            raise ValueError(f'{self.path} has no output {missing[0]!r} (outputs: '
                             f'{", ".join(names)}); not a BodyPix 2.0 file')
        self.has_keypoints = bodypix.KEYPOINT_HEATMAPS in names

    @property
    def output_stride(self) -> Optional[int]:
        """Return 16: the input's sides are multiples of it."""
        return bodypix.OUTPUT_STRIDE

    @property
    def native_size(self) -> Optional[int]:
        """Return None: 'native' runs BodyPix at the frame's own size (times the zoom)."""
        return None

    def fit_side(self, length: float) -> int:
        """Return the multiple of 16 nearest ``length``."""
        return bodypix.fit_side(length)

    def takes(self, height: int, width: int) -> bool:
        """Tell whether both sides are positive multiples of 16."""
        return (self.fit_side(height), self.fit_side(width)) == (height, width)

    def input_rule(self) -> str:
        """Say which input sizes BodyPix takes."""
        return f'sides of multiples of {bodypix.OUTPUT_STRIDE} pixels'

    def predict(self, tiles: np.ndarray, parts: bool = False):
        """
        Return float32 [N, H, W] person probability, with ``parts`` also uint8 [N, H, W] parts.

        Probability: the sigmoid of the person logit upsampled to the pixel (align corners on
        the grid). Parts: ``bodypix.part_labels`` (the part logits upsampled 4x on the grid, then
        their argmax; each pixel takes its nearest grid point's part, 1..24), everywhere: the
        caller masks them with its person mask. One invoke per input.
        """
        if not parts:
            return self.predict_grids(tiles, ())[0]
        probability, grids = self.predict_grids(tiles, (bodypix.PART_LOGITS,))
        return probability, bodypix.part_labels(grids[bodypix.PART_LOGITS],
                                                *probability.shape[1:])

    def predict_grids(self, tiles: np.ndarray, grids: Sequence[str]):
        """Return the probability and the named grids (``Backend.predict_grids``)."""
        tiles = self.check_inputs(tiles)
        height, width = tiles.shape[1:3]
        tensors = [self._grid_tensor(name) for name in grids]
        runner = self.runner(height, width)
        outputs = [runner.run(tiles[i:i + 1], [bodypix.SEGMENTS] + tensors)
                   for i in range(len(tiles))]
        logits = np.concatenate([self._dequantise(runner, bodypix.SEGMENTS, out[0])[..., 0]
                                 for out in outputs])
        found = {}
        for index, (name, tensor) in enumerate(zip(grids, tensors), start=1):
            values = np.concatenate([self._dequantise(runner, tensor, out[index])
                                     for out in outputs])
            found[name] = bodypix.sigmoid(values) if name == bodypix.KEYPOINT_SCORES else values
        return bodypix.person_probability(logits, height, width), found

    def _grid_tensor(self, name: str) -> str:
        """Return the output tensor of grid ``name``; ValueError for one the file lacks."""
        tensor = bodypix.GRID_TENSORS.get(name)
        if tensor is None:
            raise ValueError(f'unknown BodyPix grid {name!r}; known: '
                             f'{", ".join(bodypix.GRID_TENSORS)}')
        if name == bodypix.KEYPOINT_SCORES and not self.has_keypoints:
            raise ValueError(f'{self.path.name} has no {tensor!r} output (pose keypoints)')
        return tensor

    @staticmethod
    def _dequantise(runner, name: str, values: np.ndarray) -> np.ndarray:
        """Return an output's real values: (q - zero point) x scale (float32 as it is)."""
        scale, zero = runner.outputs[name]['quantization']
        values = values.astype(np.float32)
        if scale:
            values -= zero
            values *= scale
        return values
