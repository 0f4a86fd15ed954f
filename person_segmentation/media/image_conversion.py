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
ROS image message fields <-> numpy arrays, without rclpy and without cv_bridge.

The node must accept whatever a camera driver publishes (colour, mono, 16-bit, YUV 4:2:2,
Bayer, padded rows, big-endian data) and must never crash on a malformed message. cv_bridge is
not installable everywhere (it is not on PyPI), so this module is the package's own converter;
it works on the plain message fields (encoding, height, width, step, is_bigendian, data) so it
is testable without ROS. Every problem raises ``ImageConversionError`` with a message that names
it. ``image_msg_to_rgb`` uses cv_bridge when it is importable (after the same validation), and
falls back to the own converter when cv_bridge cannot handle a message.
"""

import array as pyarray
import io
import sys
from typing import Dict, Optional, Tuple

import cv2
import numpy as np
from PIL import JpegImagePlugin, PngImagePlugin

# Larger sides are treated as corrupt headers rather than images (a 16k x 16k bgr8 image is
# already 768 MB).
MAX_SIDE = 16384
# The compressed formats decoded, by their first bytes: image_transport's JPEG and PNG. Pillow's
# decoders write nothing to stderr (OpenCV's libjpeg and libpng did, one line per bad frame; its
# TIFF decoder, libtiff, does too). Its image classes read the header on construction, so the
# size is known before anything is decoded; unlike Image.open they do not apply Pillow's global
# decompression-bomb limit, which would warn on stderr: the caller's limit applies instead.
_DECODERS = ((b'\xff\xd8\xff', JpegImagePlugin.JpegImageFile),
             (b'\x89PNG\r\n\x1a\n', PngImagePlugin.PngImageFile))

# encoding -> (bytes per pixel, numpy dtype of one channel, channels)
_LAYOUT: Dict[str, Tuple[int, str, int]] = {
    'rgb8': (3, 'u1', 3),
    'bgr8': (3, 'u1', 3),
    'rgba8': (4, 'u1', 4),
    'bgra8': (4, 'u1', 4),
    'mono8': (1, 'u1', 1),
    '8uc1': (1, 'u1', 1),
    '8uc3': (3, 'u1', 3),
    'mono16': (2, 'u2', 1),
    '16uc1': (2, 'u2', 1),
    'yuv422': (2, 'u1', 2),
    'uyvy': (2, 'u1', 2),
    'yuv422_yuy2': (2, 'u1', 2),
    'yuyv': (2, 'u1', 2),
    'bayer_rggb8': (1, 'u1', 1),
    'bayer_bggr8': (1, 'u1', 1),
    'bayer_gbrg8': (1, 'u1', 1),
    'bayer_grbg8': (1, 'u1', 1),
}

# Conversion of the (height, width, channels) array to RGB. ROS names a Bayer pattern by its
# first row (rggb = R G / G B); OpenCV names it by the second row's 2nd/3rd pixel, hence the
# apparent mismatch (this is the mapping cv_bridge uses).
_TO_RGB = {
    'rgb8': None,
    '8uc3': cv2.COLOR_BGR2RGB,
    'bgr8': cv2.COLOR_BGR2RGB,
    'rgba8': cv2.COLOR_RGBA2RGB,
    'bgra8': cv2.COLOR_BGRA2RGB,
    'mono8': cv2.COLOR_GRAY2RGB,
    '8uc1': cv2.COLOR_GRAY2RGB,
    'mono16': cv2.COLOR_GRAY2RGB,
    '16uc1': cv2.COLOR_GRAY2RGB,
    'yuv422': cv2.COLOR_YUV2RGB_UYVY,
    'uyvy': cv2.COLOR_YUV2RGB_UYVY,
    'yuv422_yuy2': cv2.COLOR_YUV2RGB_YUY2,
    'yuyv': cv2.COLOR_YUV2RGB_YUY2,
    'bayer_rggb8': cv2.COLOR_BayerBG2RGB,
    'bayer_bggr8': cv2.COLOR_BayerRG2RGB,
    'bayer_gbrg8': cv2.COLOR_BayerGR2RGB,
    'bayer_grbg8': cv2.COLOR_BayerGB2RGB,
}

SUPPORTED_ENCODINGS = ('rgb8', 'bgr8', 'rgba8', 'bgra8', 'mono8', 'mono16', 'yuv422',
                       'yuv422_yuy2', 'bayer_rggb8', 'bayer_bggr8', 'bayer_gbrg8',
                       'bayer_grbg8')


class ImageConversionError(ValueError):
    """
    An image message that cannot be converted; the message names the problem.

    ``kind`` names the kind of problem in a few stable words (``encoding``, ``empty``,
    ``too large``, ``step``, ``data size``, ``odd width``, ``too small``, ``no data``,
    ``format``, ``corrupt``, ``cv_bridge``), so that logs can be rate-limited per kind while
    the message carries the details of one frame.
    """

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


def _layout(encoding: str) -> Tuple[int, str, int]:
    layout = _LAYOUT.get(str(encoding).lower())
    if layout is None:
        raise ImageConversionError(
            f'unsupported image encoding {encoding!r}; supported: '
            f'{", ".join(SUPPORTED_ENCODINGS)}', 'encoding')
    return layout


def check_image_size(width: int, height: int, max_pixels: Optional[int] = None) -> None:
    """Raise ImageConversionError for an empty image or one beyond MAX_SIDE or ``max_pixels``."""
    if height <= 0 or width <= 0:
        raise ImageConversionError(f'empty image: {width}x{height} pixels', 'empty')
    if height > MAX_SIDE or width > MAX_SIDE:
        raise ImageConversionError(
            f'absurd image size {width}x{height} (more than {MAX_SIDE} pixels a side)',
            'too large')
    if max_pixels is not None and width * height > max_pixels:
        raise ImageConversionError(
            f'image of {width}x{height} = {width * height} pixels is larger than the limit of '
            f'{max_pixels} pixels (max_image_pixels)', 'too large')


def validate_image_fields(encoding: str, height: int, width: int, step: int,
                          data_length: int, max_pixels: Optional[int] = None) -> None:
    """Raise ImageConversionError unless the fields describe a convertible image."""
    bpp, _, _ = _layout(encoding)
    check_image_size(width, height, max_pixels)
    if step < width * bpp:
        raise ImageConversionError(
            f'step {step} is smaller than width x bytes per pixel = {width} x {bpp} '
            f'for {encoding}', 'step')
    if data_length < step * height:
        raise ImageConversionError(
            f'data has {data_length} bytes, less than step x height = {step} x {height} '
            f'= {step * height}', 'data size')
    if str(encoding).lower() in ('yuv422', 'uyvy', 'yuv422_yuy2', 'yuyv') and width % 2:
        raise ImageConversionError(f'{encoding} needs an even width, got {width}',
                                   'odd width')


def fields_to_array(encoding: str, height: int, width: int, step: int, is_bigendian: bool,
                    data) -> np.ndarray:
    """
    View the message data as a (height, width[, channels]) array, rows unpadded.

    The result is a copy only where needed (padding, byte order); ``data`` may be bytes,
    bytearray, array.array('B'), memoryview or a uint8 numpy array.
    """
    buffer = memoryview(data).cast('B') if not isinstance(data, np.ndarray) else data
    validate_image_fields(encoding, height, width, step, len(buffer))
    bpp, kind, channels = _layout(encoding)
    raw = np.frombuffer(buffer, dtype=np.uint8, count=step * height).reshape(height, step)
    raw = raw[:, :width * bpp]
    if kind == 'u2':
        dtype = np.dtype('>u2' if is_bigendian else '<u2')
        pixels = np.ascontiguousarray(raw).view(dtype).astype(np.uint16, copy=False)
    else:
        pixels = raw
    shape = (height, width, channels) if channels > 1 else (height, width)
    return pixels.reshape(shape)


def fields_to_rgb(encoding: str, height: int, width: int, step: int, is_bigendian: bool,
                  data) -> np.ndarray:
    """
    Convert message fields to an RGB uint8 (height, width, 3) contiguous array.

    16-bit mono is scaled by 255/65535 (as cv_bridge does for a 16 -> 8 bit conversion).
    """
    pixels = fields_to_array(encoding, height, width, step, is_bigendian, data)
    enc = str(encoding).lower()
    if pixels.dtype == np.uint16:
        pixels = np.rint(pixels.astype(np.float32) * (255.0 / 65535.0)).astype(np.uint8)
    code = _TO_RGB[enc]
    if code is None:
        return np.ascontiguousarray(pixels)
    if enc.startswith('bayer_') and (height < 2 or width < 2):
        raise ImageConversionError(f'{encoding} image too small to demosaic: {width}x{height}',
                                   'too small')
    return cv2.cvtColor(np.ascontiguousarray(pixels), code)


def compressed_to_rgb(data, image_format: str = '',
                      max_pixels: Optional[int] = None) -> np.ndarray:
    """
    Decode a sensor_msgs/CompressedImage payload (JPEG or PNG) to RGB uint8.

    Pillow reads the header first (walking every JPEG marker, wherever the frame header is) and
    the declared size is checked against MAX_SIDE and ``max_pixels`` before anything is
    decoded: a few bytes can declare a 16384 x 16384 image. Corrupt data raises; no decoder
    writes to stderr.
    """
    buffer = memoryview(data).cast('B')
    described = f'{image_format or "no format"}, {buffer.nbytes} bytes'
    if buffer.nbytes == 0:
        raise ImageConversionError(f'compressed image ({described}) has no data', 'no data')
    if 'compresseddepth' in str(image_format).lower():
        raise ImageConversionError(
            f'unsupported compressed format {image_format!r}: compressedDepth images are '
            'depth maps, not camera images', 'format')
    decoder = next((cls for magic, cls in _DECODERS if buffer[:len(magic)] == magic), None)
    if decoder is None:
        raise ImageConversionError(
            f'undecodable compressed image ({described}): neither JPEG nor PNG data', 'format')
    try:
        image = decoder(io.BytesIO(buffer))
    except Exception as error:  # noqa: B902 - Pillow raises SyntaxError, OSError, ...
        raise ImageConversionError(f'undecodable compressed image ({described}): {error}',
                                   'corrupt') from None
    with image:
        check_image_size(image.width, image.height, max_pixels)
        try:
            return _pil_to_rgb(image)
        except Exception as error:  # noqa: B902 - truncated or corrupt data
            raise ImageConversionError(
                f'undecodable compressed image ({described}, {image.format}): {error}',
                'corrupt') from None


def _pil_to_rgb(image) -> np.ndarray:
    """Decode a Pillow image to RGB uint8 (16-bit grey scaled like OpenCV and cv_bridge)."""
    if image.mode.startswith('I'):  # 16-bit grey PNG
        grey = np.asarray(image).astype(np.uint32) >> 8
        return cv2.cvtColor(np.minimum(grey, 255).astype(np.uint8), cv2.COLOR_GRAY2RGB)
    if image.mode != 'RGB':
        image = image.convert('RGB')
    return np.asarray(image)


def _load_cv_bridge():
    try:
        from cv_bridge import CvBridge
    except ImportError:
        return None
    return CvBridge()


_CV_BRIDGE = None
_CV_BRIDGE_TRIED = False


def cv_bridge_available() -> bool:
    """Whether cv_bridge can be imported here."""
    return _get_cv_bridge() is not None


def _get_cv_bridge():
    global _CV_BRIDGE, _CV_BRIDGE_TRIED
    if not _CV_BRIDGE_TRIED:
        _CV_BRIDGE_TRIED = True
        _CV_BRIDGE = _load_cv_bridge()
    return _CV_BRIDGE


def image_msg_to_rgb(msg, use_cv_bridge: Optional[bool] = None,
                     max_pixels: Optional[int] = None) -> np.ndarray:
    """
    Convert a sensor_msgs/Image (or any object with its fields) to RGB uint8.

    ``use_cv_bridge``: None = when importable, True = require it, False = own converter.
    Validation (``max_pixels`` included) always runs first, so malformed messages never reach
    cv_bridge.
    """
    encoding = str(msg.encoding)
    validate_image_fields(encoding, int(msg.height), int(msg.width), int(msg.step),
                          len(msg.data), max_pixels)
    bridge = None if use_cv_bridge is False else _get_cv_bridge()
    if use_cv_bridge and bridge is None:
        raise ImageConversionError('cv_bridge was requested but cannot be imported',
                                   'cv_bridge')
    if bridge is not None:
        try:
            rgb = bridge.imgmsg_to_cv2(msg, desired_encoding='rgb8')
            if rgb.shape == (int(msg.height), int(msg.width), 3) and rgb.dtype == np.uint8:
                return np.ascontiguousarray(rgb)
            if use_cv_bridge:
                raise ImageConversionError(f'cv_bridge returned {rgb.shape} {rgb.dtype}',
                                           'cv_bridge')
        except Exception:  # noqa: B902 - cv_bridge versions differ; the own converter decides
            if use_cv_bridge:
                raise
    return fields_to_rgb(encoding, int(msg.height), int(msg.width), int(msg.step),
                         bool(msg.is_bigendian), msg.data)


def array_to_fields(array: np.ndarray, encoding: str) -> Dict[str, object]:
    """
    Fields of a sensor_msgs/Image holding ``array`` (mono8, bgr8, rgb8, 32FC1, ...).

    ``data`` is an array.array('B') (what sensor_msgs/Image.data takes without a per-byte
    check); multi-byte pixels are in this machine's byte order.
    """
    array = np.ascontiguousarray(array)
    if array.ndim not in (2, 3):
        raise ValueError(f'expected a 2-D or 3-D array, got shape {array.shape}')
    height, width = array.shape[:2]
    return {
        'encoding': encoding,
        'height': int(height),
        'width': int(width),
        'step': int(array.strides[0]),
        'is_bigendian': 1 if (array.dtype.itemsize > 1 and sys.byteorder == 'big') else 0,
        'data': byte_array(array),
    }


def byte_array(array: np.ndarray) -> pyarray.array:
    """
    Return ``array``'s bytes (C order) as array.array('B'), copied once.

    What a message's ``data`` takes without a per-byte check; ``tobytes()`` first would copy
    twice. Through a uint8 view, not memoryview.cast, which refuses an empty array (a cloud of
    nobody).
    """
    data = pyarray.array('B')
    data.frombytes(array.reshape(-1).view(np.uint8))
    return data
