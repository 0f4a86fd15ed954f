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

import os
import pathlib
import signal
import sys

from launch_helpers import (ament_prefix, LAUNCH_DIR, load_launch_file, prepend_ament_prefix,
                            require_launch)
import numpy as np
from person_segmentation.launch_support.bag_replay import (
    ARGUMENTS, BagReplayConfig, ConfigError, ending, find_image_topic, PLAY_PROCESS,
    RECORD_PROCESS, VIEWER_PROCESS)
from person_segmentation.launch_support.config_files import installed_prefix, package_config
from person_segmentation.media import bags
from person_segmentation.media.bag_topics import CAMERA_INFO_TYPE
from person_segmentation.media.camera_info import calibration_from_intrinsics
from person_segmentation.names import (FASTDDS_PROFILE_FILE, NODE_EXECUTABLE, PACKAGE,
                                       PARAMS_FILE)
from person_segmentation.node.cameras import cameras
import pytest

PACKAGE_PARAMS = package_config(PARAMS_FILE)
CALIBRATION = calibration_from_intrinsics(5.0, 5.0, 3.0, 2.0, 6, 4)
COLOUR = '/camera/camera/color/image_raw'
DEPTH = '/camera/camera/aligned_depth_to_color/image_raw'
DEPTH_INFO = '/camera/camera/aligned_depth_to_color/camera_info'


def _bag(path, topics, storage='mcap'):
    frame = np.zeros((4, 6, 3), np.uint8)
    with bags.AtomicBagWriter(path, storage=storage) as writer:
        for name, msgtype, count in topics:
            connection = writer.add_topic(name, msgtype)
            for index in range(count):
                message = (bags.compressed_image_message(frame, index)
                           if msgtype == bags.COMPRESSED_IMAGE_TYPE
                           else bags.image_message(frame, index)
                           if msgtype == bags.IMAGE_TYPE
                           else bags.camera_info_message(CALIBRATION, index)
                           if msgtype == CAMERA_INFO_TYPE else bags.bool_message(True))
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
    config = BagReplayConfig.from_configurations({'bag': str(raw_bag)})
    assert config.image_topic == '/cam/image_raw' and not config.compressed
    assert config.play_command() == ['ros2', 'bag', 'play', str(raw_bag), '--clock',
                                     '--rate', '1', '--topics', '/cam/image_raw']
    assert config.node_remappings() == [('image', '/cam/image_raw')]
    assert config.node_parameters() == [PACKAGE_PARAMS.path,
                                        {'use_sim_time': True, 'input_compressed': False}]
    assert not config.record and not config.viewer
    assert config.notes[0].startswith('image topic: /cam/image_raw (2 image topics')
    assert config.warnings == ()


def test_rate_loop_offset_model_record_and_viewer(raw_bag, tmp_path):
    params = tmp_path / 'my.yaml'
    params.write_text('{}')
    config = BagReplayConfig.from_configurations({
        'bag': str(raw_bag), 'rate': '0.5', 'loop': 'true', 'start_offset': '12.5',
        'model': 'deeplabv3_mnv2_513', 'params_file': str(params), 'record': 'true',
        'record_storage': 'sqlite3', 'record_topics': 'mask person_detected /diagnostics',
        'viewer': 'True'})
    assert config.play_command()[4:] == ['--clock', '--rate', '0.5', '--topics',
                                         '/cam/image_raw', '--start-offset', '12.5', '--loop']
    assert config.node_parameters() == [str(params), {'use_sim_time': True,
                                                      'input_compressed': False,
                                                      'model': 'deeplabv3_mnv2_513'}]
    assert config.record_command() == [
        'ros2', 'bag', 'record', '--use-sim-time', '--storage', 'sqlite3',
        '--output', str(tmp_path / 'warehouse_segmented'), '--topics',
        '/person_segmentation/mask', '/person_segmentation/person_detected', '/diagnostics']
    assert config.viewer_arguments() == ['/person_segmentation/overlay']
    assert f'node parameters: {params} (params_file:=)' in config.notes


@pytest.fixture
def cameras_bag(tmp_path):
    return _bag(tmp_path / 'cameras', [
        ('/front/image_raw', bags.IMAGE_TYPE, 3),
        ('/front/image_raw/compressed', bags.COMPRESSED_IMAGE_TYPE, 3),
        ('/rear/image_raw/compressed', bags.COMPRESSED_IMAGE_TYPE, 2),
        ('/side/image_raw', bags.IMAGE_TYPE, 1), ('/flag', bags.BOOL_TYPE, 1)])


