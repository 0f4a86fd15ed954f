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
segmentation.launch.py: argument handling (always) and the launch description (with launch).

launch/launch_ros are not installable everywhere, so the argument -> remapping/parameter logic
lives in person_segmentation.launch_support.segmentation and is tested here directly; the launch
file itself is loaded where launch is importable (test/launch_helpers.py).
"""

import pathlib

from launch_helpers import ament_prefix, load_launch_file, prepend_ament_prefix, require_launch
from person_segmentation.launch_support import segmentation as launch_config
from person_segmentation.launch_support.arguments import ConfigError
from person_segmentation.launch_support.config_files import package_config
from person_segmentation.names import FASTDDS_PROFILE_FILE
from person_segmentation.node import parameters as node_parameters
import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
CONFIG_FILE = REPO / 'config' / 'person_segmentation.yaml'


def test_defaults_use_the_package_config_and_camera_topic():
    launch = launch_config.node_settings({}, environ={}, output_is_terminal=True)
    settings = launch.node
    assert settings['executable'] == 'person_segmentation_node'
    assert settings['name'] == 'person_segmentation'
    assert settings['namespace'] == ''
    assert settings['remappings'] == [('image', '/camera/image_raw'),
                                      ('image/compressed', '/camera/image_raw/compressed')]
    params_file, overrides = settings['parameters']
    assert pathlib.Path(params_file).name == 'person_segmentation.yaml'
    assert pathlib.Path(params_file).is_file()
    assert overrides == {'use_sim_time': False}
    assert settings['ros_arguments'] == ['--log-level', 'info']
    # without the large-image profile `ros2 topic hz ~/overlay` saw 3 of the node's 10 Hz
    profile = package_config(FASTDDS_PROFILE_FILE)
    assert settings['additional_env'] == {'FASTDDS_DEFAULT_PROFILES_FILE': profile.path}
    origin = 'installed' if 'share' in params_file else 'source tree'
    assert launch.notes == (f'node parameters: {params_file} ({origin})',
                            f'Fast DDS profile of the node: {profile}')
    assert launch.warnings == ()


@pytest.mark.parametrize('arguments, environ, env, profile', [
    ({'fastdds_profiles_file': 'none'}, {}, None, 'none (fastdds_profiles_file:=none)'),
    ({}, {'FASTDDS_DEFAULT_PROFILES_FILE': '/etc/dds.xml'}, None,
     "the environment's (FASTDDS_DEFAULT_PROFILES_FILE='/etc/dds.xml')"),
    ({'fastdds_transports': 'LARGE_DATA'}, {}, {'FASTDDS_BUILTIN_TRANSPORTS': 'LARGE_DATA'},
     "the environment's (FASTDDS_BUILTIN_TRANSPORTS='LARGE_DATA')"),
])
def test_the_profile_can_be_turned_off_and_a_users_choice_is_kept(arguments, environ, env,
                                                                  profile):
    launch = launch_config.node_settings(arguments, environ=environ, output_is_terminal=True)
    assert launch.node['additional_env'] == env
    assert launch.notes[1] == f'Fast DDS profile of the node: {profile}'


def test_arguments_map_to_remaps_namespace_sim_time_and_env(tmp_path):
    params = tmp_path / 'mine.yaml'
    params.write_text('/**:\n  ros__parameters:\n    threshold: 0.6\n')
    profile = tmp_path / 'fastdds.xml'
    profile.write_text('<dds/>')
    launch = launch_config.node_settings({
        'image': '/front/color/image_raw/', 'params_file': str(params),
        'namespace': 'robot1/', 'use_sim_time': 'True', 'log_level': 'DEBUG',
        'fastdds_transports': 'LARGE_DATA', 'fastdds_profiles_file': str(profile)},
        environ={}, output_is_terminal=False)
    settings = launch.node
    assert settings['remappings'] == [('image', '/front/color/image_raw'),
                                      ('image/compressed', '/front/color/image_raw/compressed')]
    assert settings['namespace'] == '/robot1'
    assert settings['parameters'] == [str(params), {'use_sim_time': True}]
    assert settings['ros_arguments'] == ['--log-level', 'debug']
    # output redirected: the node (given a pseudo-terminal by launch) logs without colours
    assert settings['additional_env'] == {'FASTDDS_BUILTIN_TRANSPORTS': 'LARGE_DATA',
                                          'FASTDDS_DEFAULT_PROFILES_FILE': str(profile),
                                          'RCUTILS_COLORIZED_OUTPUT': '0'}
    assert launch.notes == (f'node parameters: {params} (params_file:=)',
                            f'Fast DDS profile of the node: {profile} (fastdds_profiles_file:=)')


@pytest.mark.parametrize('images, cameras, lifecycle, parameters', [
    ('[/front/image_raw, /rear/image_raw/compressed]', '', '',
     {'images': ['/front/image_raw', '/rear/image_raw/compressed']}),
    ('/front/image_raw,/rear/image_raw', '[front, rear]', 'true',
     {'images': ['/front/image_raw', '/rear/image_raw'], 'cameras': ['front', 'rear'],
      'lifecycle': True}),
    ('', '', 'false', {'lifecycle': False}),
    ('[]', '', '', {}),
])
def test_cameras_and_lifecycle_become_node_parameters(images, cameras, lifecycle, parameters):
    launch = launch_config.node_settings({'images': images, 'cameras': cameras,
                                          'lifecycle': lifecycle}, environ={})
    assert launch.node['parameters'][1] == {'use_sim_time': False, **parameters}
    assert node_parameters.validate_changes(parameters) is None


REALSENSE_COLOUR = '/camera/camera/color/image_raw'
REALSENSE_DEPTH = '/camera/camera/aligned_depth_to_color/image_raw'


def test_a_realsense_style_depth_camera_is_remapped_into_the_depth_input():
    launch = launch_config.node_settings({'image': REALSENSE_COLOUR, 'depth': REALSENSE_DEPTH},
                                         environ={})
    assert launch.node['remappings'] == [
        ('image', REALSENSE_COLOUR), ('image/compressed', REALSENSE_COLOUR + '/compressed'),
        ('depth/image', REALSENSE_DEPTH),
        ('depth/camera_info', '/camera/camera/aligned_depth_to_color/camera_info')]
    assert launch.node['parameters'][1] == {'use_sim_time': False, 'use_depth': True}
    given = launch_config.node_settings({'depth': '/zed/depth/depth_registered',
                                         'depth_camera_info': '/zed/rgb/camera_info'})
    assert given.node['remappings'][-1] == ('depth/camera_info', '/zed/rgb/camera_info')
    several = launch_config.node_settings({'images': '[/front/color/image_raw, /rear/image]',
                                           'depth_images': '[/front/depth/image_raw, none]'})
    assert several.node['parameters'][1]['depth_images'] == ['/front/depth/image_raw', '']
    assert [name for name, _ in several.node['remappings']] == ['image', 'image/compressed']
    assert node_parameters.validate_changes(several.node['parameters'][1]) is None


@pytest.mark.parametrize('arguments, problem', [
    ({'depth': '/d', 'images': '[/a, /b]'}, r'depth:= is for the one camera of image:=; with '
                                            r'images:= give depth_images:='),
    ({'depth_camera_info': '/d/camera_info'}, 'depth_camera_info:= needs depth:='),
    ({'images': '[/a, /b]', 'depth_images': '[/a_depth]'},
     r'must give each of the 2 images:= its depth topic'),
    ({'images': '[/a, [b]]'}, 'must list names'),
    ({'images': '[/a, /b'}, 'is not a list'),
    ({'images': '[/a, /b]', 'cameras': '[front]'}, 'must name each of the 2 images'),
    ({'lifecycle': 'maybe'}, 'lifecycle'),
    ({'use_sim_time': 'perhaps'}, 'use_sim_time'),
    ({'namespace': '1robot'}, 'not a valid ROS namespace'),
    ({'namespace': 'a b'}, 'not a valid ROS namespace'),
    ({'image': ''}, 'is not a topic name'),
    ({'params_file': '/no/such/file.yaml'}, 'no such file'),
    ({'log_level': 'loud'}, 'log_level'),
    ({'fastdds_profiles_file': '/no/such.xml'}, 'fastdds_profiles_file'),
])
def test_bad_arguments_are_named(arguments, problem):
    with pytest.raises(ConfigError, match=problem):
        launch_config.node_settings(arguments)


@pytest.mark.parametrize('name, meant', [('imgae', 'image'), ('namespce', 'namespace'),
                                         ('param_file', 'params_file'),
                                         ('use_simtime', 'use_sim_time'),
                                         ('loglevel', 'log_level')])
def test_a_misspelt_argument_stops_the_launch_with_a_suggestion(name, meant):
    """ros2 launch passes imgae:=/front/image on silently: the node would use the default."""
    with pytest.raises(ConfigError) as raised:
        launch_config.node_settings({'image': '/camera/image_raw', name: '/front/image'})
    assert f'has no argument {name}' in str(raised.value)
    assert f'did you mean {meant}:=?' in str(raised.value)


def test_other_unknown_names_are_warned_about_and_ignored():
    """An including launch file's own configurations are visible too: not an error."""
    # (camera:= would now be taken for a misspelt cameras:=)
    launch = launch_config.node_settings({'image': '/front/image', 'robot_namespace': 'r1',
                                          'camera_info': 'front'})
    assert launch.node['remappings'][0] == ('image', '/front/image')
    assert len(launch.warnings) == 2
    camera, robot = launch.warnings
    assert camera.startswith("ignoring camera_info:='front': not an argument of "
                             'segmentation.launch.py; did you mean depth_camera_info:=? (its '
                             'arguments: image, images, cameras, depth, depth_camera_info, '
                             'depth_images, lifecycle, params_file')
    assert "ignoring robot_namespace:='r1'" in robot and 'did you mean namespace:=?' in robot


