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
Recorded depth as RGB-D datasets store it: one 16-bit PNG per colour frame, in a folder.

TUM RGB-D, Redwood, ScanNet and the RealSense recorders' image exports keep depth as
single-channel 16-bit PNGs (millimetres, 0 = no reading; TUM's are 1/5000 m, hence a scale)
beside the colour frames. ``DepthSequence`` lists them (a folder's ``*.png`` in natural order,
so ``2.png`` comes before ``10.png``, or a printf pattern such as ``depth/%05d.png``) and reads
the i-th as uint16 millimetres, refusing with the file's name what is not 16-bit depth (a
colourised depth visualisation is the usual mistake).
"""

import pathlib
import re
from typing import List

import cv2
import numpy as np

_PATTERN = re.compile(r'%0?(\d*)d')


class DepthSequenceError(ValueError):
    """Depth images that cannot be found or read; the message names the file or folder."""


def _natural_key(path: pathlib.Path):
    return [int(part) if part.isdigit() else part for part in re.split(r'(\d+)', path.name)]


def _files_of_pattern(pattern: str) -> List[pathlib.Path]:
    """Files matching a printf pattern with one ``%d`` / ``%05d``, in number order."""
    folder, name = pathlib.Path(pattern).parent, pathlib.Path(pattern).name
    found = list(_PATTERN.finditer(name))
    if len(found) != 1 or '%' in str(folder):
        raise DepthSequenceError(f'depth pattern {pattern!r} needs exactly one %d (e.g. '
                                 f'depth/%05d.png), in the file name')
    width = found[0].group(1)
    digits = rf'\d{{{int(width)}}}' if width else r'\d+'
    regex = re.compile(re.escape(name[:found[0].start()]) + f'({digits})'
                       + re.escape(name[found[0].end():]) + '$')
    if not folder.is_dir():
        raise DepthSequenceError(f'depth folder {folder} does not exist')
    numbered = sorted((int(match.group(1)), path) for path in folder.iterdir()
                      for match in [regex.match(path.name)] if match)
    for (number, _), (following, path) in zip(numbered, numbered[1:]):
        if following != number + 1:  # colour sequences stop at a gap: the pairs would shift
            raise DepthSequenceError(f'depth images of {pattern} skip from number {number} to '
                                     f'{following} ({path.name}): one per colour frame, '
                                     f'numbered without gaps, is needed')
    return [path for _, path in numbered]


class DepthSequence:
    """
    Depth images of a folder (``*.png``) or printf pattern, read as uint16 millimetres.

    ``scale`` multiplies the stored values into millimetres (TUM RGB-D: 0.2, its PNGs being
    1/5000 m); a value that would exceed 65535 mm after scaling is refused.
    """

    def __init__(self, path, scale: float = 1.0):
        if not scale > 0:
            raise DepthSequenceError(f'--depth-scale must be positive, got {scale}')
        self.path = str(path)
        self.scale = float(scale)
        if '%' in self.path:
            self.files = _files_of_pattern(self.path)
        else:
            folder = pathlib.Path(self.path)
            if not folder.is_dir():
                raise DepthSequenceError(f'depth folder {folder} does not exist (give a folder '
                                         f'of 16-bit PNGs or a pattern such as '
                                         f'depth/%05d.png)')
            self.files = sorted((p for p in folder.iterdir()
                                 if p.suffix.lower() == '.png' and p.is_file()),
                                key=_natural_key)
        if not self.files:
            raise DepthSequenceError(f'no depth images (16-bit PNG) found in {self.path}')

    def __len__(self) -> int:
        """Return the number of depth images."""
        return len(self.files)

    def read(self, index: int) -> np.ndarray:
        """Read the ``index``-th depth image as a (height, width) uint16 array in millimetres."""
        if index >= len(self.files):
            raise DepthSequenceError(
                f'{self.path} has {len(self.files)} depth images: none for colour frame '
                f'{index} (one depth image per colour frame is needed)')
        path = self.files[index]
        depth = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if depth is None:
            raise DepthSequenceError(f'cannot read depth image {path} (not an image file?)')
        if depth.dtype != np.uint16 or depth.ndim != 2:
            channels = 1 if depth.ndim == 2 else depth.shape[2]
            raise DepthSequenceError(
                f'depth image {path} is {depth.dtype} with {channels} channel(s): depth must '
                f'be single-channel 16-bit (millimetres), not a colourised visualisation')
        if self.scale != 1.0:
            scaled = np.rint(depth * self.scale)
            if scaled.max(initial=0) > np.iinfo(np.uint16).max:
                raise DepthSequenceError(f'depth image {path} times --depth-scale '
                                         f'{self.scale:g} exceeds 65535 mm')
            depth = scaled.astype(np.uint16)
        return depth
