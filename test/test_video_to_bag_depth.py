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
video_to_bag --depth: RGB-D footage becomes what an RGB-D driver publishes, exactly, or nothing.

The depth is synthetic with known geometry (test/depth_scenes.py: a person at 1.2-2.1 m before
a wall, with stereo noise, dropouts and a dark patch), stored as 16-bit PNGs as RGB-D datasets
store it; the colour frames are painted from the same scenes.
"""

import pathlib
import re

import cv2
import depth_scenes
import numpy as np
from person_segmentation.cli import video_to_bag
from person_segmentation.media import bags
from person_segmentation.media.depth_image import depth_fields_to_array
from person_segmentation.media.frame_source import FrameSource
import pytest
from rosbag2_humble_rules import bag_problems
from rosbags.highlevel import AnyReader
from test_camera_info import CALIBRATION
import yaml

FRAMES = 4
FPS = 15.0
START = 1700000000.25
COLOUR = '/camera/camera/color/image_raw'
DEPTH = '/camera/camera/aligned_depth_to_color/image_raw'
COLOUR_INFO = '/camera/camera/color/camera_info'
DEPTH_INFO = '/camera/camera/aligned_depth_to_color/camera_info'


def _stamp(index: int) -> int:
    return int(START * 1e9) + round(index * 1e9 / FPS)


@pytest.fixture(scope='module')
def rgbd(tmp_path_factory):
    """RGB-D footage: (colour pattern, depth folder, BGR frames, uint16 depth frames)."""
    folder = tmp_path_factory.mktemp('rgbd')
    (folder / 'rgb').mkdir()
    (folder / 'depth').mkdir()
    colours, depths = [], []
    for index in range(FRAMES):
        scene = depth_scenes.render(depth_scenes.silhouette(1.2 + 0.3 * index), 1.2 + 0.3 * index,
                                    wall=4.0, noise=1.0, dropout=0.1, dark_patch=index == 2,
                                    seed=index)
        bgr = np.full((depth_scenes.HEIGHT, depth_scenes.WIDTH, 3), (90, 110, 120), np.uint8)
        bgr[scene.person] = (40, 40, 200)
        cv2.imwrite(str(folder / 'rgb' / f'{index:05d}.png'), bgr)
        cv2.imwrite(str(folder / 'depth' / f'{index:05d}.png'), scene.depth)
        colours.append(bgr)
        depths.append(scene.depth)
    assert all(d.dtype == np.uint16 and (d == 0).any() and d.max() > 3000 for d in depths)
    return str(folder / 'rgb' / '%05d.png'), folder / 'depth', colours, depths


def _messages(bag: pathlib.Path) -> dict:
    """Return topic -> [(bag time, message)] in bag order."""
    found = {}
    with AnyReader([bag]) as reader:
        for connection, bag_time, raw in reader.messages():
            found.setdefault(connection.topic, []).append(
                (bag_time, reader.deserialize(raw, connection.msgtype)))
    return found


def _metadata(bag: pathlib.Path) -> dict:
    return yaml.safe_load((bag / 'metadata.yaml').read_text())['rosbag2_bagfile_information']


def _convert(rgbd, bag, *extra) -> int:
    pattern, depth_folder, _, _ = rgbd
    return video_to_bag.main([pattern, str(bag), '--depth', str(depth_folder), '--fps', str(FPS),
                              '--start-time', str(START), '--quiet', *extra])


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_depth_and_camera_info_round_trip_exactly(rgbd, tmp_path, capsys, storage):
    _, _, colours, depths = rgbd
    bag = tmp_path / 'rgbd_bag'
    assert _convert(rgbd, bag, '--intrinsics', '500,500,320,240', '--storage', storage) == 0
    assert (f'wrote {FRAMES} frames (640x480, 15 fps) as sensor_msgs/msg/Image on {COLOUR}, '
            f'16UC1 depth on {DEPTH}, sensor_msgs/msg/CameraInfo on {DEPTH_INFO} and '
            f'{COLOUR_INFO}') in capsys.readouterr().out
    info = _metadata(bag)
    assert info['message_count'] == 4 * FRAMES
    assert {(t['topic_metadata']['name'], t['topic_metadata']['type'], t['message_count'])
            for t in info['topics_with_message_count']} == {
        (COLOUR, 'sensor_msgs/msg/Image', FRAMES), (DEPTH, 'sensor_msgs/msg/Image', FRAMES),
        (COLOUR_INFO, 'sensor_msgs/msg/CameraInfo', FRAMES),
        (DEPTH_INFO, 'sensor_msgs/msg/CameraInfo', FRAMES)}
    messages = _messages(bag)
    for index in range(FRAMES):
        stamp = _stamp(index)
        for topic in (COLOUR, DEPTH, COLOUR_INFO, DEPTH_INFO):
            bag_time, msg = messages[topic][index]
            # the colour frame's stamp and optical frame on every stream, bag time alike
            assert bag_time == stamp and bags.stamp_to_ns(msg.header.stamp) == stamp, topic
            assert msg.header.frame_id == 'camera_color_optical_frame', topic
        depth = messages[DEPTH][index][1]
        assert (depth.encoding, depth.width, depth.height, depth.step, depth.is_bigendian) == \
            ('16UC1', 640, 480, 1280, 0)
        np.testing.assert_array_equal(
            depth_fields_to_array(depth.encoding, depth.height, depth.width, depth.step,
                                  bool(depth.is_bigendian), depth.data), depths[index])
        np.testing.assert_array_equal(bags.message_to_bgr(messages[COLOUR][index][1]),
                                      colours[index])
        for topic in (COLOUR_INFO, DEPTH_INFO):
            camera = messages[topic][index][1]
            assert (camera.width, camera.height) == (640, 480)
            assert list(camera.k) == [500, 0, 320, 0, 500, 240, 0, 0, 1]
            assert list(camera.p) == [500, 0, 320, 0, 0, 500, 240, 0, 0, 0, 1, 0]
    # replay reads the depth back with each frame: its camera_info and depth, same stamp
    with FrameSource(str(bag)) as source:
        assert source.depth.image == DEPTH and source.depth.camera_info == DEPTH_INFO
        frames = list(source.frames())
    assert [frame.stamp_ns for frame in frames] == [_stamp(i) for i in range(FRAMES)]
    for frame in frames:
        assert [(m.topic, m.stamp_ns) for m in frame.depth] == [
            (DEPTH_INFO, frame.stamp_ns), (DEPTH, frame.stamp_ns)]
    with FrameSource(str(bag), use_depth=False) as source:
        assert source.depth is None and all(not f.depth for f in source.frames())


def test_a_calibration_file_and_the_options_for_names_and_scale(rgbd, tmp_path, capsys):
    """TUM RGB-D stores 1/5000 m: --depth-scale 0.2 gives millimetres."""
    pattern, depth_folder, _, depths = rgbd
    calibration = tmp_path / 'fr3.yaml'
    calibration.write_text(CALIBRATION)
    bag = tmp_path / 'bag'
    assert video_to_bag.main([
        pattern, str(bag), '--depth', str(depth_folder / '%05d.png'), '--depth-scale', '0.2',
        '--camera-info', str(calibration), '--topic', '/cam/rgb/image_color/compressed',
        '--depth-topic',
        '/cam/depth_registered/image_raw', '--frame-id', 'cam_optical', '--compressed',
        '--limit', '2', '--quiet']) == 0
    messages = _messages(bag)
    assert sorted(messages) == ['/cam/depth_registered/camera_info',
                                '/cam/depth_registered/image_raw', '/cam/rgb/camera_info',
                                '/cam/rgb/image_color/compressed']
    assert all(len(found) == 2 for found in messages.values())
    for index, (_, depth) in enumerate(messages['/cam/depth_registered/image_raw']):
        assert depth.header.frame_id == 'cam_optical'
        expected = np.rint(depths[index] * 0.2).astype(np.uint16)
        np.testing.assert_array_equal(depth.data.view('<u2').reshape(480, 640), expected)
    camera = messages['/cam/rgb/camera_info'][0][1]
    assert list(camera.k) == [535.4, 0.0, 320.1, 0.0, 539.2, 247.6, 0.0, 0.0, 1.0]
    assert camera.distortion_model == 'plumb_bob' and len(camera.d) == 5


def test_the_camera_info_alone_is_written_beside_the_colour_topic(rgbd, tmp_path):
    pattern, _, _, _ = rgbd
    bag = tmp_path / 'bag'
    assert video_to_bag.main([pattern, str(bag), '--intrinsics', '600,600,320,240', '--limit',
                              '1', '--quiet']) == 0
    assert sorted(_messages(bag)) == ['/camera/camera_info', '/camera/image_raw']


def test_humble_reads_an_rgbd_bag(rgbd, tmp_path):
    bag = tmp_path / 'humble_bag'
    assert _convert(rgbd, bag, '--intrinsics', '500,500,320,240', '--ros-distro', 'humble') == 0
    assert bag_problems(bag) == []
    info = _metadata(bag)
    assert info['version'] == 5 and info['storage_identifier'] == 'sqlite3'
    assert len(info['topics_with_message_count']) == 4


def _folder_of(tmp_path, depths, name='depth', convert=None):
    folder = tmp_path / name
    folder.mkdir()
    for index, depth in enumerate(depths):
        cv2.imwrite(str(folder / f'{index:05d}.png'), convert(depth) if convert else depth)
    return folder


@pytest.mark.parametrize('make, message', [
    (lambda tmp, depths: _folder_of(tmp, depths[:3]),
     r'depth has 3 depth images: none for colour frame 3 \(one depth image per colour frame'),
    (lambda tmp, depths: _folder_of(tmp, depths + depths[:1]),
     r'has 5 depth images but .* 4 frames: one depth image per colour frame is needed'),
    (lambda tmp, depths: _folder_of(tmp, depths, convert=lambda d: cv2.resize(d, (320, 240))),
     r'depth image .*00000.png is 320x240 but colour frame 0 is 640x480: depth must be '
     r'aligned to the colour image'),
    (lambda tmp, depths: _folder_of(tmp, depths, convert=lambda d: (d // 20).astype(np.uint8)),
     r'00000.png is uint8 with 1 channel\(s\): depth must be single-channel 16-bit'),
    (lambda tmp, depths: tmp / 'nowhere', r'depth folder .*nowhere does not exist'),
    (lambda tmp, depths: _folder_of(tmp, []), r'no depth images \(16-bit PNG\) found'),
])
def test_bad_depth_is_named_and_leaves_no_bag(rgbd, tmp_path, capsys, make, message):
    pattern, _, _, depths = rgbd
    depth_folder = make(tmp_path, depths)
    bag = tmp_path / 'bag'
    before = sorted(p.name for p in tmp_path.iterdir())
    status = video_to_bag.main([pattern, str(bag), '--depth', str(depth_folder),
                                '--intrinsics', '500,500,320,240', '--quiet'])
    err = capsys.readouterr().err
    assert status == 1
    assert re.search(message, err), err
    assert 'Traceback' not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no bag, no temporary folder


def test_a_gap_in_a_numbered_depth_sequence_is_refused(rgbd, tmp_path, capsys):
    """A colour sequence stops at a gap (OpenCV); depth numbered around it would shift."""
    pattern, _, _, depths = rgbd
    folder = _folder_of(tmp_path, depths)
    (folder / '00002.png').unlink()
    assert video_to_bag.main([pattern, str(tmp_path / 'bag'), '--depth',
                              str(folder / '%05d.png'), '--intrinsics', '500,500,320,240',
                              '--quiet']) == 1
    assert 'skip from number 1 to 3 (00003.png)' in capsys.readouterr().err
    assert not (tmp_path / 'bag').exists()


def test_missing_or_conflicting_calibration_is_a_usage_error(rgbd, tmp_path, capsys):
    bag = tmp_path / 'bag'
    assert _convert(rgbd, bag) == 1
    assert '--depth needs the camera intrinsics (--camera-info FILE.yaml or --intrinsics' in \
        capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        _convert(rgbd, bag, '--intrinsics', '1,1,1,1', '--camera-info', 'x.yaml')
    assert exited.value.code == 2
    assert 'not allowed with argument' in capsys.readouterr().err
    bad = tmp_path / 'bad.yaml'
    bad.write_text('camera_matrix: [1, 2\n')
    assert _convert(rgbd, bag, '--camera-info', str(bad)) == 1
    assert f'{bad} is not a YAML calibration file' in capsys.readouterr().err
    other_size = tmp_path / 'hd.yaml'
    other_size.write_text(CALIBRATION.replace('640', '1280').replace('480', '720'))
    assert _convert(rgbd, bag, '--camera-info', str(other_size)) == 1
    assert 'is of a 1280x720 image but the video frames are 640x480' in capsys.readouterr().err
    assert _convert(rgbd, bag, '--intrinsics', '500,500,320') == 1
    assert '--intrinsics takes four numbers fx,fy,cx,cy' in capsys.readouterr().err
    assert _convert(rgbd, bag, '--intrinsics', '500,500,320,240', '--depth-topic',
                    '/camera/camera/color/image_depth') == 1
    assert 'must be in another namespace than the colour topic' in capsys.readouterr().err
    assert not bag.exists()
