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
Encode test images in every encoding the node accepts, as camera drivers send them.

The node only decodes images; these encoders exist to feed it (tests, benches), so they live
with the tests, not in the package.
"""

import array
from typing import Dict

import cv2
import numpy as np
from person_segmentation.media.image_conversion import SUPPORTED_ENCODINGS


def rgb_to_fields(rgb: np.ndarray, encoding: str, big_endian: bool = False,
                  padding: int = 0) -> Dict[str, object]:
    """
    Encode an RGB uint8 image in any supported encoding, as a camera driver would.

    ``padding`` extra bytes are appended to every row (step > width x bytes per pixel).
    ``data`` is an array.array('B'), ready for sensor_msgs/Image.data.
    Lossy encodings (mono, YUV 4:2:2, Bayer) sample the image as a camera would.
    """
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    enc = encoding.lower()
    height, width = rgb.shape[:2]
    if enc in ('rgb8',):
        pixels = rgb
    elif enc in ('bgr8', '8uc3'):
        pixels = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    elif enc == 'rgba8':
        pixels = cv2.cvtColor(rgb, cv2.COLOR_RGB2RGBA)
    elif enc == 'bgra8':
        pixels = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGRA)
    elif enc in ('mono8', '8uc1'):
        pixels = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    elif enc in ('mono16', '16uc1'):
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.uint16) * 257
        pixels = gray.astype('>u2' if big_endian else '<u2').view(np.uint8)
    elif enc in ('yuv422', 'uyvy', 'yuv422_yuy2', 'yuyv'):
        pixels = _rgb_to_yuv422(rgb, uyvy=enc in ('yuv422', 'uyvy'))
    elif enc.startswith('bayer_') and enc in SUPPORTED_ENCODINGS:
        pixels = _rgb_to_bayer(rgb, enc[len('bayer_'):len('bayer_') + 4])
    else:
        raise ValueError(f'cannot encode to {encoding!r}')
    rows = pixels.reshape(height, -1)
    if padding:
        rows = np.concatenate([rows, np.full((height, padding), 0xAB, np.uint8)], axis=1)
    return {
        'encoding': encoding,
        'height': int(height),
        'width': int(width),
        'step': int(rows.shape[1]),
        'is_bigendian': 1 if big_endian else 0,
        'data': array.array('B', np.ascontiguousarray(rows).tobytes()),
    }


def _rgb_to_yuv422(rgb: np.ndarray, uyvy: bool) -> np.ndarray:
    if rgb.shape[1] % 2:
        raise ValueError('YUV 4:2:2 needs an even width')
    # BT.601 limited range, the YCbCr that camera YUV 4:2:2 formats (and OpenCV) use.
    r, g, b = (rgb[..., index].astype(np.float32) for index in range(3))
    y = 16.0 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128.0 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128.0 + 0.439 * r - 0.368 * g - 0.071 * b
    u = (u[:, 0::2] + u[:, 1::2]) / 2.0
    v = (v[:, 0::2] + v[:, 1::2]) / 2.0
    out = np.empty((rgb.shape[0], rgb.shape[1] // 2, 4), np.float32)
    if uyvy:
        out[..., 0], out[..., 1], out[..., 2], out[..., 3] = u, y[:, 0::2], v, y[:, 1::2]
    else:
        out[..., 0], out[..., 1], out[..., 2], out[..., 3] = y[:, 0::2], u, y[:, 1::2], v
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out.reshape(rgb.shape[0], rgb.shape[1], 2)


def _rgb_to_bayer(rgb: np.ndarray, pattern: str) -> np.ndarray:
    channel = {'r': 0, 'g': 1, 'b': 2}
    mosaic = np.empty(rgb.shape[:2], np.uint8)
    for index, letter in enumerate(pattern):
        row, col = divmod(index, 2)
        mosaic[row::2, col::2] = rgb[row::2, col::2, channel[letter]]
    return mosaic
