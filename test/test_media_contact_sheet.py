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

"""The contact sheet: frames spread over a real video, tiled, labelled, written atomically."""

import cv2
import numpy as np
from person_segmentation.media import contact_sheet
from person_segmentation.media.video import VideoReadError
import pytest
from video_frames import read_all


def _cells(sheet, count, columns, cell_size):
    width, height = cell_size
    step_x, step_y = width + contact_sheet.GAP, height + contact_sheet.GAP
    return [sheet[(i // columns) * step_y:(i // columns) * step_y + height,
                  (i % columns) * step_x:(i % columns) * step_x + width] for i in range(count)]


@pytest.mark.parametrize('count, cells, expected', [
    (795, 9, [0, 99, 198, 298, 397, 496, 596, 695, 794]),
    (5, 9, [0, 1, 2, 3, 4]),
    (10, 1, [5]),
    (1, 9, [0]),
    (0, 9, []),
])
def test_evenly_spread_from_first_to_last(count, cells, expected):
    assert contact_sheet.evenly_spread(count, cells) == expected


def test_tile_places_images_in_rows_with_gaps():
    images = [np.full((2, 3, 3), i + 1, np.uint8) for i in range(5)]
    sheet = contact_sheet.tile(images, columns=3, gap=1)
    assert sheet.shape == (2 * 2 + 1, 3 * 3 + 2, 3)
    assert (sheet[0:2, 4:7] == 2).all() and (sheet[3:5, 4:7] == 5).all()
    assert (sheet[2] == 0).all() and (sheet[3:5, 8:] == 0).all()  # gap row, empty cell
    with pytest.raises(ValueError, match='one shape'):
        contact_sheet.tile([np.zeros((2, 2), np.uint8), np.zeros((3, 2), np.uint8)], 2)


def test_sheet_of_a_real_video(eval_videos_dir, tmp_path):
    video = eval_videos_dir / 'bedroom.mp4'  # 960x540, 200 frames
    frames = read_all(video)[1]
    sheet = contact_sheet.write_contact_sheet(video, tmp_path / 'sheet.png')
    assert sheet.frames == [0, 25, 50, 75, 100, 124, 149, 174, 199] and sheet.frame_count == 200
    image = cv2.imread(str(sheet.path))
    assert image.shape == (3 * 180 + 2 * 4, 3 * 320 + 2 * 4, 3)
    assert sheet.size == (image.shape[1], image.shape[0])
    for index, cell in zip(sheet.frames, _cells(image, 9, 3, (320, 180))):
        expected = cv2.resize(frames[index], (320, 180), interpolation=cv2.INTER_AREA)
        below_label = (slice(30, None), slice(None))  # the label band is drawn over the top
        assert np.abs(cell[below_label].astype(int) - expected[below_label]).mean() < 1.0
        assert cell[:20, :60].min() == 0 and cell[:20, :60].max() == 255  # label text
    assert sorted(p.name for p in tmp_path.iterdir()) == ['sheet.png']


def test_truncated_recording_uses_the_frames_that_decode(tmp_path):
    """A header counting 20 frames of which 12 decode (a recording cut short)."""
    path = tmp_path / 'cut.avi'
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 10, (160, 120))
    for i in range(20):
        writer.write(np.random.default_rng(i).integers(0, 255, (120, 160, 3), np.uint8))
    writer.release()
    with open(path, 'r+b') as stream:
        stream.truncate(int(path.stat().st_size * 0.6))
    decoded = len(read_all(path)[1])
    assert 0 < decoded < 20
    sheet = contact_sheet.write_contact_sheet(path, tmp_path / 'sheet.png', cells=4, columns=2,
                                              cell_width=80)
    assert sheet.frame_count == decoded
    assert sheet.frames == contact_sheet.evenly_spread(decoded, 4) and sheet.frames[-1] == \
        decoded - 1
    assert cv2.imread(str(sheet.path)).shape == (2 * 60 + 4, 2 * 80 + 4, 3)


def test_unreadable_video_writes_nothing(tmp_path):
    (tmp_path / 'broken.mp4').write_bytes(b'not a video')
    with pytest.raises(VideoReadError):
        contact_sheet.write_contact_sheet(tmp_path / 'broken.mp4', tmp_path / 'sheet.png')
    assert not (tmp_path / 'sheet.png').exists()
    with pytest.raises(ValueError, match='cells'):
        contact_sheet.write_contact_sheet(tmp_path / 'broken.mp4', tmp_path / 'sheet.png',
                                          cells=0)