@pytest.mark.parametrize('images, cameras', [
    ('all', ('/front/image_raw', '/rear/image_raw/compressed', '/side/image_raw')),
    ('[/side/image_raw, /front/image_raw/compressed]',
     ('/side/image_raw', '/front/image_raw/compressed')),
])
def test_several_cameras_of_a_bag_play_through_one_node(cameras_bag, tmp_path, images, cameras):
    config = BagReplayConfig.from_configurations({
        'bag': str(cameras_bag), 'images': images, 'record': 'true',
        'record_topics': 'mask /diagnostics', 'record_output': str(tmp_path / 'out')})
    assert config.images == cameras
    assert config.play_command()[-len(cameras) - 1:] == ['--topics', *cameras]
    assert config.node_remappings() == []  # the node subscribes to the bag's topics itself
    assert config.node_parameters()[1] == {'use_sim_time': True, 'input_compressed': False,
                                           'images': list(cameras)}
    assert config.record_command()[-len(cameras) - 1:] == [
        *(f'/person_segmentation/camera_{i}/mask' for i in range(len(cameras))), '/diagnostics']
    assert config.viewer_arguments() == ['/person_segmentation/camera_0/overlay']
    assert f'cameras: camera_0 = {cameras[0]}' in config.notes[0]


@pytest.mark.parametrize('values, message', [
    ({'images': '[/front/image_raw, /nowhere]'}, 'names /nowhere, not in'),
    ({'images': 'all', 'image_topic': '/front/image_raw'}, 'not both'),
    ({'images': '[/flag]'}, 'not an image topic'),
])
def test_bad_camera_lists_are_named(cameras_bag, values, message):
    with pytest.raises(ConfigError, match=message):
        BagReplayConfig.from_configurations({'bag': str(cameras_bag), **values})


def test_compressed_only_bag_feeds_the_compressed_input(tmp_path):
    bag = _bag(tmp_path / 'jpeg', [('/cam/image_raw/compressed',
                                    bags.COMPRESSED_IMAGE_TYPE, 2)])
    assert find_image_topic(bag) == ('/cam/image_raw/compressed', bags.COMPRESSED_IMAGE_TYPE,
                                     '')
    config = BagReplayConfig.from_configurations({'bag': str(bag)})
    assert config.node_remappings() == [('image/compressed', '/cam/image_raw/compressed')]
    assert config.node_parameters()[1] == {'use_sim_time': True, 'input_compressed': True}
    explicit = BagReplayConfig.from_configurations({'bag': str(bag),
                                                    'image_topic': '/other/image'})
    assert explicit.node_remappings() == [('image', '/other/image')]


@pytest.mark.parametrize('values, message', [
    ({}, 'bag:=<path> is required'),
    ({'bag': '/no/such/bag'}, 'does not exist'),
    ({'rate': '0'}, 'rate'),
    ({'rate': 'fast'}, 'not a number'),
    ({'start_offset': '-1'}, 'start_offset'),
    ({'loop': 'maybe'}, 'loop'),
    ({'record_storage': 'bag1'}, 'record_storage'),
    ({'params_file': '/no/such.yaml'}, "params_file:='/no/such.yaml': no such file"),
    ({'viewr': 'true'}, r'has no argument viewr .*did you mean viewer:=\?'),
    ({'record_topic': 'mask'}, 'did you mean record_topics:='),
    # a relative name that is no output of the node was recorded (waited for) without a word
    ({'record_topics': 'mask maks'}, r"record_topics: 'maks' is not an output of the node "
                                     r'\(mask, overlay, probability, person_detected, persons, '
                                     r'nearest_person, persons_cloud, parts\)'),
    ({'viewer_topic': 'overlays'}, "viewer_topic: 'overlays' is not an output"),
])
def test_bad_arguments_are_named(raw_bag, values, message):
    values = {'bag': str(raw_bag), **values} if 'bag' not in values and values else values
    with pytest.raises(ConfigError, match=message):
        BagReplayConfig.from_configurations(values)


