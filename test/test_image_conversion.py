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

import cv2
from hostile_images import png_declaring
from image_encoders import rgb_to_fields
from memory_probe import run_snippet
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


@pytest.mark.parametrize('fields, problem, kind', [
    (_fields('rgb8', 4, 4, 11, bytes(48)), 'step 11 is smaller', 'step'),
    (_fields('rgb8', 4, 4, 12, bytes(47)), 'data has 47 bytes', 'data size'),
    (_fields('mono16', 2, 2, 3, bytes(8)), 'step 3 is smaller', 'step'),
    (_fields('rgb8', 0, 4, 12, b''), 'empty image', 'empty'),
    (_fields('mono8', 4, 0, 0, b''), 'empty image', 'empty'),
    (_fields('mono8', 100000, 100000, 100000, bytes(10)), 'absurd image size', 'too large'),
    (_fields('32FC1', 2, 2, 8, bytes(16)), "unsupported image encoding '32FC1'", 'encoding'),
    (_fields('', 2, 2, 2, bytes(4)), 'unsupported image encoding', 'encoding'),
    (_fields('yuv422', 2, 3, 6, bytes(12)), 'even width', 'odd width'),
    (_fields('bayer_rggb8', 1, 9, 9, bytes(9)), 'too small to demosaic', 'too small'),
])
def test_malformed_images_raise_a_clear_error(fields, problem, kind):
    with pytest.raises(ImageConversionError, match=problem) as raised:
        fields_to_rgb(is_bigendian=False, **fields)
    assert raised.value.kind == kind  # what the node rate-limits its warnings by
    if kind != 'too small':  # found by the conversion itself, after validation
        with pytest.raises(ImageConversionError, match=problem):
            image_msg_to_rgb(_message({**fields, 'is_bigendian': 0}))


def test_pixel_limit_applies_to_raw_images():
    fields = rgb_to_fields(np.zeros((30, 40, 3), np.uint8), 'rgb8')
    assert image_msg_to_rgb(_message(fields), False, max_pixels=1200).shape == (30, 40, 3)
    with pytest.raises(ImageConversionError, match='limit of 1199 pixels') as raised:
        image_msg_to_rgb(_message(fields), False, max_pixels=1199)
    assert raised.value.kind == 'too large'


