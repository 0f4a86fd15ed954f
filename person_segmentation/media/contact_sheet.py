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
A contact sheet: frames spread evenly over a video, tiled into one picture.

The demo's result is a video; a user who wants to see at a glance whether people were found
should not need a video player. The sheet shows ``cells`` frames (3 x 3 by default) from the
first to the last, each scaled to ``cell_width`` and labelled with its frame number and time,
written as a PNG that is either complete or absent (``image_files``).
"""

from dataclasses import dataclass
import math
import os
import pathlib
from typing import List, Sequence, Tuple, Union

import cv2
import numpy as np

from person_segmentation.media.image_files import write_image_atomic
from person_segmentation.media.video import VideoReadError, VideoSource

#: the demo's sheet: 3 x 3 frames, each 320 px wide
CELLS, COLUMNS, CELL_WIDTH = 9, 3, 320
#: pixels between cells (background colour: black)
GAP = 4


@dataclass
class ContactSheet:
    """What was written: the file, its frames (indices into the video) and the video's length."""

    path: pathlib.Path
    frames: List[int]
    frame_count: int
    size: Tuple[int, int]  # width, height of the sheet


def evenly_spread(count: int, cells: int) -> List[int]:
    """Return up to ``cells`` frame indices from 0 to ``count - 1``, evenly spread, ascending."""
    if count < 1 or cells < 1:
        return []
    if count <= cells:
        return list(range(count))
    if cells == 1:
        return [count // 2]
    return sorted({round(i * (count - 1) / (cells - 1)) for i in range(cells)})


def tile(images: Sequence[np.ndarray], columns: int, gap: int = GAP) -> np.ndarray:
    """Return the images (equal shapes) in rows of ``columns``, ``gap`` black pixels apart."""
    if not images:
        raise ValueError('no images to tile')
    shapes = {image.shape for image in images}
    if len(shapes) != 1:
        raise ValueError(f'images to tile must have one shape, got {sorted(shapes)}')
    columns = max(1, min(columns, len(images)))
    rows = math.ceil(len(images) / columns)
    height, width = images[0].shape[:2]
    sheet = np.zeros((rows * height + (rows - 1) * gap, columns * width + (columns - 1) * gap)
                     + images[0].shape[2:], images[0].dtype)
    for index, image in enumerate(images):
        top, left = (index // columns) * (height + gap), (index % columns) * (width + gap)
        sheet[top:top + height, left:left + width] = image
    return sheet


def label(image: np.ndarray, text: str) -> np.ndarray:
    """Write ``text`` in white on a dark band at the image's top left (in place; returned)."""
    font, scale, thickness = cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1
    (width, height), baseline = cv2.getTextSize(text, font, scale, thickness)
    cv2.rectangle(image, (0, 0), (width + 8, height + baseline + 6), (0, 0, 0), cv2.FILLED)
    cv2.putText(image, text, (4, height + 3), font, scale, (255, 255, 255), thickness,
                cv2.LINE_AA)
    return image


def _cell(bgr: np.ndarray, cell_width: int) -> np.ndarray:
    height, width = bgr.shape[:2]
    size = (cell_width, max(1, round(height * cell_width / width)))
    interpolation = cv2.INTER_AREA if cell_width < width else cv2.INTER_LINEAR
    return cv2.resize(bgr, size, interpolation=interpolation)


def _read_frames(video: Union[str, os.PathLike], cells: int, cell_width: int):
    """Return (cells as BGR, their indices, the video's frame count, its fps)."""
    with VideoSource(video) as source:
        count = source.frame_count
        wanted = set(evenly_spread(count, cells)) if count else set()
        picked, seen = {}, 0
        for index, bgr in source:
            seen = index + 1
            if index in wanted:
                picked[index] = _cell(bgr, cell_width)
        fps = source.fps
    if not count or seen != count:  # no or a wrong frame count in the header: read again
        wanted = evenly_spread(seen, cells)
        if set(wanted) != set(picked):
            with VideoSource(video) as source:
                picked = {index: _cell(bgr, cell_width) for index, bgr in source
                          if index in wanted}
    indices = sorted(picked)
    return [picked[i] for i in indices], indices, seen, fps


def write_contact_sheet(video: Union[str, os.PathLike], path: Union[str, os.PathLike],
                        cells: int = CELLS, columns: int = COLUMNS,
                        cell_width: int = CELL_WIDTH) -> ContactSheet:
    """
    Write a PNG of ``cells`` frames of ``video`` spread from its first to its last frame.

    Each frame is scaled to ``cell_width`` pixels wide (aspect kept) and labelled 'frame N,
    T s'; a video shorter than ``cells`` gives all its frames. Raises VideoReadError for an
    unreadable video and ImageWriteError when the sheet cannot be written (nothing is left).
    """
    if cells < 1 or columns < 1 or cell_width < 16:
        raise ValueError(f'a contact sheet needs cells >= 1, columns >= 1 and cell_width >= '
                         f'16, got {cells}, {columns}, {cell_width}')
    images, indices, count, fps = _read_frames(video, cells, cell_width)
    if not images:
        raise VideoReadError(f'{video}: no frames for a contact sheet')
    for image, index in zip(images, indices):
        label(image, f'frame {index}, {index / fps:.1f} s')
    sheet = tile(images, columns)
    written = write_image_atomic(path, sheet)
    return ContactSheet(written, indices, count, (sheet.shape[1], sheet.shape[0]))