def test_unknown_names_unlike_any_argument_are_warned_about(raw_bag):
    config = BagReplayConfig.from_configurations({'bag': str(raw_bag), 'robot': 'r1'})
    assert config.warnings == ("ignoring robot:='r1': not an argument of bag_replay.launch.py "
                               '(its arguments: bag, rate, loop, start_offset, image_topic, '
                               'images, depth_topic, model, params_file, record, record_output, '
                               'record_storage, record_topics, viewer, viewer_topic, '
                               'fastdds_profiles_file)',)


def test_bag_without_image_topic_or_metadata(tmp_path, raw_bag):
    flags = _bag(tmp_path / 'flags', [('/flag', bags.BOOL_TYPE, 1)])
    with pytest.raises(ConfigError, match=r'no image topic.*its topics: /flag'):
        BagReplayConfig.from_configurations({'bag': str(flags)})
    mcap = next(raw_bag.glob('*.mcap'))
    with pytest.raises(ConfigError, match='image_topic:='):
        BagReplayConfig.from_configurations({'bag': str(mcap)})
    config = BagReplayConfig.from_configurations({'bag': str(mcap),
                                                  'image_topic': '/cam/image_raw'})
    assert config.record_output == str(mcap.with_name('warehouse_segmented'))


def test_record_output_must_be_new(raw_bag, tmp_path):
    (tmp_path / 'out').mkdir()
    with pytest.raises(ConfigError, match='exists already'):
        BagReplayConfig.from_configurations({'bag': str(raw_bag), 'record': 'true',
                                             'record_output': str(tmp_path / 'out')})


def test_arguments_have_descriptions():
    names = [argument.name for argument in ARGUMENTS]
    assert len(names) == len(set(names))
    assert {'bag', 'rate', 'loop', 'start_offset', 'record', 'viewer'} <= set(names)
    assert all(argument.description for argument in ARGUMENTS)


def test_package_params_and_profile_are_used_in_every_kind_of_install(raw_bag, monkeypatch):
    """Outside a colcon install the replay ran without both; now it uses the package's."""
    monkeypatch.delenv('AMENT_PREFIX_PATH', raising=False)
    config = BagReplayConfig.from_configurations({'bag': str(raw_bag)}, environ={},
                                                 output_is_terminal=True)
    params = package_config(PARAMS_FILE)
    profile = package_config(FASTDDS_PROFILE_FILE)
    assert params.origin == profile.origin == 'source tree'
    assert config.node_parameters()[0] == params.path
    assert config.process_env() == {'FASTDDS_DEFAULT_PROFILES_FILE': profile.path}
    assert f'node parameters: {params}' in config.notes
    assert f'Fast DDS profile of bag play and the node: {profile}' in config.notes


def test_fastdds_profile_reaches_bag_play_and_node(raw_bag, tmp_path):
    profile = tmp_path / 'large.xml'
    profile.write_text('<dds/>')
    config = BagReplayConfig.from_configurations({'bag': str(raw_bag),
                                                  'fastdds_profiles_file': str(profile)},
                                                 output_is_terminal=True)
    assert config.process_env() == {'FASTDDS_DEFAULT_PROFILES_FILE': str(profile.resolve())}
    off = BagReplayConfig.from_configurations({'bag': str(raw_bag),
                                               'fastdds_profiles_file': 'none'},
                                              output_is_terminal=True)
    assert off.process_env() == {}
    assert 'Fast DDS profile of bag play and the node: none (fastdds_profiles_file:=none)' \
        in off.notes
    # a profile the user set in the environment was replaced by the package's
    kept = BagReplayConfig.from_configurations(
        {'bag': str(raw_bag)}, environ={'FASTDDS_DEFAULT_PROFILES_FILE': str(profile)},
        output_is_terminal=True)
    assert kept.process_env() == {}
    assert ("Fast DDS profile of bag play and the node: the environment's "
            f"(FASTDDS_DEFAULT_PROFILES_FILE='{profile}')") in kept.notes
    with pytest.raises(ConfigError, match='fastdds_profiles_file'):
        BagReplayConfig.from_configurations({
            'bag': str(raw_bag), 'fastdds_profiles_file': str(tmp_path / 'missing.xml')})


