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
replay: real footage through the real node over DDS, lossless and realtime, and bad inputs.

A short bag is made from the real bedroom.mp4 clip (two children in view) and replayed
through person_segmentation_node with the real 257 model; nothing is mocked.
"""

import os
import pathlib
import re

import cv2
from geometry_msgs.msg import PointStamped
import numpy as np
from person_segmentation import names
from person_segmentation.cli import replay, video_to_bag
from person_segmentation.launch_support.config_files import package_config
from person_segmentation.launch_support.fastdds import PROFILES_VARIABLE
from person_segmentation.media import bags
from person_segmentation.names import FASTDDS_PROFILE_FILE
from person_segmentation.replay import ReplayError
from person_segmentation.replay.options import ReplayOptions
from person_segmentation.replay.runner import publish_patiently, reliable_qos, ReplaySession
import pytest
from ros_helpers import SpinningPeer
from rosbag2_humble_rules import bag_problems
from rosbags.highlevel import AnyReader
from sensor_msgs.msg import CameraInfo, Image

FRAMES = 12
START = 1700000000.0
FPS = 30.0


def _frames_bag(folder: pathlib.Path, video: pathlib.Path, count: int,
                name: str) -> pathlib.Path:
    frames = folder / f'{name}_frames'
    frames.mkdir()
    capture = cv2.VideoCapture(str(video))
    for index in range(count):
        ok, frame = capture.read()
        assert ok
        cv2.imwrite(str(frames / f'{index:05d}.png'), frame)
    capture.release()
    bag = folder / name
    video_to_bag.convert(str(frames / '%05d.png'), bag, fps=FPS, start_time=START,
                         progress=False)
    return bag


@pytest.fixture(scope='module')
def short_bag(eval_videos_dir, models_dir, tmp_path_factory):
    """Return a raw-image bag of the first frames of bedroom.mp4."""
    return _frames_bag(tmp_path_factory.mktemp('replay'), eval_videos_dir / 'bedroom.mp4',
                       FRAMES, 'bedroom_bag')


def _summary_number(text: str, label: str) -> int:
    match = re.search(rf'^\s*{label}\s+(\d+)', text, re.MULTILINE)
    assert match, f'no "{label}" in the summary:\n{text}'
    return int(match.group(1))


def _stamps(bag: pathlib.Path):
    stamps = {}
    with AnyReader([bag]) as reader:
        for connection, bag_time, raw in reader.messages():
            message = reader.deserialize(raw, connection.msgtype)
            stamp = (bags.stamp_to_ns(message.header.stamp)
                     if hasattr(message, 'header') else bag_time)
            stamps.setdefault(connection.topic, []).append(stamp)
            if connection.topic.endswith('/mask'):
                assert message.encoding == 'mono8'
                assert set(bags.image_to_array(message).reshape(-1).tolist()) <= {0, 255}
    return stamps


def test_lossless_replay_gives_one_output_per_input(short_bag, tmp_path, capsys, monkeypatch):
    for name in ('FASTDDS_DEFAULT_PROFILES_FILE', 'FASTDDS_BUILTIN_TRANSPORTS'):
        monkeypatch.delenv(name, raising=False)
    video = tmp_path / 'segmented.mp4'
    out_bag = tmp_path / 'segmented_bag'
    status = replay.main([str(short_bag), '--output-video', str(video), '--output-bag',
                          str(out_bag), '--mode', 'lossless', '--model', 'deeplabv3_mnv2_257',
                          '--quiet'])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    # large images crossed Fast DDS's default transports as fragments (demo: p99 2.2 s)
    assert ('Fast DDS profile of the replay and the node: '
            f'{package_config(FASTDDS_PROFILE_FILE)}') in captured.err
    assert PROFILES_VARIABLE not in os.environ  # the test process is left as it was
    assert _summary_number(captured.out, 'frames in') == FRAMES
    assert _summary_number(captured.out, 'frames out') == FRAMES
    assert _summary_number(captured.out, 'dropped') == 0
    # The children are in every frame.
    assert re.search(rf'{FRAMES} with person pixels', captured.out), captured.out

    expected = [int(START * 1e9) + round(i * 1e9 / FPS) for i in range(FRAMES)]
    stamps = _stamps(out_bag)
    assert set(stamps) == {'/person_segmentation/mask', '/person_segmentation/probability',
                           '/person_segmentation/person_detected'}
    for topic, values in stamps.items():
        assert values == expected, topic

    capture = cv2.VideoCapture(str(video))
    frames = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames += 1
        assert frame.shape == (540, 960, 3)
    capture.release()
    assert frames == FRAMES


def test_realtime_replay_faster_than_the_node_reports_drops(eval_videos_dir, models_dir,
                                                            tmp_path, capsys):
    """Played 50x faster than recorded (1500 fps), the node can only take some frames."""
    bag = _frames_bag(tmp_path, eval_videos_dir / 'bedroom.mp4', 30, 'fast_bag')
    status = replay.main([str(bag), '--no-video', '--output-bag', str(tmp_path / 'out'),
                          '--mode', 'realtime', '--rate', '50', '--model',
                          'deeplabv3_mnv2_257', '--quiet'])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    frames_in = _summary_number(captured.out, 'frames in')
    frames_out = _summary_number(captured.out, 'frames out')
    dropped = _summary_number(captured.out, 'dropped')
    assert frames_in == 30
    assert dropped > 0 and dropped == frames_in - frames_out
    assert frames_out >= 1
    # What did come out is matched to inputs by stamp and in order.
    inputs = [int(START * 1e9) + round(i * 1e9 / FPS) for i in range(30)]
    mask_stamps = _stamps(tmp_path / 'out')['/person_segmentation/mask']
    assert len(mask_stamps) == frames_out
    assert set(mask_stamps) <= set(inputs) and mask_stamps == sorted(mask_stamps)


def test_inprocess_node_replays_too_into_a_bag_humble_reads(short_bag, tmp_path, capsys,
                                                            monkeypatch):
    monkeypatch.setenv('FASTDDS_BUILTIN_TRANSPORTS', 'DEFAULT')  # the user's choice is kept
    out_bag = tmp_path / 'humble_bag'
    status = replay.main([str(short_bag), '--output-video', str(tmp_path / 'v.mp4'),
                          '--node', 'inprocess', '--limit', '4', '--quiet', '--output-bag',
                          str(out_bag), '--ros-distro', 'humble'])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert ("Fast DDS profile of the replay and the node: the environment's "
            "(FASTDDS_BUILTIN_TRANSPORTS='DEFAULT')") in captured.err
    assert _summary_number(captured.out, 'frames out') == 4
    assert (tmp_path / 'v.mp4').is_file()
    assert bag_problems(out_bag) == []
    assert (out_bag / 'humble_bag.db3').is_file()  # sqlite3: what Humble reads without extras
    expected = [int(START * 1e9) + round(i * 1e9 / FPS) for i in range(4)]
    assert all(values == expected for values in _stamps(out_bag).values())


def test_body_parts_are_computed_for_a_recording_only(short_bag, tmp_path, capsys):
    """
    ~/parts costs the node only while watched: the replay subscribes to it only to record it.

    (Subscribed to like every other output, it made every replay pay for the parts.)
    """
    args = [str(short_bag), '--node', 'inprocess', '--limit', '3', '--quiet', '--preset', 'fast']
    status = replay.main(args + ['--output-video', str(tmp_path / 'v.mp4')])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert _summary_number(captured.out, 'frames out') == 3
    assert not re.search(r'other outputs.*\bparts\b', captured.out), captured.out
    out_bag = tmp_path / 'parts_bag'
    status = replay.main(args + ['--no-video', '--output-bag', str(out_bag)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert re.search(r'other outputs.*\bparts 3\b', captured.out), captured.out
    parts = [values for topic, values in _stamps(out_bag).items() if topic.endswith('/parts')]
    assert parts == [[int(START * 1e9) + round(i * 1e9 / FPS) for i in range(3)]]


def _children_environments():
    """Return the environment of each child of this process, as sets of NAME=VALUE strings."""
    found = []
    for stat in pathlib.Path('/proc').glob('[0-9]*/stat'):
        try:
            if int(stat.read_text().rsplit(')', 1)[1].split()[1]) == os.getpid():
                found.append(set((stat.parent / 'environ').read_bytes().decode(
                    errors='replace').split('\0')))
        except (OSError, IndexError, ValueError):
            pass  # gone meanwhile
    return found


def test_the_node_process_starts_with_the_session_environment(models_dir, monkeypatch):
    """The Fast DDS profile must be in the node's environment before it starts ROS."""
    monkeypatch.delenv(PROFILES_VARIABLE, raising=False)
    profile = package_config(FASTDDS_PROFILE_FILE).path
    with ReplaySession(ReplayOptions(environment={PROFILES_VARIABLE: profile})):
        assert os.environ[PROFILES_VARIABLE] == profile  # and so this process's participant
        children = _children_environments()
    assert [f'{PROFILES_VARIABLE}={profile}' in env for env in children] == [True]
    assert PROFILES_VARIABLE not in os.environ