def test_config_file_sets_every_parameter_with_valid_values():
    data = yaml.safe_load(CONFIG_FILE.read_text())
    values = data['/**']['ros__parameters']
    assert set(values) == set(node_parameters.BY_NAME)
    for name, value in values.items():
        assert value == node_parameters.BY_NAME[name].default, name
    assert node_parameters.validate_changes(values) is None


@pytest.fixture
def indexed_package(tmp_path, monkeypatch):
    """Put this package in an ament index, as colcon installs it."""
    prefix = ament_prefix(tmp_path / 'install', ['person_segmentation'])
    prepend_ament_prefix(monkeypatch, prefix)
    return prefix


def test_launch_description_declares_and_starts_one_node(indexed_package, monkeypatch):
    require_launch()
    from launch import LaunchContext
    from launch.actions import DeclareLaunchArgument, OpaqueFunction
    from launch.utilities import perform_substitutions
    from launch_ros.actions import Node

    for name in ('FASTDDS_DEFAULT_PROFILES_FILE', 'FASTDDS_BUILTIN_TRANSPORTS',
                 'RCUTILS_COLORIZED_OUTPUT'):
        monkeypatch.delenv(name, raising=False)

    description = load_launch_file('segmentation.launch.py').generate_launch_description()
    declared = [a for a in description.entities if isinstance(a, DeclareLaunchArgument)]
    assert [a.name for a in declared] == [a.name for a in launch_config.LAUNCH_ARGUMENTS]
    (opaque,) = [e for e in description.entities if isinstance(e, OpaqueFunction)]
    context = LaunchContext()
    for action in declared:
        action.visit(context)
    context.launch_configurations['image'] = '/front/image'
    (node,) = opaque.execute(context)
    assert isinstance(node, Node)
    env = {perform_substitutions(context, name): perform_substitutions(context, value)
           for name, value in node.additional_env}
    assert env == {'FASTDDS_DEFAULT_PROFILES_FILE': package_config(FASTDDS_PROFILE_FILE).path,
                   'RCUTILS_COLORIZED_OUTPUT': '0'}  # pytest's stdout is no terminal
    context.launch_configurations['imgae'] = '/front/image'
    with pytest.raises(ConfigError, match='did you mean image:='):
        opaque.execute(context)


def test_launch_stops_before_starting_when_the_package_is_not_installed(tmp_path, monkeypatch):
    """Without the package in the ament index, launch_ros would fail only when starting it."""
    require_launch()
    from launch import LaunchContext
    from launch.actions import OpaqueFunction

    monkeypatch.setenv('AMENT_PREFIX_PATH', str(ament_prefix(tmp_path / 'empty', [])))
    description = load_launch_file('segmentation.launch.py').generate_launch_description()
    (opaque,) = [e for e in description.entities if isinstance(e, OpaqueFunction)]
    with pytest.raises(ConfigError, match='needs the ROS package person_segmentation.*colcon'):
        opaque.execute(LaunchContext())
