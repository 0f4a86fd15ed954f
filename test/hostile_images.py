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
Hostile camera messages from a seeded generator, for the fuzz test and bench/bench_hostile_input.

What a broken or malicious camera driver could send: raw sensor_msgs/Image fields whose
size, step, encoding and data disagree, frames of absurd shape, and compressed payloads that are
truncated, bit-flipped, of another format, or whose header declares a huge image. Every message
is at most MAX_MESSAGE_BYTES. Some are valid images of odd shape (the node must answer those);
the label says which kind each one is.
"""

import random
import struct
from typing import Callable, Dict, List, Tuple
import zlib

import cv2
import numpy as np

MAX_MESSAGE_BYTES = 1 << 20
# bytes per pixel of each encoding the node supports
BYTES_PER_PIXEL = {
    'rgb8': 3, 'bgr8': 3, 'rgba8': 4, 'bgra8': 4, 'mono8': 1, 'mono16': 2, 'yuv422': 2,
    'yuv422_yuy2': 2, 'bayer_rggb8': 1, 'bayer_bggr8': 1, 'bayer_gbrg8': 1, 'bayer_grbg8': 1,
}
UNKNOWN_ENCODINGS = ('32FC1', '16SC3', '', 'jpeg', 'rgb16', 'bayer_rggb16', '8UC4', 'nv21',
                     'r\x00gb8', 'x' * 300)
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    """Return one PNG chunk with a correct CRC."""
    return (struct.pack('>I', len(payload)) + kind + payload
            + struct.pack('>I', zlib.crc32(kind + payload)))


def png_declaring(width: int, height: int, idat: bytes = b'') -> bytes:
    """Build a PNG whose (valid, CRC-checked) header declares width x height; no real data."""
    header = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return (PNG_SIGNATURE + png_chunk(b'IHDR', header)
            + png_chunk(b'IDAT', zlib.compress(idat or b'\x00' * 64)) + png_chunk(b'IEND', b''))


def jpeg_declaring(width: int, height: int, app_segments: int = 0) -> bytes:
    """
    Build a small real JPEG whose frame header is patched to declare width x height.

    ``app_segments`` 64 KB APP1 segments come before the frame header, so a parser that reads
    only the first 64 KB cannot find the size.
    """
    jpeg = bytearray(cv2.imencode('.jpg', np.full((16, 16, 3), 128, np.uint8))[1].tobytes())
    sof = next(i for i in range(2, len(jpeg) - 9)
               if jpeg[i] == 0xFF and jpeg[i + 1] in (0xC0, 0xC1, 0xC2))
    jpeg[sof + 5:sof + 9] = struct.pack('>HH', height, width)
    app = (b'\xff\xe1' + struct.pack('>H', 65535) + bytes(65533)) * app_segments
    return bytes(jpeg[:2]) + app + bytes(jpeg[2:])


class HostileImages:
    """Seeded source of hostile raw and compressed image messages, as plain fields."""

    def __init__(self, seed: int, photo_rgb: np.ndarray):
        self.rng = random.Random(seed)
        self._photo = np.ascontiguousarray(photo_rgb)
        bgr = np.ascontiguousarray(self._photo[..., ::-1])
        self._jpeg = cv2.imencode('.jpg', bgr)[1].tobytes()
        self._png = cv2.imencode('.png', bgr[:240, :320])[1].tobytes()

    # -------------------------------------------------------------- raw sensor_msgs/Image
    def raw(self) -> Tuple[str, Dict[str, object]]:
        """(label, Image fields: encoding, height, width, step, is_bigendian, data)."""
        label, make = self.rng.choice(_RAW_CASES)
        return label, make(self)

    def _encoding(self) -> Tuple[str, int]:
        encoding = self.rng.choice(sorted(BYTES_PER_PIXEL))
        return encoding, BYTES_PER_PIXEL[encoding]

    def _bytes(self, count: int) -> bytes:
        return self.rng.randbytes(max(0, min(count, MAX_MESSAGE_BYTES)))

    def _layout(self, height: int, width: int, padding: int = 0):
        encoding, bpp = self._encoding()
        if encoding.startswith('yuv'):
            width += width % 2
        if encoding.startswith('bayer'):
            height, width = max(height, 2), max(width, 2)
        return encoding, height, width, width * bpp + padding

    def _fields(self, encoding, height, width, step, data, big_endian=None):
        if big_endian is None:
            big_endian = self.rng.random() < 0.5
        return {'encoding': encoding, 'height': height, 'width': width, 'step': step,
                'is_bigendian': int(big_endian), 'data': data}

    def _valid_random(self):
        encoding, height, width, step = self._layout(self.rng.randint(1, 300),
                                                     self.rng.randint(1, 300),
                                                     self.rng.choice((0, 0, 1, 7, 64)))
        return self._fields(encoding, height, width, step, self._bytes(step * height))

    def _thin(self):
        long_side = self.rng.randint(500, 16384)
        short_side = self.rng.randint(1, 3)
        height, width = ((short_side, long_side) if self.rng.random() < 0.5
                         else (long_side, short_side))
        encoding, height, width, step = self._layout(height, width)
        while step * height > MAX_MESSAGE_BYTES:
            height, width = max(1, height // 2), max(1, width // 2)
            encoding, height, width, step = self._layout(height, width)
        return self._fields(encoding, height, width, step, self._bytes(step * height))

    def _step_too_small(self):
        encoding, height, width, step = self._layout(self.rng.randint(1, 200),
                                                     self.rng.randint(2, 200))
        return self._fields(encoding, height, width, self.rng.randrange(step),
                            self._bytes(step * height))

    def _data_too_short(self):
        encoding, height, width, step = self._layout(self.rng.randint(1, 400),
                                                     self.rng.randint(1, 400))
        return self._fields(encoding, height, width, step,
                            self._bytes(self.rng.randrange(step * height)))

    def _empty(self):
        encoding, _ = self._encoding()
        height, width = self.rng.choice(((0, 0), (0, 640), (480, 0)))
        return self._fields(encoding, height, width, width, self._bytes(self.rng.randint(0, 99)))

    def _declared_huge(self):
        encoding, bpp = self._encoding()
        height = self.rng.choice((1, 3000, 16385, 70000, 2**31, 2**32 - 1))
        width = self.rng.choice((1, 4000, 16384, 2**31, 2**32 - 1))
        step = self.rng.choice((width * bpp, 2**32 - 1, 0))
        return self._fields(encoding, height, width, min(step, 2**32 - 1),
                            self._bytes(self.rng.randint(0, 4096)))

    def _unknown_encoding(self):
        height, width = self.rng.randint(1, 100), self.rng.randint(1, 100)
        return self._fields(self.rng.choice(UNKNOWN_ENCODINGS), height, width, width * 4,
                            self._bytes(width * 4 * height))

    def _odd_yuv(self):
        height, width = self.rng.randint(1, 100), 2 * self.rng.randint(1, 100) - 1
        return self._fields(self.rng.choice(('yuv422', 'yuv422_yuy2')), height, width,
                            width * 2, self._bytes(width * 2 * height))

    def _tiny_bayer(self):
        height, width = self.rng.choice(((1, self.rng.randint(1, 5000)),
                                         (self.rng.randint(1, 5000), 1)))
        return self._fields(self.rng.choice(sorted(e for e in BYTES_PER_PIXEL if 'bayer' in e)),
                            height, width, width, self._bytes(width * height))

    def _extra_data(self):
        fields = self._valid_random()
        fields['data'] = fields['data'] + self._bytes(self.rng.randint(1, 5000))
        return fields

    # -------------------------------------------------------------- sensor_msgs/CompressedImage
    def compressed(self) -> Tuple[str, str, bytes]:
        """(label, format, data) of a hostile CompressedImage."""
        label, make = self.rng.choice(_COMPRESSED_CASES)
        image_format, data = make(self)
        return label, image_format, data[:MAX_MESSAGE_BYTES]

    def _base(self):
        return self.rng.choice((('jpeg', self._jpeg), ('png', self._png)))

    def _truncated(self):
        image_format, data = self._base()
        return image_format, data[:self.rng.randrange(len(data))]

    def _flipped(self):
        image_format, data = self._base()
        data = bytearray(data)
        for _ in range(self.rng.randint(1, 20)):
            data[self.rng.randrange(len(data))] = self.rng.randrange(256)
        return image_format, bytes(data)

    def _huge_jpeg(self):
        width = self.rng.choice((16384, 20000, 30000, 65535, self.rng.randint(1, 65535)))
        height = self.rng.choice((16384, 20000, 65535, self.rng.randint(1, 65535)))
        return 'jpeg', jpeg_declaring(width, height, self.rng.choice((0, 0, 1, 2, 15)))

    def _huge_png(self):
        width = self.rng.choice((16384, 20000, 2**31 - 1, self.rng.randint(1, 2**31 - 1)))
        height = self.rng.choice((1, 16384, 20000, 2**31 - 1))
        return 'png', png_declaring(width, height)

    def _thin_png(self):
        long_side = self.rng.randint(300, 16384)
        shape = (1, long_side) if self.rng.random() < 0.5 else (long_side, 1)
        pixels = np.frombuffer(self._bytes(3 * long_side), np.uint8).reshape(shape + (3,))
        return 'png', cv2.imencode('.png', pixels)[1].tobytes()

    def _random_shape(self):
        height, width = self.rng.randint(1, 400), self.rng.randint(1, 400)
        image = cv2.resize(self._photo, (width, height))[..., ::-1]
        extension = self.rng.choice(('.jpg', '.png'))
        return extension[1:], cv2.imencode(extension, np.ascontiguousarray(image))[1].tobytes()

    def _garbage(self):
        return self.rng.choice(('jpeg', 'png', '')), self._bytes(self.rng.randint(0, 5000))

    def _header_only(self):
        return self.rng.choice((('jpeg', b'\xff\xd8\xff'), ('jpeg', self._jpeg[:300]),
                                ('png', PNG_SIGNATURE), ('png', self._png[:40])))

    def _other_format(self):
        extension = self.rng.choice(('.bmp', '.tiff', '.ppm', '.webp'))
        return extension[1:], cv2.imencode(extension, self._photo[:64, :64])[1].tobytes()

    def _depth(self):
        return '16UC1; compressedDepth png', self._png

    def _junk_prefix(self):
        image_format, data = self._base()
        return image_format, self._bytes(self.rng.randint(1, 300)) + data


_RAW_CASES: List[Tuple[str, Callable]] = [
    ('valid random pixels', HostileImages._valid_random),
    ('valid thin frame', HostileImages._thin),
    ('valid with extra data', HostileImages._extra_data),
    ('step too small', HostileImages._step_too_small),
    ('data too short', HostileImages._data_too_short),
    ('empty', HostileImages._empty),
    ('declared huge', HostileImages._declared_huge),
    ('unknown encoding', HostileImages._unknown_encoding),
    ('odd-width yuv', HostileImages._odd_yuv),
    ('bayer one pixel thin', HostileImages._tiny_bayer),
]
_COMPRESSED_CASES: List[Tuple[str, Callable]] = [
    ('truncated', HostileImages._truncated),
    ('bit flips', HostileImages._flipped),
    ('jpeg declaring a huge size', HostileImages._huge_jpeg),
    ('png declaring a huge size', HostileImages._huge_png),
    ('valid thin png', HostileImages._thin_png),
    ('valid random shape', HostileImages._random_shape),
    ('garbage', HostileImages._garbage),
    ('header only', HostileImages._header_only),
    ('other format', HostileImages._other_format),
    ('compressedDepth', HostileImages._depth),
    ('junk before the data', HostileImages._junk_prefix),
]
