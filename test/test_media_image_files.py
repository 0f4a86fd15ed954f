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

"""Picture files are written whole or not at all: no half-written PNG that looks complete."""

import os

import cv2
import numpy as np
from person_segmentation.media import image_files
import pytest


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir())


def test_png_round_trip(tmp_path):
    image = np.random.default_rng(0).integers(0, 255, (30, 40, 3), np.uint8)
    path = image_files.write_image_atomic(tmp_path / 'sub' / 'a.png', image)
    assert np.array_equal(cv2.imread(str(path)), image)
    assert _leftovers(tmp_path / 'sub') == ['a.png']
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


@pytest.mark.parametrize('image', [np.zeros((0, 4, 3), np.uint8), np.zeros((4, 4), np.float32),
                                   'not an image'])
def test_bad_image_writes_nothing(tmp_path, image):
    (tmp_path / 'a.png').write_bytes(b'old')
    with pytest.raises(image_files.ImageWriteError):
        image_files.write_image_atomic(tmp_path / 'a.png', image)
    assert (tmp_path / 'a.png').read_bytes() == b'old'
    assert _leftovers(tmp_path) == ['a.png']


def test_unknown_format_writes_nothing(tmp_path):
    with pytest.raises(image_files.ImageWriteError, match='.xyz'):
        image_files.write_image_atomic(tmp_path / 'a.xyz', np.zeros((4, 4, 3), np.uint8))
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize('error', [OSError(28, 'No space left on device'), KeyboardInterrupt])
def test_failure_while_writing_keeps_the_old_file(tmp_path, monkeypatch, error):
    (tmp_path / 'a.png').write_bytes(b'old')

    def fail(fd):
        raise error

    monkeypatch.setattr(os, 'fsync', fail)  # the disk fills up / Ctrl-C mid-write
    with pytest.raises(type(error) if isinstance(error, OSError) else error):
        image_files.write_image_atomic(tmp_path / 'a.png', np.zeros((8, 8, 3), np.uint8))
    assert (tmp_path / 'a.png').read_bytes() == b'old'
    assert _leftovers(tmp_path) == ['a.png']