def test_bad_bag_path_is_a_clear_error(tmp_path, capsys):
    assert replay.main([str(tmp_path / 'missing_bag')]) == 1
    assert 'not found' in capsys.readouterr().err
    (tmp_path / 'folder').mkdir()
    assert replay.main([str(tmp_path / 'folder')]) == 1
    assert 'not a rosbag2 bag' in capsys.readouterr().err


def test_bag_without_image_topic_is_a_clear_error(tmp_path, capsys):
    bag = tmp_path / 'flags'
    with bags.AtomicBagWriter(bag) as writer:
        writer.write(writer.add_topic('/flag', bags.BOOL_TYPE), 1, bags.bool_message(True))
    assert replay.main([str(bag), '--output-video', str(tmp_path / 'v.mp4')]) == 1
    assert 'no image topic' in capsys.readouterr().err
    assert not (tmp_path / 'v.mp4').exists()


def test_preset_and_model_reach_the_node_as_parameters():
    parsed = replay.build_parser().parse_args(
        ['in.mp4', '--preset', 'fast', '--device', 'cpu', '--param', 'threshold:=0.6'])
    assert replay.node_parameters(parsed) == {'threshold': '0.6', 'preset': 'fast',
                                              'device': 'cpu'}


class _DepthPeer(SpinningPeer):
    """Hears what the replay publishes for the node, and answers frames on an extra output."""

    def __init__(self, extra: str):
        super().__init__('depth_peer')
        self.images, self.depths, self.infos = {}, {}, {}
        qos = reliable_qos(50)
        self.node.create_subscription(Image, '/replay/image', self._on_image, qos)
        self.node.create_subscription(Image, '/replay/depth/image',
                                      lambda msg: self._keep(self.depths, msg), qos)
        self.node.create_subscription(CameraInfo, '/replay/depth/camera_info',
                                      lambda msg: self._keep(self.infos, msg), qos)
        self._extra = self.node.create_publisher(PointStamped, f'/person_segmentation/{extra}',
                                                 qos)
        self.start()

    def _keep(self, found: dict, msg) -> None:
        with self.lock:
            found.setdefault(bags.stamp_to_ns(msg.header.stamp), msg)

    def _on_image(self, msg) -> None:
        self._keep(self.images, msg)
        answer = PointStamped()
        answer.header = msg.header
        answer.point.z = 1.5
        self._extra.publish(answer)


