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
The demo (README main command): video -> bag -> node -> overlay video, contact sheet; fetcher.

The fetch itself downloads 96 MB with apt-get, so it is not repeated here: the no-input demo
runs on vtest.avi when a previous run cached it in ./data, and the fetcher's failure message is
checked on a PATH without apt-get.
"""

import os
import pathlib

import cv2
from person_segmentation.cli import demo
from person_segmentation.media import sample_footage
import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]


def _frame_count(path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    return count


def test_demo_on_a_given_video(eval_videos_dir, models_dir, tmp_path, capsys):
    status = demo.main([str(eval_videos_dir / 'bedroom.mp4'), '--output-dir', str(tmp_path),
                        '--model', 'deeplabv3_mnv2_257', '--limit', '3', '--quiet'])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert (tmp_path / 'bedroom_bag' / 'metadata.yaml').is_file()
    assert 'converted' in captured.out and '200 frames' in captured.out
    assert _frame_count(tmp_path / 'bedroom_segmented.mp4') == 3
    # The contact sheet: the 3 frames of the segmented video in one row, 320 px each.
    sheet = tmp_path / 'bedroom_contact_sheet.png'
    assert f'contact sheet: {sheet} (3 of 3 frames, 968x180)' in captured.out
    assert cv2.imread(str(sheet)).shape == (180, 3 * 320 + 2 * 4, 3)
    # A second run reuses the bag and replaces the video and the sheet.
    status = demo.main([str(eval_videos_dir / 'bedroom.mp4'), '--output-dir', str(tmp_path),
                        '--model', 'deeplabv3_mnv2_257', '--limit', '2', '--quiet'])
    assert status == 0
    out = capsys.readouterr().out
    assert 'using the bag converted before' in out and '(2 of 2 frames, 644x180)' in out
    assert _frame_count(tmp_path / 'bedroom_segmented.mp4') == 2
    assert cv2.imread(str(sheet)).shape == (180, 644, 3)
    assert not [p for p in tmp_path.iterdir() if 'partial' in p.name]


def test_demo_says_when_the_contact_sheet_cannot_be_written(
        eval_videos_dir, models_dir, tmp_path, capsys):
    (tmp_path / 'bedroom_contact_sheet.png').mkdir()  # in the way: the rename fails
    status = demo.main([str(eval_videos_dir / 'bedroom.mp4'), '--output-dir', str(tmp_path),
                        '--model', 'deeplabv3_mnv2_257', '--limit', '1', '--quiet'])
    err = capsys.readouterr().err
    assert status == 1
    assert 'demo: error:' in err and 'bedroom_contact_sheet.png' in err
    assert not [p for p in tmp_path.iterdir() if 'partial' in p.name]


def test_demo_without_input_uses_cached_vtest(models_dir, tmp_path, capsys):
    data_dir = REPO_ROOT / 'data'
    if not (data_dir / sample_footage.VTEST_NAME).is_file():
        pytest.skip(f'vtest.avi is not cached in {data_dir} (the demo downloads it, 96 MB)')
    status = demo.main(['--data-dir', str(data_dir), '--output-dir', str(tmp_path),
                        '--limit', '2', '--quiet'])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert 'converted' in captured.out and '795 frames' in captured.out
    assert _frame_count(tmp_path / 'vtest_segmented.mp4') == 2
    # 768x576 frames -> 320x240 cells
    assert cv2.imread(str(tmp_path / 'vtest_contact_sheet.png')).shape == (240, 644, 3)


def test_fetcher_without_apt_says_how_to_get_the_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv('PATH', str(tmp_path))  # no apt-get, no dpkg-deb
    with pytest.raises(sample_footage.FootageError) as error:
        sample_footage.ensure_vtest(tmp_path / 'data', log=lambda _: None)
    message = str(error.value)
    assert 'apt-get is not available' in message
    assert 'apt-get download opencv-doc' in message and sample_footage.VTEST_MEMBER in message
    assert str(tmp_path / 'data' / 'vtest.avi') in message
    assert not (tmp_path / 'data' / 'vtest.avi').exists()
    # The demo turns it into a clear message and a non-zero exit.
    assert demo.main(['--data-dir', str(tmp_path / 'data'), '--output-dir',
                      str(tmp_path / 'out')]) == 1
    assert 'cannot get the sample footage' in capsys.readouterr().err


def test_cached_file_is_used_without_fetching(tmp_path, monkeypatch):
    monkeypatch.setenv('PATH', str(tmp_path))
    (tmp_path / 'vtest.avi').write_bytes(b'cached')
    assert sample_footage.ensure_vtest(tmp_path) == tmp_path / 'vtest.avi'
    monkeypatch.setenv(sample_footage.DATA_DIR_ENV, str(tmp_path))
    assert sample_footage.default_data_dir() == tmp_path
    monkeypatch.delenv(sample_footage.DATA_DIR_ENV)
    assert os.fspath(sample_footage.default_data_dir()) == 'data'
