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
Image message conversion: every encoding, padding, byte order, and every kind of bad input.

The node relies on these conversions for every camera it meets; a wrong channel order or
Bayer pattern would silently ruin segmentation, and a crash on a malformed message would take
the node down. Where cv_bridge is importable, it must agree with the built-in converter.
"""

import struct
import zlib

import cv2
from image_encoders import rgb_to_fields
import numpy as np
from person_segmentation.media.image_conversion import (array_to_fields, compressed_to_rgb,
                                                        cv_bridge_available, fields_to_rgb,
                                                        image_msg_to_rgb, ImageConversionError,
                                                        SUPPORTED_ENCODINGS)
import pytest
from sensor_msgs.msg import Image


@pytest.fixture(scope='module')
def photo(davis_dir):
    """Load a real 854x480 frame with a person, as RGB."""
    bgr = cv2.imread(str(davis_dir / 'JPEGImages' / '480p' / 'lucia' / '00010.jpg'))
    assert bgr is not None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _convert(fields):
    return fields_to_rgb(fields['encoding'], fields['height'], fields['width'], fields['step'],
                         fields['is_bigendian'], fields['data'])


def _message(fields):
    msg = Image()
    for key, value in fields.items():
        setattr(msg, key, value)
    return msg


def _expected(rgb, encoding):
    if encoding in ('mono8', 'mono16'):
        return cv2.cvtColor(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    return rgb


@pytest.mark.parametrize('encoding', ['rgb8', 'bgr8', 'rgba8', 'bgra8', 'mono8', 'mono16'])
@pytest.mark.parametrize('padding', [0, 7])
@pytest.mark.parametrize('big_endian', [False, True])
def test_lossless_encodings_round_trip_exactly(photo, encoding, padding, big_endian):
    fields = rgb_to_fields(photo, encoding, big_endian=big_endian, padding=padding)
    assert fields['step'] > fields['width'] or encoding == 'mono8' and not padding
    out = _convert(fields)
    assert out.shape == photo.shape and out.dtype == np.uint8 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, _expected(photo, encoding))


def test_mono16_byte_order_is_honoured():
    values = np.array([[0x0100, 0xFF00, 0x0080, 0xFFFF]], dtype=np.uint16)
    little = values.astype('<u2').tobytes()
    big = values.astype('>u2').tobytes()
    expected = np.rint(values * (255.0 / 65535.0)).astype(np.uint8)
    for data, is_big in ((little, False), (big, True)):
        out = fields_to_rgb('mono16', 1, 4, 8, is_big, data)
        np.testing.assert_array_equal(out[..., 0], expected)
    # Reading big-endian data as little-endian gives a different image: the flag matters.
    assert not np.array_equal(fields_to_rgb('mono16', 1, 4, 8, False, big)[..., 0], expected)


@pytest.mark.parametrize('encoding', ['yuv422', 'yuv422_yuy2'])
@pytest.mark.parametrize('padding', [0, 4])
def test_yuv422_decodes_close_to_the_original(photo, encoding, padding):
    fields = rgb_to_fields(photo, encoding, padding=padding)
    out = _convert(fields)
    assert out.shape == photo.shape
    # Chroma is shared by pixel pairs, so edges differ; the image as a whole must match.
    error = np.abs(out.astype(np.int16) - photo.astype(np.int16))
    assert np.median(error) <= 2 and error.mean() < 4


def test_uyvy_and_yuy2_byte_orders_are_not_confused():
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[...] = (220, 40, 30)  # saturated red: swapping Y and chroma bytes would be obvious
    for encoding in ('yuv422', 'yuv422_yuy2'):
        out = _convert(rgb_to_fields(rgb, encoding))
        assert np.abs(out.astype(int) - rgb.astype(int)).max() <= 3, encoding
    uyvy = rgb_to_fields(rgb, 'yuv422')
    wrong = fields_to_rgb('yuv422_yuy2', 4, 4, uyvy['step'], False, uyvy['data'])
    assert np.abs(wrong.astype(int) - rgb.astype(int)).max() > 50


@pytest.mark.parametrize('pattern', ['rggb', 'bggr', 'gbrg', 'grbg'])
@pytest.mark.parametrize('padding', [0, 3])
def test_bayer_patterns_demosaic_to_the_right_colours(photo, pattern, padding):
    flat = np.zeros((16, 16, 3), np.uint8)
    flat[...] = (200, 100, 30)
    out = _convert(rgb_to_fields(flat, f'bayer_{pattern}8', padding=padding))
    np.testing.assert_array_equal(out[2:-2, 2:-2], flat[2:-2, 2:-2])
    real = _convert(rgb_to_fields(photo, f'bayer_{pattern}8', padding=padding))
    error = np.abs(real.astype(np.int16) - photo.astype(np.int16))
    assert real.shape == photo.shape and np.median(error) <= 6


def test_every_supported_encoding_is_covered_by_the_encoder(photo):
    small = photo[:32, :32]
    for encoding in SUPPORTED_ENCODINGS:
        assert _convert(rgb_to_fields(small, encoding)).shape == small.shape


def test_message_conversion_matches_the_field_conversion(photo):
    for encoding in SUPPORTED_ENCODINGS:
        fields = rgb_to_fields(photo[:48, :64], encoding, padding=2)
        np.testing.assert_array_equal(image_msg_to_rgb(_message(fields), use_cv_bridge=False),
                                      _convert(fields))


@pytest.mark.skipif(not cv_bridge_available(),
                    reason='cv_bridge is not installed here (not on PyPI); install '
                           'ros-<distro>-cv-bridge to compare it with the built-in converter')
@pytest.mark.parametrize('encoding', SUPPORTED_ENCODINGS)
@pytest.mark.parametrize('padding', [0, 6])
def test_cv_bridge_agrees_with_the_builtin_converter(photo, encoding, padding):
    # Little-endian only: cv_bridge's Python byte swapping predates numpy 2 (the node falls
    # back to the built-in converter when cv_bridge raises).
    fields = rgb_to_fields(photo, encoding, padding=padding)
    own = image_msg_to_rgb(_message(fields), use_cv_bridge=False)
    bridged = image_msg_to_rgb(_message(fields), use_cv_bridge=True)
    assert bridged.shape == own.shape
    assert np.abs(bridged.astype(np.int16) - own.astype(np.int16)).max() <= 1


def _fields(encoding, height, width, step, data):
    return {'encoding': encoding, 'height': height, 'width': width, 'step': step, 'data': data}


@pytest.mark.parametrize('fields, problem', [
    (_fields('rgb8', 4, 4, 11, bytes(48)), 'step 11 is smaller'),
    (_fields('rgb8', 4, 4, 12, bytes(47)), 'data has 47 bytes'),
    (_fields('mono16', 2, 2, 3, bytes(8)), 'step 3 is smaller'),
    (_fields('rgb8', 0, 4, 12, b''), 'empty image'),
    (_fields('mono8', 4, 0, 0, b''), 'empty image'),
    (_fields('mono8', 100000, 100000, 100000, bytes(10)), 'absurd image size'),
    (_fields('32FC1', 2, 2, 8, bytes(16)), "unsupported image encoding '32FC1'"),
    (_fields('', 2, 2, 2, bytes(4)), 'unsupported image encoding'),
    (_fields('yuv422', 2, 3, 6, bytes(12)), 'even width'),
])
def test_malformed_images_raise_a_clear_error(fields, problem):
    with pytest.raises(ImageConversionError, match=problem):
        fields_to_rgb(is_bigendian=False, **fields)
    with pytest.raises(ImageConversionError, match=problem):
        image_msg_to_rgb(_message({**fields, 'is_bigendian': 0}))


def test_compressed_images_decode(photo):
    ok, jpeg = cv2.imencode('.jpg', cv2.cvtColor(photo, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    out = compressed_to_rgb(jpeg.tobytes(), 'jpeg')
    assert out.shape == photo.shape
    assert np.abs(out.astype(np.int16) - photo.astype(np.int16)).mean() < 4
    ok, png = cv2.imencode('.png', cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    np.testing.assert_array_equal(compressed_to_rgb(png.tobytes(), 'png'), photo)


@pytest.mark.parametrize('data, image_format, problem', [
    (b'', 'jpeg', 'has no data'),
    (b'\xff\xd8\xff\xe0 definitely not a jpeg' * 10, 'jpeg', 'undecodable compressed image'),
    (bytes(range(256)), 'png', 'undecodable compressed image'),
    (b'\x00' * 64, '16UC1; compressedDepth png', 'compressedDepth'),
])
def test_bad_compressed_images_raise_a_clear_error(data, image_format, problem):
    with pytest.raises(ImageConversionError, match=problem):
        compressed_to_rgb(data, image_format)


def test_array_to_fields_builds_publishable_messages():
    mask = np.zeros((3, 5), np.uint8)
    mask[1, 2] = 255
    fields = array_to_fields(mask, 'mono8')
    msg = _message(fields)
    assert (msg.height, msg.width, msg.step, msg.encoding) == (3, 5, 5, 'mono8')
    np.testing.assert_array_equal(np.frombuffer(msg.data, np.uint8).reshape(3, 5), mask)
    probability = np.linspace(0, 1, 15, dtype=np.float32).reshape(3, 5)
    fields = array_to_fields(probability, '32FC1')
    assert fields['step'] == 20
    np.testing.assert_array_equal(
        np.frombuffer(fields['data'], np.float32).reshape(3, 5), probability)


def _png_declaring(width, height):
    """Build a tiny PNG whose header claims width x height (its pixel data is truncated)."""
    def chunk(kind, payload):
        return (struct.pack('>I', len(payload)) + kind + payload
                + struct.pack('>I', zlib.crc32(kind + payload)))
    header = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header)
            + chunk(b'IDAT', zlib.compress(b'\x00' * 64)) + chunk(b'IEND', b''))


def test_huge_declared_size_is_rejected_before_decoding(photo):
    # Measured: a complete 1.2 MB PNG of 20000 x 20000 decoded in 6 s at 2.3 GB peak RSS before
    # the size check existed; the header check rejects such a frame without decoding it.
    with pytest.raises(ImageConversionError, match='absurd image size 20000x20000'):
        compressed_to_rgb(_png_declaring(20000, 20000), 'png')
    ok, jpeg = cv2.imencode('.jpg', photo[..., ::-1])
    data = bytearray(jpeg.tobytes())
    sof = next(i for i in range(2, len(data) - 9)
               if data[i] == 0xFF and data[i + 1] in (0xC0, 0xC2))
    data[sof + 5:sof + 9] = struct.pack('>HH', 30000, 30000)  # height, width
    with pytest.raises(ImageConversionError, match='absurd image size 30000x30000'):
        compressed_to_rgb(bytes(data), 'jpeg')
    # the real headers are read correctly: normal images still decode
    assert compressed_to_rgb(jpeg.tobytes(), 'jpeg').shape == photo.shape
