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
Depth image message fields -> numpy, as the depth cameras' drivers publish them.

REP 118 gives depth images two encodings: ``16UC1`` in millimetres (0 = no reading; RealSense,
Orbbec, OAK-D, Kinect) and ``32FC1`` in metres (NaN or inf = no reading; ZED, simulators).
``mono16`` is read as millimetres too, as depth_image_proc does. The values are returned as
published (uint16 or float32, rows unpadded, machine byte order); the geometry turns them into
metres. Works on plain message fields, like image_conversion, and raises its
ImageConversionError with a message that names the problem.
"""

import numpy as np

from person_segmentation.media.image_conversion import check_image_size, ImageConversionError

# encoding (as published; ROS encodings are case-sensitive, these are matched without case)
# -> numpy dtype of one pixel
_DEPTH_DTYPES = {'16uc1': 'u2', 'mono16': 'u2', '32fc1': 'f4'}
DEPTH_ENCODINGS = ('16UC1', '32FC1', 'mono16')


def depth_fields_to_array(encoding: str, height: int, width: int, step: int,
                          is_bigendian: bool, data) -> np.ndarray:
    """Return the message data as a (height, width) uint16 (mm) or float32 (m) array."""
    kind = _DEPTH_DTYPES.get(str(encoding).lower())
    if kind is None:
        raise ImageConversionError(
            f'unsupported depth encoding {encoding!r}: a depth image must be 16UC1 '
            f'(millimetres) or 32FC1 (metres)', 'depth encoding')
    check_image_size(width, height)
    buffer = memoryview(data).cast('B') if not isinstance(data, np.ndarray) else data
    pixel_bytes = np.dtype(kind).itemsize
    if step < width * pixel_bytes:
        raise ImageConversionError(
            f'step {step} is smaller than width x bytes per pixel = {width} x {pixel_bytes} '
            f'for {encoding}', 'step')
    if len(buffer) < step * height:
        raise ImageConversionError(
            f'data has {len(buffer)} bytes, less than step x height = {step} x {height} '
            f'= {step * height}', 'data size')
    raw = np.frombuffer(buffer, dtype=np.uint8, count=step * height).reshape(height, step)
    order = '>' if is_bigendian else '<'
    pixels = np.ascontiguousarray(raw[:, :width * pixel_bytes]).view(order + kind)
    return pixels.astype(np.dtype(kind).newbyteorder('='), copy=False)
