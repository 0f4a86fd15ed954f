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

"""media/depth_sequence: 16-bit depth PNGs found in frame order and read as millimetres."""

import cv2
import numpy as np
from person_segmentation.media.depth_sequence import DepthSequence, DepthSequenceError
import pytest


def _depth(value: int) -> np.ndarray:
    depth = np.full((3, 4), value, np.uint16)
    depth[0, 0] = 0  # no reading
    return depth


def test_a_folder_is_read_in_natural_name_order(tmp_path):
    """Timestamps or unpadded numbers: 2.png before 10.png; other files are not depth."""
    for name, value in (('10.png', 10), ('2.png', 2), ('1.png', 1)):
        cv2.imwrite(str(tmp_path / name), _depth(value))
    (tmp_path / 'notes.txt').write_text('recorded on a D435')
    sequence = DepthSequence(tmp_path)
    assert [p.name for p in sequence.files] == ['1.png', '2.png', '10.png']
    assert len(sequence) == 3
    for index, value in enumerate((1, 2, 10)):
        np.testing.assert_array_equal(sequence.read(index), _depth(value))
    with pytest.raises(DepthSequenceError, match='has 3 depth images: none for colour frame 3'):
        sequence.read(3)


def test_a_pattern_takes_its_numbers_only_and_a_scale_makes_millimetres(tmp_path):
    for number in (7, 8, 9):
        cv2.imwrite(str(tmp_path / f'depth_{number:04d}.png'), _depth(5000 * number // 7))
    cv2.imwrite(str(tmp_path / 'depth_preview.png'), _depth(1))
    sequence = DepthSequence(tmp_path / 'depth_%04d.png', scale=0.2)  # TUM: 1/5000 m
    assert [p.name for p in sequence.files] == ['depth_0007.png', 'depth_0008.png',
                                                'depth_0009.png']
    np.testing.assert_array_equal(sequence.read(0), _depth(1000))
    assert sequence.read(0).dtype == np.uint16
    with pytest.raises(DepthSequenceError, match=r'times --depth-scale 20 exceeds 65535 mm'):
        DepthSequence(tmp_path / 'depth_%04d.png', scale=20).read(2)


@pytest.mark.parametrize('path, message', [
    ('depth_%d_%d.png', 'needs exactly one %d'),
    ('%d/depth.png', 'needs exactly one %d'),
    ('missing/%05d.png', 'depth folder .*missing does not exist'),
    ('none_%05d.png', r'no depth images \(16-bit PNG\) found'),
])
def test_bad_patterns_are_named(tmp_path, path, message):
    with pytest.raises(DepthSequenceError, match=message):
        DepthSequence(tmp_path / path)


def test_what_is_not_16_bit_depth_is_refused_by_file(tmp_path):
    cv2.imwrite(str(tmp_path / '0.png'), np.zeros((3, 4, 3), np.uint16))
    (tmp_path / '1.png').write_bytes(b'not a png')
    sequence = DepthSequence(tmp_path)
    with pytest.raises(DepthSequenceError, match=r'0.png is uint16 with 3 channel\(s\)'):
        sequence.read(0)
    with pytest.raises(DepthSequenceError, match=r'cannot read depth image .*1.png'):
        sequence.read(1)
    with pytest.raises(DepthSequenceError, match='--depth-scale must be positive'):
        DepthSequence(tmp_path, scale=0)