def test_packages_are_checked_before_anything_starts(raw_bag, tmp_path, monkeypatch):
    """A missing viewer used to stop the launch after the node had started, orphaning it."""
    monkeypatch.setenv('ROS_DISTRO', 'jazzy')
    monkeypatch.setenv('AMENT_PREFIX_PATH', str(ament_prefix(tmp_path / 'ros', [PACKAGE])))
    monkeypatch.setenv('PATH', str(tmp_path / 'nothing'))
    sqlite = _bag(tmp_path / 'sqlite_bag', [('/cam/image_raw', bags.IMAGE_TYPE, 1)], 'sqlite3')
    # without rosbag2 the node started, and only then did `ros2 bag play` fail
    with pytest.raises(ConfigError, match='the ros2 command is not on PATH: source'):
        BagReplayConfig.from_configurations({'bag': str(sqlite)}).check_packages()
    _fake_ros2(tmp_path, monkeypatch, 0, 0)
    with pytest.raises(ConfigError, match='ros2 bag play needs the ROS package ros2bag.*'
                                          'sudo apt install ros-jazzy-rosbag2'):
        BagReplayConfig.from_configurations({'bag': str(sqlite)}).check_packages()
    prepend_ament_prefix(monkeypatch, ament_prefix(tmp_path / 'rosbag2', ['ros2bag']))
    BagReplayConfig.from_configurations({'bag': str(sqlite)}).check_packages()
    with pytest.raises(ConfigError, match='viewer:=true needs the ROS package rqt_image_view.*'
                                          'sudo apt install ros-jazzy-rqt-image-view'):
        BagReplayConfig.from_configurations({'bag': str(sqlite),
                                             'viewer': 'true'}).check_packages()
    for mcap_use in ({'bag': str(raw_bag)},
                     {'bag': str(sqlite), 'record': 'true', 'record_storage': 'mcap'}):
        with pytest.raises(ConfigError, match='MCAP bag needs the ROS package '
                                              'rosbag2_storage_mcap'):
            BagReplayConfig.from_configurations(mcap_use).check_packages()
    prepend_ament_prefix(monkeypatch, ament_prefix(tmp_path / 'more', [
        'rqt_image_view', 'rosbag2_storage_mcap']))
    BagReplayConfig.from_configurations({'bag': str(raw_bag), 'record': 'true',
                                         'viewer': 'true'}).check_packages()
    monkeypatch.setenv('AMENT_PREFIX_PATH', os.pathsep.join([str(tmp_path / 'more'),
                                                             str(tmp_path / 'rosbag2')]))
    with pytest.raises(ConfigError, match='person_segmentation.*build it with colcon'):
        BagReplayConfig.from_configurations({'bag': str(sqlite)}).check_packages()


@pytest.mark.parametrize('process, returncode, want', [
    (PLAY_PROCESS, 0, ('ros2 bag play reached the end of the bag: stopping the replay',
                       False)),
    (PLAY_PROCESS, 1, ('ros2 bag play failed (exit code 1; its output above says why): '
                       'stopping the replay', True)),
    (PLAY_PROCESS, -11, ('ros2 bag play failed (exit code -11; its output above says why): '
                         'stopping the replay', True)),
    (NODE_EXECUTABLE, 1, ('person_segmentation_node exited (exit code 1) while the bag was '
                          'playing: stopping the replay', True)),
    (RECORD_PROCESS, 0, ('bag_record exited (exit code 0) while the bag was playing: stopping '
                         'the replay', True)),
    (VIEWER_PROCESS, 0, None),
])
def test_the_replay_ends_with_bag_play_and_fails_with_its_processes(process, returncode, want):
    assert ending(process, returncode) == want


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """
    Return whether the node can start; the packages the replay may use are in an ament index.

    In a colcon or apt install this package is indexed already; in a pip install its node
    executable is next to the Python (setup.cfg's script_dir) and gets indexed here.
    """
    packages = ['rqt_image_view', 'rosbag2_storage_mcap', 'ros2bag']
    executables = {}
    if installed_prefix(PACKAGE) is None:
        packages.append(PACKAGE)
        node = pathlib.Path(sys.prefix) / 'lib' / PACKAGE / NODE_EXECUTABLE
        if node.exists():
            executables = {PACKAGE: {NODE_EXECUTABLE: node}}
    prepend_ament_prefix(monkeypatch, ament_prefix(tmp_path / 'install', packages,
                                                   executables))
    return PACKAGE not in packages or bool(executables)


