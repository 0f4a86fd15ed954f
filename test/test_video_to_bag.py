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
video_to_bag round trips on real footage: counts, stamps, pixels, both storages, safety.

Frames come from the real bedroom.mp4 clip, saved as a lossless PNG sequence so that the raw
bag's pixels can be compared exactly with what was decoded.
"""

import pathlib

import cv2
import numpy as np
from person_segmentation.cli import video_to_bag
from person_segmentation.media import bags
import pytest
from rosbag2_humble_rules import bag_problems
import yaml

FRAMES = 8
FPS = 25.0
START = 1700000000.5


@pytest.fixture(scope='module')
def frame_sequence(eval_videos_dir, tmp_path_factory):
    """First frames of bedroom.mp4 as PNGs: (pattern, list of BGR frames)."""
    folder = tmp_path_factory.mktemp('bedroom_frames')
    capture = cv2.VideoCapture(str(eval_videos_dir / 'bedroom.mp4'))
    frames = []
    while len(frames) < FRAMES:
        ok, frame = capture.read()
        assert ok, 'bedroom.mp4 has fewer frames than expected'
        cv2.imwrite(str(folder / f'{len(frames):05d}.png'), frame)
        frames.append(frame)
    capture.release()
    return str(folder / '%05d.png'), frames


def _metadata(bag: pathlib.Path) -> dict:
    return yaml.safe_load((bag / 'metadata.yaml').read_text())['rosbag2_bagfile_information']


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_raw_round_trip_keeps_count_stamps_and_pixels(frame_sequence, tmp_path, storage):
    pattern, frames = frame_sequence
    bag = tmp_path / 'raw_bag'
    status = video_to_bag.main([pattern, str(bag), '--storage', storage, '--fps', str(FPS),
                                '--start-time', str(START), '--frame-id', 'cam0', '--quiet'])
    assert status == 0
    info = _metadata(bag)
    assert info['version'] == 9  # Jazzy and later
    assert info['storage_identifier'] == storage
    assert info['message_count'] == FRAMES
    (topic,) = info['topics_with_message_count']
    assert topic['topic_metadata']['name'] == '/camera/image_raw'
    assert topic['topic_metadata']['type'] == 'sensor_msgs/msg/Image'
    assert topic['message_count'] == FRAMES
    assert info['starting_time']['nanoseconds_since_epoch'] == int(START * 1e9)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith('.')], 'temp dir left'

    with bags.BagImageSource(bag) as source:
        assert source.frame_count == FRAMES
        assert source.size == (frames[0].shape[1], frames[0].shape[0])
        assert source.fps == pytest.approx(FPS)
        read = list(source)
    assert len(read) == FRAMES
    for index, frame in enumerate(read):
        assert frame.stamp_ns == int(START * 1e9) + round(index * 1e9 / FPS)
        assert frame.frame_id == 'cam0'
        np.testing.assert_array_equal(frame.bgr, frames[index])


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_compressed_round_trip_decodes_jpeg_of_the_right_size(frame_sequence, tmp_path,
                                                              storage):
    pattern, frames = frame_sequence
    bag = tmp_path / 'jpeg_bag'
    result = video_to_bag.convert(pattern, bag, storage=storage, compressed=True, fps=FPS,
                                  start_time=START, progress=False)
    assert result.frames == FRAMES
    assert result.topic == '/camera/image_raw/compressed'
    info = _metadata(bag)
    assert info['topics_with_message_count'][0]['topic_metadata']['type'] == \
        'sensor_msgs/msg/CompressedImage'
    with bags.BagImageSource(bag) as source:
        messages = [msg for _, msg in source.messages()]
    assert len(messages) == FRAMES
    for index, msg in enumerate(messages):
        assert msg.format == 'jpeg'
        assert bytes(msg.data[:2]) == b'\xff\xd8'  # JPEG start-of-image marker
        bgr = bags.message_to_bgr(msg)
        assert bgr.shape == frames[index].shape
        error = np.abs(bgr.astype(np.int16) - frames[index].astype(np.int16)).mean()
        assert error < 4.0, f'JPEG frame {index} differs by {error:.1f} grey levels on average'


def test_limit_converts_only_the_first_frames(frame_sequence, tmp_path, capsys):
    pattern, frames = frame_sequence
    bag = tmp_path / 'bag'
    assert video_to_bag.main([pattern, str(bag), '--limit', '3', '--fps', str(FPS),
                              '--start-time', str(START), '--quiet']) == 0
    assert 'wrote 3 frames' in capsys.readouterr().out
    assert _metadata(bag)['message_count'] == 3
    with bags.BagImageSource(bag) as source:
        read = list(source)
    assert [frame.stamp_ns for frame in read] == [int(START * 1e9) + round(i * 1e9 / FPS)
                                                  for i in range(3)]
    for frame, original in zip(read, frames):
        np.testing.assert_array_equal(frame.bgr, original)
    assert video_to_bag.main([pattern, str(tmp_path / 'none'), '--limit', '0', '--quiet']) == 1
    assert '--limit must be at least 1, got 0' in capsys.readouterr().err
    assert not (tmp_path / 'none').exists()


def test_help_shows_the_sequence_pattern_as_it_is_typed(capsys):
    """The description printed frames/%%05d.jpg (argparse formats only argument help)."""
    with pytest.raises(SystemExit):
        video_to_bag.main(['--help'])
    out = capsys.readouterr().out
    assert 'frames/%05d.jpg' in out and '%%' not in out


def test_existing_output_is_kept_without_force(frame_sequence, tmp_path, capsys):
    pattern, _ = frame_sequence
    bag = tmp_path / 'bag'
    bag.mkdir()
    (bag / 'keep.txt').write_text('mine')
    assert video_to_bag.main([pattern, str(bag), '--quiet']) == 1
    assert 'exists already' in capsys.readouterr().err
    assert (bag / 'keep.txt').read_text() == 'mine'
    assert video_to_bag.main([pattern, str(bag), '--quiet', '--force', '--start-time', '5']) == 0
    assert not (bag / 'keep.txt').exists()
    assert _metadata(bag)['message_count'] == FRAMES


def test_failure_midway_leaves_no_bag(frame_sequence, tmp_path, capsys):
    """A frame of another size stops the decoder mid-run: nothing that looks like a bag stays."""
    _, frames = frame_sequence
    folder = tmp_path / 'frames'
    folder.mkdir()
    for index, frame in enumerate(frames[:4]):
        if index == 3:
            frame = cv2.resize(frame, (frame.shape[1] // 2, frame.shape[0] // 2))
        cv2.imwrite(str(folder / f'{index:05d}.png'), frame)
    bag = tmp_path / 'bag'
    assert video_to_bag.main([str(folder / '%05d.png'), str(bag), '--quiet']) == 1
    assert 'frame 3' in capsys.readouterr().err
    assert not bag.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['frames']


def test_unreadable_video_is_a_clear_error(tmp_path, capsys):
    missing = tmp_path / 'missing.avi'
    assert video_to_bag.main([str(missing), str(tmp_path / 'bag')]) == 1
    assert str(missing) in capsys.readouterr().err
    not_video = tmp_path / 'notes.avi'
    not_video.write_text('not a video')
    assert video_to_bag.main([str(not_video), str(tmp_path / 'bag')]) == 1
    assert 'cannot read' in capsys.readouterr().err
    assert not (tmp_path / 'bag').exists()


def _read_only_folder(tmp_path) -> pathlib.Path:
    """Return a folder this process cannot write into (as root, chmod is not enough)."""
    folder = tmp_path / 'read_only'
    folder.mkdir()
    folder.chmod(0o555)
    for candidate in (folder, pathlib.Path('/sys')):
        try:
            (candidate / '.probe').mkdir()
        except OSError:
            return candidate
        (candidate / '.probe').rmdir()
    pytest.skip('no read-only folder here (root, with a writable /sys)')


def test_read_only_output_folder_is_a_clear_error(frame_sequence, tmp_path, capsys):
    # Before: a PermissionError traceback from the temporary bag's mkdtemp.
    pattern, _ = frame_sequence
    folder = _read_only_folder(tmp_path)
    before = sorted(p.name for p in folder.iterdir())
    try:
        assert video_to_bag.main([pattern, str(folder / 'camera_bag'), '--quiet']) == 1
    finally:
        (tmp_path / 'read_only').chmod(0o755)
    err = capsys.readouterr().err
    assert f'cannot write {folder / "camera_bag"}' in err and 'Traceback' not in err
    assert sorted(p.name for p in folder.iterdir()) == before


@pytest.mark.parametrize('storage', [None, 'mcap'])
def test_humble_bags_follow_humbles_reader_rules(frame_sequence, tmp_path, capsys, storage):
    """--ros-distro humble: metadata version 5 with QoS strings; sqlite3 unless asked."""
    pattern, frames = frame_sequence
    bag = tmp_path / 'humble_bag'
    status = video_to_bag.main([pattern, str(bag), '--ros-distro', 'humble', '--fps', str(FPS),
                                '--start-time', str(START), '--quiet']
                               + (['--storage', storage] if storage else []))
    assert status == 0
    assert bag_problems(bag) == []
    info = _metadata(bag)
    assert info['version'] == 5
    assert info['storage_identifier'] == (storage or 'sqlite3')
    assert sorted(info) == sorted([
        'version', 'storage_identifier', 'duration', 'starting_time', 'message_count',
        'topics_with_message_count', 'compression_format', 'compression_mode',
        'relative_file_paths', 'files'])
    (topic,) = info['topics_with_message_count']
    assert sorted(topic['topic_metadata']) == ['name', 'offered_qos_profiles',
                                               'serialization_format', 'type']
    qos = yaml.safe_load(topic['topic_metadata']['offered_qos_profiles'])
    assert qos[0]['reliability'] == 1 and qos[0]['history'] == 1  # RELIABLE, KEEP_LAST
    err = capsys.readouterr().err
    assert ('ros-humble-rosbag2-storage-mcap' in err) == (storage == 'mcap')
    with bags.BagImageSource(bag) as source:  # and it is still the same footage
        read = list(source)
    assert [f.stamp_ns for f in read] == [int(START * 1e9) + round(i * 1e9 / FPS)
                                          for i in range(FRAMES)]
    for frame, original in zip(read, frames):
        np.testing.assert_array_equal(frame.bgr, original)


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_default_bags_are_version_9_which_humble_cannot_read(frame_sequence, tmp_path,
                                                             storage):
    """Why --ros-distro humble exists: Humble reads offered_qos_profiles as a string."""
    pattern, _ = frame_sequence
    bag = tmp_path / 'bag'
    assert video_to_bag.main([pattern, str(bag), '--storage', storage, '--quiet']) == 0
    assert _metadata(bag)['version'] == 9
    assert bag_problems(bag) == [
        'topics_with_message_count[0]: offered_qos_profiles must be a string, is list']


@pytest.mark.parametrize('storage, suffix', [('mcap', '.mcap'), ('sqlite3', '.db3')])
def test_the_humble_rules_check_the_storage_files_too(frame_sequence, tmp_path, storage,
                                                      suffix):
    """A version 9 storage file (QoS policies by name) under Humble's metadata is caught."""
    pattern, _ = frame_sequence
    for name, distro in (('humble', 'humble'), ('jazzy', 'jazzy')):
        assert video_to_bag.main([pattern, str(tmp_path / name), '--storage', storage,
                                  '--ros-distro', distro, '--quiet']) == 0
    humble_file = tmp_path / 'humble' / f'humble{suffix}'
    humble_file.write_bytes((tmp_path / 'jazzy' / f'jazzy{suffix}').read_bytes())
    problems = bag_problems(tmp_path / 'humble')
    assert problems and all('must be an integer (rmw enum)' in p for p in problems), problems