def test_compressed_images_decode(photo):
    ok, jpeg = cv2.imencode('.jpg', cv2.cvtColor(photo, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    out = compressed_to_rgb(jpeg.tobytes(), 'jpeg')
    assert out.shape == photo.shape
    assert np.abs(out.astype(np.int16) - photo.astype(np.int16)).mean() < 4
    ok, png = cv2.imencode('.png', cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    np.testing.assert_array_equal(compressed_to_rgb(png.tobytes(), 'png'), photo)


@pytest.mark.parametrize('data, image_format, problem, kind', [
    (b'', 'jpeg', 'has no data', 'no data'),
    (b'\xff\xd8\xff\xe0 definitely not a jpeg' * 10, 'jpeg', 'undecodable compressed image',
     'corrupt'),
    (bytes(range(256)), 'png', 'neither JPEG nor PNG', 'format'),
    (b'\x00' * 64, '16UC1; compressedDepth png', 'compressedDepth', 'format'),
])
def test_bad_compressed_images_raise_a_clear_error(data, image_format, problem, kind):
    with pytest.raises(ImageConversionError, match=problem) as raised:
        compressed_to_rgb(data, image_format)
    assert raised.value.kind == kind


def _corrupt_variants(photo):
    bgr = cv2.cvtColor(photo[:120, :160], cv2.COLOR_RGB2BGR)
    jpeg = cv2.imencode('.jpg', bgr)[1].tobytes()
    png = cv2.imencode('.png', bgr)[1].tobytes()
    flipped = bytearray(jpeg)
    flipped[400:420] = bytes(b ^ 0x55 for b in flipped[400:420])
    return {
        'jpeg cut in half': jpeg[:len(jpeg) // 2],
        'jpeg without its end marker': jpeg[:-2],
        'jpeg with zeros inside': jpeg[:600] + bytes(50) + jpeg[650:],
        'jpeg with bytes flipped': bytes(flipped),
        'jpeg header only': jpeg[:200],
        'png cut in half': png[:len(png) // 2],
        'png with a bad checksum': png[:30] + b'\x00' + png[31:],
        'png signature and header only': png[:40],
        'tiff': cv2.imencode('.tiff', bgr)[1].tobytes(),
    }


def test_corrupt_compressed_images_are_rejected_without_writing_to_stderr(photo, capfd):
    # OpenCV's libjpeg and libpng wrote "Corrupt JPEG data: ..." / "libpng error: ..." straight
    # to stderr, outside the node's logger, one line per bad frame.
    kinds = {}
    for name, data in _corrupt_variants(photo).items():
        try:
            compressed_to_rgb(data, 'jpeg')
            kinds[name] = 'decoded'
        except ImageConversionError as error:
            kinds[name] = error.kind
    captured = capfd.readouterr()
    assert captured.err == '' and captured.out == ''
    assert kinds['tiff'] == 'format'
    assert all(kind in ('corrupt', 'decoded') for name, kind in kinds.items() if name != 'tiff')
    assert list(kinds.values()).count('decoded') <= 2  # only damage inside the entropy data


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


def test_huge_declared_size_is_rejected_before_decoding(photo):
    # Measured: a complete 1.2 MB PNG of 20000 x 20000 decoded in 6 s at 2.3 GB peak RSS before
    # the size check existed; the header check rejects such a frame without decoding it.
    with pytest.raises(ImageConversionError, match='absurd image size 20000x20000'):
        compressed_to_rgb(png_declaring(20000, 20000), 'png')
    ok, jpeg = cv2.imencode('.jpg', photo[..., ::-1])
    data = bytearray(jpeg.tobytes())
    sof = next(i for i in range(2, len(data) - 9)
               if data[i] == 0xFF and data[i + 1] in (0xC0, 0xC2))
    data[sof + 5:sof + 9] = struct.pack('>HH', 30000, 30000)  # height, width
    with pytest.raises(ImageConversionError, match='absurd image size 30000x30000'):
        compressed_to_rgb(bytes(data), 'jpeg')
    # the real headers are read correctly: normal images still decode
    assert compressed_to_rgb(jpeg.tobytes(), 'jpeg').shape == photo.shape


def test_declared_size_is_checked_wherever_the_header_is_and_before_any_decoding():
    # Before: only the first 64 KB were searched, so a 66 KB JPEG with a 64 KB APP1 segment in
    # front of its frame header declaring 20000 x 20000 was decoded (2.3 GB, 5-9 s) and only
    # then rejected; and a 629-byte JPEG declaring 16384 x 16384, inside the per-side limit,
    # decoded to 805 MB. Now both are refused from their header, by the caller's pixel limit.
    result = run_snippet("""
        from hostile_images import jpeg_declaring, png_declaring
        from person_segmentation.media.image_conversion import compressed_to_rgb
        cases = {'20000 x 20000 behind 64 KB of APP1': (jpeg_declaring(20000, 20000, 1), {}),
                 '20000 x 20000 behind 15 x 64 KB': (jpeg_declaring(20000, 20000, 15), {}),
                 '16384 x 16384 in 629 bytes': (jpeg_declaring(16384, 16384),
                                                {'max_pixels': 8388608}),
                 'png 16384 x 16384': (png_declaring(16384, 16384), {'max_pixels': 8388608})}
        limit_address_space(600)
        reset_peak()
        outcome = {}
        for name, (data, limit) in cases.items():
            try:
                compressed_to_rgb(data, 'jpeg', **limit)
                outcome[name] = 'decoded'
            except Exception as error:
                outcome[name] = f'{type(error).__name__}: {error}'
        print(json.dumps({'outcome': outcome, 'growth': peak_growth_mb()}))
    """)
    outcome = result['outcome']
    assert 'absurd image size 20000x20000' in outcome['20000 x 20000 behind 64 KB of APP1']
    assert 'absurd image size 20000x20000' in outcome['20000 x 20000 behind 15 x 64 KB']
    assert 'larger than the limit of 8388608 pixels' in outcome['16384 x 16384 in 629 bytes']
    assert 'larger than the limit of 8388608 pixels' in outcome['png 16384 x 16384']
    assert result['growth'] < 50.0, f'peak RSS grew by {result["growth"]:.0f} MB'


def test_sixteen_bit_and_alpha_pngs_decode_like_opencv():
    grey = (np.arange(48 * 64, dtype=np.uint16).reshape(48, 64) * 20)
    colour = np.dstack([grey, grey // 2, grey // 3])
    with_alpha = np.dstack([(colour >> 8).astype(np.uint8), np.full((48, 64), 7, np.uint8)])
    for image in (grey, colour, with_alpha):
        data = cv2.imencode('.png', image)[1].tobytes()
        expected = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR),
                                cv2.COLOR_BGR2RGB)
        np.testing.assert_array_equal(compressed_to_rgb(data, 'png'), expected)
