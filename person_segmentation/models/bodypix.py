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
'float_part_heatmaps', 24 body-part logits per cell, in the order of ``PART_NAMES``, and
'float_heatmaps', 17 pose-keypoint logits per cell (``KEYPOINT_NAMES``). Here, with numpy and
OpenCV only: the input sizes it takes, the logits upsampled to the input (align corners, as the
grid lies on the pixels), the part labels, and where a frame's pixels lie on the grid of an
input the frame was resized to (``grid_positions``: the engine decodes parts and counts
keypoints in frame pixels). Both the LiteRT and the Keras backend use these, so their answers
are made the same way.
"""

from typing import Optional, Tuple

import cv2
import numpy as np

from person_segmentation.models.spec import (
    BODY_PARTS, BODYPIX_KEYPOINT_HEATMAPS, BODYPIX_PART_HEATMAPS, BODYPIX_SEGMENTS,
    POSE_KEYPOINTS)

#: pixels per output cell; the input's sides are multiples of it
OUTPUT_STRIDE = 16
#: the graph's output tensors the engine reads
SEGMENTS, PART_HEATMAPS = BODYPIX_SEGMENTS, BODYPIX_PART_HEATMAPS
KEYPOINT_HEATMAPS = BODYPIX_KEYPOINT_HEATMAPS
#: the 24 body parts, in the order of the part heatmaps' channels (part id = index + 1)
PART_NAMES = BODY_PARTS
#: the 17 pose keypoints, in the order of the keypoint heatmaps' channels
KEYPOINT_NAMES = POSE_KEYPOINTS
#: the grids ``Backend.predict_grids`` returns by these names: the 24 part logits, and the 17
#: keypoint scores (sigmoid of the keypoint logits), each on the output grid
PART_LOGITS, KEYPOINT_SCORES = 'part_logits', 'keypoint_scores'
#: the output tensor each grid is read from
GRID_TENSORS = {PART_LOGITS: PART_HEATMAPS, KEYPOINT_SCORES: KEYPOINT_HEATMAPS}
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
    return sigmoid(out, out=out)


def sigmoid(values: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
    """Return the float32 logistic of ``values``: in ``out`` (may be ``values``), else new."""
    out = np.negative(values, dtype=np.float32, out=out)
    with np.errstate(over='ignore'):  # exp(-x) of a very negative logit: inf, logistic 0
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


def grid_positions(frame_length: int, input_length: int, start: int = 0,
                   stop: Optional[int] = None, step: int = 1) -> np.ndarray:
    """
    Return where frame pixels lie on the grid of an input the frame was resized to (one axis).

    The frame (``frame_length`` pixels) was resized to the input (``input_length``) with
    OpenCV's half-pixel rule, and input pixel x lies at grid position x / 16. Pixels
    ``start``, ``start + step``, ... up to ``stop``; with ``step`` > 1 the centre of each block
    of ``step`` pixels.
    """
    stop = frame_length if stop is None else stop
    centres = np.arange(start, stop, step, dtype=np.float64) + 0.5 * step
    return (centres * input_length / frame_length - 0.5) / OUTPUT_STRIDE


def nearest_cells(frame_length: int, input_length: int) -> np.ndarray:
    """Return the index of the grid cell nearest each frame pixel (one axis)."""
    cells = np.round(grid_positions(frame_length, input_length)).astype(np.int64)
    return np.clip(cells, 0, input_length // OUTPUT_STRIDE)


def frame_part_labels(part_logits: np.ndarray, input_shape: Tuple[int, int],
                      mask: np.ndarray, step: int = 2) -> np.ndarray:
    """
    Return uint8 part ids (1..24, 0 = not a person) of a frame's pixels under ``mask``.

    ``part_logits`` [h, w, 24] is the grid of an ``input_shape`` input that the frame (the
    shape of ``mask``) was resized to. Inside the mask's bounding box, every ``step`` x
    ``step`` block of pixels takes the argmax of the 24 logits interpolated bilinearly at its
    centre; pixels outside the mask are 0. At ``step`` 2 this is 6 ms at 640x480 where every
    pixel's argmax costs 112 ms, and the same part on 98 % of the mask's pixels
    (bench/bench_bodypix.py).
    """
    height, width = mask.shape
    labels = np.zeros((height, width), np.uint8)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return labels
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    ys = grid_positions(height, input_shape[0], top, bottom, step)
    xs = grid_positions(width, input_shape[1], left, right, step)
    map_x = np.broadcast_to(xs[None, :].astype(np.float32), (len(ys), len(xs)))
    map_y = np.broadcast_to(ys[:, None].astype(np.float32), (len(ys), len(xs)))
    grid = np.asarray(part_logits, np.float32)
    best = label = None
    for first in range(0, grid.shape[-1], 4):  # cv2.remap takes up to 4 channels
        values = cv2.remap(np.ascontiguousarray(grid[..., first:first + 4]), map_x, map_y,
                           cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        values = values.reshape(len(ys), len(xs), -1)
        index = values.argmax(axis=-1)
        top_value = np.take_along_axis(values, index[..., None], axis=-1)[..., 0]
        if best is None:
            best, label = top_value, index + 1
        else:
            better = top_value > best
            best = np.where(better, top_value, best)
            label = np.where(better, index + first + 1, label)
    block = np.repeat(np.repeat(label.astype(np.uint8), step, axis=0), step, axis=1)
    labels[top:bottom, left:right] = block[:bottom - top, :right - left]
    labels[~mask] = 0
    return labels


def check_grid(height: int, width: int, grid: Tuple[int, int]) -> None:
    """Raise ValueError unless ``grid`` is the output grid of an ``height`` x ``width`` input."""
    if tuple(grid) != grid_shape(height, width) or height % OUTPUT_STRIDE or \
            width % OUTPUT_STRIDE:
        raise ValueError(f'a {width}x{height} BodyPix input gives a {grid_shape(height, width)} '
                         f'grid, not {tuple(grid)}; sides must be multiples of '
                         f'{OUTPUT_STRIDE}')
