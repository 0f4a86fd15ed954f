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
Write picture files (PNG, JPEG, CSV beside them) whole or not at all.

The demo's contact sheet and the README's pictures are looked at, not checked: a file cut short
by an error, a full disk or Ctrl-C could pass for a result. So every file goes to a temporary
name in its own directory first and is renamed over the target only once it is complete
(``atomic_files``).
"""

import os
import pathlib
from typing import Sequence, Union

import cv2
import numpy as np

from person_segmentation.atomic_files import replace_when_complete

PathLike = Union[str, os.PathLike]


class ImageWriteError(Exception):
    """An image could not be encoded or written; the target was left as it was."""


def write_bytes_atomic(path: PathLike, data: bytes) -> pathlib.Path:
    """Write ``data`` to ``path`` through a temporary file in its directory and a rename."""
    with replace_when_complete(path) as out:
        out.write(data)
    return pathlib.Path(path)


def encode_image(bgr: np.ndarray, suffix: str, params: Sequence[int] = ()) -> bytes:
    """Encode a BGR (or mono) uint8 image as ``suffix`` ('.png', '.jpg') with OpenCV."""
    if not isinstance(bgr, np.ndarray) or bgr.dtype != np.uint8 or bgr.ndim not in (2, 3) \
            or bgr.size == 0:
        raise ImageWriteError(f'expected a non-empty H x W (x 3) uint8 image, got '
                              f'{getattr(bgr, "shape", None)} {getattr(bgr, "dtype", None)}')
    try:
        ok, encoded = cv2.imencode(suffix, bgr, list(params))
    except cv2.error as err:
        raise ImageWriteError(f'cannot encode a {bgr.shape} image as {suffix}: {err}') from None
    if not ok:
        raise ImageWriteError(f'cannot encode a {bgr.shape} image as {suffix}')
    return encoded.tobytes()


def write_image_atomic(path: PathLike, bgr: np.ndarray,
                       params: Sequence[int] = ()) -> pathlib.Path:
    """Encode ``bgr`` in the format of ``path``'s suffix and write it atomically."""
    path = pathlib.Path(path)
    return write_bytes_atomic(path, encode_image(bgr, path.suffix.lower(), params))
