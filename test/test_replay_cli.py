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

import pathlib
import re

import cv2
from person_segmentation.cli import replay, video_to_bag
from person_segmentation.media import bags
from person_segmentation.replay.session import node_arguments, OutputCollector, ReplayOptions
import pytest
from rosbag2_humble_rules import bag_problems
from rosbags.highlevel import AnyReader
from sensor_msgs.msg import Image
from std_msgs.msg import Bool

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


def test_lossless_replay_gives_one_output_per_input(short_bag, tmp_path, capsys):
    video = tmp_path / 'segmented.mp4'
    out_bag = tmp_path / 'segmented_bag'
    status = replay.main([str(short_bag), '--output-video', str(video), '--output-bag',
                          str(out_bag), '--mode', 'lossless', '--model', 'deeplabv3_mnv2_257',
                          '--quiet'])
    captured = capsys.readouterr()
    assert status == 0, captured.err
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


def test_inprocess_node_replays_too_into_a_bag_humble_reads(short_bag, tmp_path, capsys):
    out_bag = tmp_path / 'humble_bag'
    status = replay.main([str(short_bag), '--output-video', str(tmp_path / 'v.mp4'),
                          '--node', 'inprocess', '--limit', '4', '--quiet', '--output-bag',
                          str(out_bag), '--ros-distro', 'humble'])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert _summary_number(captured.out, 'frames out') == 4
    assert (tmp_path / 'v.mp4').is_file()
    assert bag_problems(out_bag) == []
    assert (out_bag / 'humble_bag.db3').is_file()  # sqlite3: what Humble reads without extras
    expected = [int(START * 1e9) + round(i * 1e9 / FPS) for i in range(4)]
    assert all(values == expected for values in _stamps(out_bag).values())


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


def _output(stamp_ns):
    msg = Image()
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp_ns, 10**9)
    return msg


def test_collector_pairs_headerless_bools_despite_a_frame_processed_twice():
    collector = OutputCollector()
    collector.required = ('overlay', 'mask', 'person_detected')
    first, second = 10**9, 2 * 10**9
    collector.published(0, first)
    collector.published(1, second)
    # frame 0 is processed twice (lossless mode resent it), then frame 1
    for stamp, detected in ((first, True), (first, True), (second, False)):
        collector.on_image('mask', _output(stamp))
        collector.on_image('overlay', _output(stamp))
        collector.on_bool(Bool(data=detected))
    results = {}
    while not collector.completed.empty():
        result = collector.completed.get()
        results[result.index] = result.person_detected
    assert results == {0: True, 1: False}


def test_preset_and_model_reach_the_node_as_parameters():
    args = node_arguments(ReplayOptions(node_parameters={'preset': 'accurate',
                                                         'model': 'deeplabv3_mnv2_257'}))
    assert ' '.join(args).endswith('-p preset:=accurate -p model:=deeplabv3_mnv2_257')
    assert 'preset:=' not in ' '.join(node_arguments(ReplayOptions()))  # the node's default
    parsed = replay.build_parser().parse_args(
        ['in.mp4', '--preset', 'fast', '--device', 'cpu', '--param', 'threshold:=0.6'])
    assert replay.node_parameters(parsed) == {'threshold': '0.6', 'preset': 'fast',
                                              'device': 'cpu'}