def test_launch_description_holds_the_expected_actions(raw_bag, installed, tmp_path,
                                                       monkeypatch):
    require_launch()
    _fake_ros2(tmp_path, monkeypatch, 0, 0)
    for name in ('FASTDDS_DEFAULT_PROFILES_FILE', 'FASTDDS_BUILTIN_TRANSPORTS',
                 'RCUTILS_COLORIZED_OUTPUT'):
        monkeypatch.delenv(name, raising=False)
    from launch import LaunchContext
    from launch.actions import (DeclareLaunchArgument, ExecuteProcess, OpaqueFunction,
                                RegisterEventHandler)
    from launch.utilities import perform_substitutions
    from launch_ros.actions import Node

    description = load_launch_file('bag_replay.launch.py').generate_launch_description()
    declared = [e for e in description.entities if isinstance(e, DeclareLaunchArgument)]
    assert [d.name for d in declared] == [a.name for a in ARGUMENTS]
    (opaque,) = [e for e in description.entities if isinstance(e, OpaqueFunction)]
    context = LaunchContext()
    context.launch_configurations.update({'bag': str(raw_bag), 'record': 'true',
                                          'viewer': 'true'})
    actions = opaque.execute(context)
    processes = [a for a in actions if isinstance(a, ExecuteProcess)]
    assert [type(a) for a in processes] == [ExecuteProcess, Node, ExecuteProcess, Node]
    assert sum(isinstance(a, RegisterEventHandler) for a in actions) == 4
    # additional_env holds substitutions (lists of them in newer launch): resolve them
    envs = [{perform_substitutions(context, name): perform_substitutions(context, value)
             for name, value in process.additional_env} for process in processes]
    profile = {'FASTDDS_DEFAULT_PROFILES_FILE': package_config(FASTDDS_PROFILE_FILE).path}
    plain = {'RCUTILS_COLORIZED_OUTPUT': '0'}  # pytest's stdout is no terminal
    assert envs == [{**profile, **plain}, {**profile, **plain}, plain, plain]
    context.launch_configurations['viewr'] = 'false'
    with pytest.raises(ConfigError, match='did you mean viewer:='):
        opaque.execute(context)


def _fake_ros2(tmp_path, monkeypatch, seconds, status):
    """``ros2`` on PATH that, as ``ros2 bag play``, runs ``seconds`` then exits with status."""
    folder = tmp_path / 'bin'
    folder.mkdir()
    script = folder / 'ros2'
    script.write_text(f'#!/bin/sh\nsleep {seconds}\nexit {status}\n')
    script.chmod(0o755)
    monkeypatch.setenv('PATH', f'{folder}{os.pathsep}{os.environ["PATH"]}')


def _processes_with(text):
    found = []
    for cmdline in pathlib.Path('/proc').glob('[0-9]*/cmdline'):
        try:
            if text in cmdline.read_bytes().replace(b'\0', b' ').decode(errors='replace'):
                found.append(cmdline.parent.name)
        except OSError:
            pass
    return found


@pytest.mark.timeout(120)
@pytest.mark.parametrize('seconds, status, want', [(4, 0, 0), (0, 3, 1)])
def test_the_launch_ends_when_bag_play_ends(tmp_path, monkeypatch, installed, models_dir,
                                            seconds, status, want):
    """Under the real launch: play finished -> exit 0, play failed -> 1; no node is left."""
    require_launch()
    from launch import LaunchService
    from launch.actions import IncludeLaunchDescription
    from launch.launch_description_sources import PythonLaunchDescriptionSource

    if not installed:
        pytest.skip('person_segmentation_node is neither in the ament index nor next to this '
                    'Python')
    topic = f'/end_{os.getpid()}_{status}/image'
    bag = _bag(tmp_path / 'bag', [(topic, bags.IMAGE_TYPE, 1)])
    _fake_ros2(tmp_path, monkeypatch, seconds, status)
    service = LaunchService(argv=[])
    service.include_launch_description(IncludeLaunchDescription(
        PythonLaunchDescriptionSource(str(LAUNCH_DIR / 'bag_replay.launch.py')),
        launch_arguments={'bag': str(bag)}.items()))
    try:
        assert service.run() == want
    finally:  # (before the fix the launch never ended: the timeout ends the test)
        left = _processes_with(f'image:={topic}')
        for pid in left:
            os.kill(int(pid), signal.SIGKILL)
    assert left == [], 'the node outlived the launch'