def test_an_rgbd_bag_plays_its_depth_and_new_outputs_are_recorded(
        davis_dir, models_dir, tmp_path, capsys, monkeypatch):
    """
    video_to_bag --depth, then replay: the node measures the real person at its true distance.

    DAVIS lucia frames (854x480) with depth made from their ground truth (the person 1.5 m
    away, a wall at 4 m behind, 16-bit PNG millimetres). Depth and camera_info reach the node
    with each colour frame, as recorded (a test peer hears them); its ~/nearest_person and
    ~/persons_cloud are recorded by --output-bag, at 1.5 m; and an output added to
    names.OUTPUT_TYPES (here one the peer publishes) is recorded with no other change.
    """
    count = 5
    (tmp_path / 'rgb').mkdir()
    (tmp_path / 'depth').mkdir()
    depths = []
    for index in range(count):
        name = f'{30 + index:05d}'
        frame = cv2.imread(str(davis_dir / 'JPEGImages' / '480p' / 'lucia' / f'{name}.jpg'))
        truth = cv2.imread(str(davis_dir / 'Annotations' / '480p' / 'lucia' / f'{name}.png'),
                           cv2.IMREAD_GRAYSCALE) > 0
        cv2.imwrite(str(tmp_path / 'rgb' / f'{index:05d}.png'), frame)
        depths.append(np.where(truth, 1500, 4000).astype(np.uint16))
        cv2.imwrite(str(tmp_path / 'depth' / f'{index:05d}.png'), depths[-1])
    bag = tmp_path / 'rgbd_bag'
    assert video_to_bag.main([str(tmp_path / 'rgb' / '%05d.png'), str(bag), '--depth',
                              str(tmp_path / 'depth'), '--intrinsics', '600,600,427,240',
                              '--fps', str(FPS), '--start-time', str(START), '--quiet']) == 0
    monkeypatch.setattr(names, 'OUTPUT_TYPES', {**names.OUTPUT_TYPES,
                                                'test_extra': 'geometry_msgs/msg/PointStamped'})
    monkeypatch.setattr(names, 'OUTPUTS', tuple(names.OUTPUT_TYPES))
    peer = _DepthPeer('test_extra')
    try:
        out_bag = tmp_path / 'out'
        status = replay.main([str(bag), '--no-video', '--output-bag', str(out_bag), '--model',
                              'deeplabv3_mnv2_257', '--quiet'])
        captured = capsys.readouterr()
        assert status == 0, captured.err
        expected = [int(START * 1e9) + round(i * 1e9 / FPS) for i in range(count)]
        assert ('with depth /camera/camera/aligned_depth_to_color/image_raw and '
                '/camera/camera/aligned_depth_to_color/camera_info') in captured.err
        assert re.search(rf'other outputs\s+nearest_person {count}, persons_cloud {count}, '
                         rf'test_extra {count}$', captured.out, re.MULTILINE), captured.out
        with peer.lock:
            assert sorted(peer.images) == sorted(peer.depths) == sorted(peer.infos) == expected
            for index, stamp in enumerate(expected):
                depth = peer.depths[stamp]
                assert depth.encoding == '16UC1'
                assert depth.header.frame_id == peer.images[stamp].header.frame_id == \
                    'camera_color_optical_frame'
                np.testing.assert_array_equal(
                    np.frombuffer(bytes(depth.data), '<u2').reshape(480, 854), depths[index])
                assert list(peer.infos[stamp].k) == [600, 0, 427, 0, 600, 240, 0, 0, 1]
    finally:
        peer.close()
    stamps = _stamps(out_bag)
    for name in ('test_extra', 'mask', 'nearest_person', 'persons_cloud'):
        assert stamps[f'/person_segmentation/{name}'] == expected, name
    with AnyReader([out_bag]) as reader:
        nearest = [reader.deserialize(raw, connection.msgtype).point
                   for connection, _, raw in reader.messages()
                   if connection.topic == '/person_segmentation/nearest_person']
    assert [point.z for point in nearest] == pytest.approx([1.5] * count, abs=1e-6)


class _BusyWriter:
    """A publisher whose DDS writer refuses the first ``refusals`` messages, as Fast DDS does."""

    topic_name = '/camera/image_raw'

    def __init__(self, refusals):
        self.refusals, self.sent = refusals, []

    def publish(self, message):
        from rclpy._rclpy_pybind11 import RCLError
        if self.refusals > 0:
            self.refusals -= 1
            raise RCLError('Failed to publish: cannot publish data')
        self.sent.append(message)


def test_a_frame_the_middleware_refuses_is_offered_again_then_named():
    busy = _BusyWriter(refusals=3)
    publish_patiently(busy, 'frame 7', patience=2.0)
    assert busy.sent == ['frame 7'] and busy.refusals == 0  # not lost: a bag is replayed whole
    stuck = _BusyWriter(refusals=10**9)
    with pytest.raises(ReplayError, match=r'refused to publish on /camera/image_raw for 0.2 s: '
                                          r'Failed to publish: cannot publish data'):
        publish_patiently(stuck, 'frame 8', patience=0.2)
    assert stuck.sent == []
