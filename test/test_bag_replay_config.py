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
bag_replay.launch.py: its arguments, commands and remaps (always), and its actions (with launch).

The decisions live in person_segmentation.launch_support.bag_replay, tested here on real bags
written by media.bags; the launch file itself is loaded only where launch is importable.
"""

import importlib.util
import pathlib

import numpy as np
from person_segmentation.launch_support.bag_replay import (ARGUMENTS, BagReplayConfig,
                                                           ConfigError, find_image_topic)
from person_segmentation.media import bags
import pytest

LAUNCH_FILE = pathlib.Path(__file__).resolve().parents[1] / 'launch' / 'bag_replay.launch.py'


def _bag(path, topics):
    frame = np.zeros((4, 6, 3), np.uint8)
    with bags.AtomicBagWriter(path) as writer:
        for name, msgtype, count in topics:
            connection = writer.add_topic(name, msgtype)
            for index in range(count):
                message = (bags.compressed_image_message(frame, index)
                           if msgtype == bags.COMPRESSED_IMAGE_TYPE
                           else bags.image_message(frame, index)
                           if msgtype == bags.IMAGE_TYPE else bags.bool_message(True))
                writer.write(connection, index + 1, message)
    return path


@pytest.mark.parametrize('topics, want', [
    ([('/a/image', bags.IMAGE_TYPE, 2), ('/a/image/compressed', bags.COMPRESSED_IMAGE_TYPE, 3)],
     '/a/image'),
    ([('/a/image/compressed', bags.COMPRESSED_IMAGE_TYPE, 3), ('/b/image', bags.IMAGE_TYPE, 2),
      ('/c/image', bags.IMAGE_TYPE, 4)], '/c/image'),
    ([('/z/image', bags.IMAGE_TYPE, 2), ('/y/image', bags.IMAGE_TYPE, 2)], '/y/image'),
    ([('/a/compressed', bags.COMPRESSED_IMAGE_TYPE, 1),
      ('/b/compressed', bags.COMPRESSED_IMAGE_TYPE, 2)], '/b/compressed'),
])
def test_launch_and_replay_choose_the_same_topic(tmp_path, topics, want):
    """One rule: the launch file (metadata.yaml) and replay (rosbags) pick the same topic."""
    bag = _bag(tmp_path / 'bag', topics)
    assert find_image_topic(bag)[0] == want
    with bags.BagImageSource(bag) as source:
        assert source.topic == want


@pytest.fixture
def raw_bag(tmp_path):
    return _bag(tmp_path / 'warehouse', [('/cam/image_raw', bags.IMAGE_TYPE, 2),
                                         ('/cam/image_raw/compressed',
                                          bags.COMPRESSED_IMAGE_TYPE, 3),
                                         ('/flag', bags.BOOL_TYPE, 1)])


def test_defaults_find_the_raw_image_topic_and_play_with_clock(raw_bag):
    config = BagReplayConfig.from_arguments({'bag': str(raw_bag)}, '/share/params.yaml')
    assert config.image_topic == '/cam/image_raw' and not config.compressed
    assert config.play_command() == ['ros2', 'bag', 'play', str(raw_bag), '--clock',
                                     '--rate', '1', '--topics', '/cam/image_raw']
    assert config.node_remappings() == [('image', '/cam/image_raw')]
    assert config.node_parameters() == ['/share/params.yaml',
                                        {'use_sim_time': True, 'input_compressed': False}]
    assert not config.record and not config.viewer


def test_rate_loop_offset_model_record_and_viewer(raw_bag, tmp_path):
    config = BagReplayConfig.from_arguments({
        'bag': str(raw_bag), 'rate': '0.5', 'loop': 'true', 'start_offset': '12.5',
        'model': 'deeplabv3_mnv2_513', 'params_file': '/my.yaml', 'record': 'true',
        'record_storage': 'sqlite3', 'record_topics': 'mask person_detected /diagnostics',
        'viewer': 'True'})
    assert config.play_command()[4:] == ['--clock', '--rate', '0.5', '--topics',
                                         '/cam/image_raw', '--start-offset', '12.5', '--loop']
    assert config.node_parameters() == ['/my.yaml', {'use_sim_time': True,
                                                     'input_compressed': False,
                                                     'model': 'deeplabv3_mnv2_513'}]
    assert config.record_command() == [
        'ros2', 'bag', 'record', '--use-sim-time', '--storage', 'sqlite3',
        '--output', str(tmp_path / 'warehouse_segmented'), '--topics',
        '/person_segmentation/mask', '/person_segmentation/person_detected', '/diagnostics']
    assert config.viewer_arguments() == ['/person_segmentation/overlay']


def test_compressed_only_bag_feeds_the_compressed_input(tmp_path):
    bag = _bag(tmp_path / 'jpeg', [('/cam/image_raw/compressed',
                                    bags.COMPRESSED_IMAGE_TYPE, 2)])
    assert find_image_topic(bag) == ('/cam/image_raw/compressed', bags.COMPRESSED_IMAGE_TYPE)
    config = BagReplayConfig.from_arguments({'bag': str(bag)})
    assert config.node_remappings() == [('image/compressed', '/cam/image_raw/compressed')]
    assert config.node_parameters() == [{'use_sim_time': True, 'input_compressed': True}]
    explicit = BagReplayConfig.from_arguments({'bag': str(bag), 'image_topic': '/other/image'})
    assert explicit.node_remappings() == [('image', '/other/image')]


@pytest.mark.parametrize('values, message', [
    ({}, 'bag:=<path> is required'),
    ({'bag': '/no/such/bag'}, 'does not exist'),
    ({'rate': '0'}, 'rate'),
    ({'rate': 'fast'}, 'not a number'),
    ({'start_offset': '-1'}, 'start_offset'),
    ({'loop': 'maybe'}, 'loop'),
    ({'record_storage': 'bag1'}, 'record_storage'),
])
def test_bad_arguments_are_named(raw_bag, values, message):
    values = {'bag': str(raw_bag), **values} if 'bag' not in values and values else values
    with pytest.raises(ConfigError, match=message):
        BagReplayConfig.from_arguments(values)


def test_bag_without_image_topic_or_metadata(tmp_path, raw_bag):
    flags = _bag(tmp_path / 'flags', [('/flag', bags.BOOL_TYPE, 1)])
    with pytest.raises(ConfigError, match=r'no image topic.*its topics: /flag'):
        BagReplayConfig.from_arguments({'bag': str(flags)})
    mcap = next(raw_bag.glob('*.mcap'))
    with pytest.raises(ConfigError, match='image_topic:='):
        BagReplayConfig.from_arguments({'bag': str(mcap)})
    config = BagReplayConfig.from_arguments({'bag': str(mcap), 'image_topic': '/cam/image_raw'})
    assert config.record_output == str(mcap.with_name('warehouse_segmented'))


def test_record_output_must_be_new(raw_bag, tmp_path):
    (tmp_path / 'out').mkdir()
    with pytest.raises(ConfigError, match='exists already'):
        BagReplayConfig.from_arguments({'bag': str(raw_bag), 'record': 'true',
                                        'record_output': str(tmp_path / 'out')})


def test_arguments_have_descriptions():
    names = [argument.name for argument in ARGUMENTS]
    assert len(names) == len(set(names))
    assert {'bag', 'rate', 'loop', 'start_offset', 'record', 'viewer'} <= set(names)
    assert all(argument.description for argument in ARGUMENTS)


def test_launch_description_holds_the_expected_actions(raw_bag):
    # (plain 'launch' would import the repository's launch/ folder as a namespace package)
    pytest.importorskip('launch.actions',
                        reason='launch is not installable here (no ROS 2 install)')
    pytest.importorskip('launch_ros.actions',
                        reason='launch_ros is not installable here (no ROS 2 install)')
    from launch import LaunchContext
    from launch.actions import DeclareLaunchArgument, ExecuteProcess, OpaqueFunction
    from launch_ros.actions import Node

    spec = importlib.util.spec_from_file_location('bag_replay_launch', LAUNCH_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description = module.generate_launch_description()
    declared = [e for e in description.entities if isinstance(e, DeclareLaunchArgument)]
    assert [d.name for d in declared] == [a.name for a in ARGUMENTS]
    (opaque,) = [e for e in description.entities if isinstance(e, OpaqueFunction)]
    context = LaunchContext()
    context.launch_configurations.update(
        {a.name: a.default for a in ARGUMENTS if a.default is not None})
    context.launch_configurations.update({'bag': str(raw_bag), 'record': 'true',
                                          'viewer': 'true'})
    actions = opaque.execute(context)
    assert sum(isinstance(a, ExecuteProcess) and not isinstance(a, Node) for a in actions) == 2
    assert sum(isinstance(a, Node) for a in actions) == 2
    play = next(a for a in actions if isinstance(a, ExecuteProcess) and not isinstance(a, Node))
    assert 'FASTDDS_DEFAULT_PROFILES_FILE' in dict(play.additional_env or [])


def test_fastdds_profile_reaches_bag_play_and_node(raw_bag, tmp_path):
    profile = tmp_path / 'large.xml'
    profile.write_text('<dds/>')
    config = BagReplayConfig.from_arguments({'bag': str(raw_bag)}, None, str(profile))
    assert config.process_env() == {'FASTDDS_DEFAULT_PROFILES_FILE': str(profile.resolve())}
    off = BagReplayConfig.from_arguments({'bag': str(raw_bag),
                                          'fastdds_profiles_file': 'none'}, None, str(profile))
    assert off.process_env() == {}
    with pytest.raises(ConfigError, match='fastdds_profiles_file'):
        BagReplayConfig.from_arguments({'bag': str(raw_bag),
                                        'fastdds_profiles_file': str(tmp_path / 'missing.xml')})