@pytest.fixture
def rgbd_bag(tmp_path):
    """Return a bag as realsense2_camera records it (video_to_bag --depth writes the same)."""
    return _bag(tmp_path / 'rgbd', [
        (COLOUR, bags.IMAGE_TYPE, 3), (DEPTH, bags.IMAGE_TYPE, 3),
        ('/camera/camera/color/camera_info', CAMERA_INFO_TYPE, 3),
        (DEPTH_INFO, CAMERA_INFO_TYPE, 3)])


def test_an_rgbd_bag_plays_its_depth_into_the_nodes_depth_input(rgbd_bag):
    """Failed on the old code: the aligned depth topic (sorted first) was played as colour."""
    config = BagReplayConfig.from_configurations({'bag': str(rgbd_bag)})
    with bags.BagImageSource(rgbd_bag) as source:  # replay chooses the same
        assert source.topic == config.image_topic == COLOUR
    assert config.play_command()[-4:] == ['--topics', COLOUR, DEPTH, DEPTH_INFO]
    assert config.node_remappings() == [('image', COLOUR), ('depth/image', DEPTH),
                                        ('depth/camera_info', DEPTH_INFO)]
    assert config.node_parameters()[1]['use_depth'] is True
    assert f'depth of {COLOUR}: {DEPTH}, camera_info {DEPTH_INFO}' in config.notes
    plain = BagReplayConfig.from_configurations({'bag': str(rgbd_bag), 'depth_topic': 'none'})
    assert plain.node_remappings() == [('image', COLOUR)]
    assert 'use_depth' not in plain.node_parameters()[1]
    assert plain.play_command()[-2:] == ['--topics', COLOUR]
    with pytest.raises(ConfigError, match="has no sensor_msgs/msg/Image topic '/nope' for "
                                          'depth'):
        BagReplayConfig.from_configurations({'bag': str(rgbd_bag), 'depth_topic': '/nope'})


def test_each_camera_of_a_bag_gets_its_own_depth(tmp_path):
    bag = _bag(tmp_path / 'two', [('/front/color/image_raw', bags.IMAGE_TYPE, 2),
                                  ('/front/aligned_depth_to_color/image_raw', bags.IMAGE_TYPE, 2),
                                  ('/front/aligned_depth_to_color/camera_info',
                                   CAMERA_INFO_TYPE, 2),
                                  ('/rear/color/image_raw', bags.IMAGE_TYPE, 2)])
    config = BagReplayConfig.from_configurations({'bag': str(bag), 'images': 'all'})
    assert config.images == ('/front/color/image_raw', '/rear/color/image_raw')
    assert config.node_parameters()[1]['depth_images'] == [
        '/front/aligned_depth_to_color/image_raw', '']
    assert config.play_command()[-5:] == [
        '--topics', '/front/color/image_raw', '/rear/color/image_raw',
        '/front/aligned_depth_to_color/image_raw', '/front/aligned_depth_to_color/camera_info']


def test_a_camera_whose_depth_info_is_the_colour_ones_gets_it_where_the_node_listens(tmp_path):
    """
    ZED-style: no camera_info beside the depth; the colour one is played under that name.

    With images:= the node listens beside each depth topic (node/cameras.py); before the
    remap, play sent /zed/rgb/camera_info and the node waited on /zed/depth/camera_info.
    """
    bag = _bag(tmp_path / 'zed', [('/zed/rgb/image_rect_color', bags.IMAGE_TYPE, 2),
                                  ('/zed/rgb/camera_info', CAMERA_INFO_TYPE, 2),
                                  ('/zed/depth/depth_registered', bags.IMAGE_TYPE, 2),
                                  ('/rear/color/image_raw', bags.IMAGE_TYPE, 2)])
    config = BagReplayConfig.from_configurations({'bag': str(bag), 'images': 'all'})
    assert config.images == ('/rear/color/image_raw', '/zed/rgb/image_rect_color')
    assert config.node_parameters()[1]['depth_images'] == ['', '/zed/depth/depth_registered']
    listens = cameras(config.images, [], False, depth_images=['', '/zed/depth/depth_registered'])
    assert listens[1].depth_info_topic == '/zed/depth/camera_info'
    command = config.play_command()
    assert command[command.index('--topics') + 1:command.index('--remap')] == [
        *config.images, '/zed/depth/depth_registered', '/zed/rgb/camera_info']
    assert command[command.index('--remap') + 1:] == [
        '/zed/rgb/camera_info:=/zed/depth/camera_info']
    assert any('played as /zed/depth/camera_info' in note for note in config.notes)
