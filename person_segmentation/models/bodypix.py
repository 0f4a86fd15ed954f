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
BodyPix 2.0's output geometry and body parts, the same for every backend that runs it.

BodyPix (MobileNetV1, output stride 16) takes any H x W input whose sides are multiples of 16
and answers on a grid of (H/16 + 1) x (W/16 + 1) cells, cell (i, j) lying on input pixel
(16 i, 16 j) (the graph pads one zero row and column after the image). Its outputs, by tensor
name: 'float_segments', one person logit per cell (probability = sigmoid of the logit), and
'float_part_heatmaps', 24 body-part logits per cell, in the order of ``PART_NAMES``. Here, with
numpy and OpenCV only: the input sizes it takes, the logits upsampled to the input (align
corners, as the grid lies on the pixels) and the part labels. Both the LiteRT and the Keras
backend use these, so their answers are made the same way.
"""

from typing import Tuple

import cv2
import numpy as np

from person_segmentation.models.spec import (
    BODY_PARTS, BODYPIX_PART_HEATMAPS, BODYPIX_SEGMENTS)

#: pixels per output cell; the input's sides are multiples of it
OUTPUT_STRIDE = 16
#: the graph's output tensors the engine reads
SEGMENTS, PART_HEATMAPS = BODYPIX_SEGMENTS, BODYPIX_PART_HEATMAPS
#: the 24 body parts, in the order of the part heatmaps' channels (part id = index + 1)
PART_NAMES = BODY_PARTS
#: the part heatmaps are upsampled this many times on the grid (every 4th pixel) before their
#: argmax; pixels then take their nearest grid point's label (see ``part_labels``)
PART_UPSAMPLING = 4


def fit_side(length: float) -> int:
    """Return the multiple of the output stride nearest ``length`` (at least one stride)."""
    return max(1, int(round(length / OUTPUT_STRIDE))) * OUTPUT_STRIDE


def grid_shape(height: int, width: int) -> Tuple[int, int]:
    """Return the output grid of an ``height`` x ``width`` input."""
    return height // OUTPUT_STRIDE + 1, width // OUTPUT_STRIDE + 1


def person_probability(logits: np.ndarray, height: int, width: int) -> np.ndarray:
    """
    Return float32 [N, H, W] person probability from [N, h, w] person logits on the grid.

    The logits are upsampled bilinearly with the grid's geometry (pixel (y, x) lies at grid
    position (y / 16, x / 16)), then their sigmoid is taken.
    """
    logits = np.asarray(logits, np.float32)
    warp = np.float32([[OUTPUT_STRIDE, 0, 0], [0, OUTPUT_STRIDE, 0]])
    out = np.empty((logits.shape[0], height, width), np.float32)
    for i, grid in enumerate(logits):
        cv2.warpAffine(grid, warp, (width, height), dst=out[i], flags=cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    np.negative(out, out=out)
    with np.errstate(over='ignore'):
        np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def _upsample_grid(grid: np.ndarray, axis: int, factor: int) -> np.ndarray:
    """Align-corners linear upsampling of one axis by an integer factor: n -> (n-1) f + 1."""
    size = grid.shape[axis]
    position = np.arange((size - 1) * factor + 1) / factor
    lower = np.minimum(position.astype(np.int64), size - 1)
    upper = np.minimum(lower + 1, size - 1)
    shape = [1] * grid.ndim
    shape[axis] = -1
    weight = (position - lower).astype(np.float32).reshape(shape)
    low = np.take(grid, lower, axis=axis)
    return low + (np.take(grid, upper, axis=axis) - low) * weight


def part_labels(heatmaps: np.ndarray, height: int, width: int,
                upsampling: int = PART_UPSAMPLING) -> np.ndarray:
    """
    Return uint8 [N, H, W] part ids (1..24) from [N, h, w, 24] part logits on the grid.

    The logits are upsampled ``upsampling`` times with the grid's geometry (every 16 /
    ``upsampling`` pixels), the argmax is taken there, and each pixel takes the label of its
    nearest upsampled point. ``upsampling`` = 16 is the argmax of the logits upsampled to
    every pixel (bench/bench_bodypix.py compares the two: cost and agreement).
    """
    grid = np.asarray(heatmaps, np.float32)
    if upsampling > 1:
        grid = _upsample_grid(_upsample_grid(grid, 1, upsampling), 2, upsampling)
    labels = (np.argmax(grid, axis=-1) + 1).astype(np.uint8)
    step = OUTPUT_STRIDE / upsampling

    def nearest(length, size):
        return np.minimum(np.floor(np.arange(length) / step + 0.5).astype(np.int64), size - 1)

    rows, cols = nearest(height, labels.shape[1]), nearest(width, labels.shape[2])
    return labels[:, rows][:, :, cols]


def check_grid(height: int, width: int, grid: Tuple[int, int]) -> None:
    """Raise ValueError unless ``grid`` is the output grid of an ``height`` x ``width`` input."""
    if tuple(grid) != grid_shape(height, width) or height % OUTPUT_STRIDE or \
            width % OUTPUT_STRIDE:
        raise ValueError(f'a {width}x{height} BodyPix input gives a {grid_shape(height, width)} '
                         f'grid, not {tuple(grid)}; sides must be multiples of '
                         f'{OUTPUT_STRIDE}')
