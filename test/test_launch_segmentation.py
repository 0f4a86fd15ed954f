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
file itself is loaded when launch is importable.
"""

import importlib.util
import pathlib

from person_segmentation.launch_support import segmentation as launch_config
from person_segmentation.node import parameters as node_parameters
import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
LAUNCH_FILE = REPO / 'launch' / 'segmentation.launch.py'
CONFIG_FILE = REPO / 'config' / 'person_segmentation.yaml'


def test_defaults_use_the_package_config_and_camera_topic():
    settings = launch_config.node_settings({})
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
    assert settings['additional_env'] == {}


def test_arguments_map_to_remaps_namespace_sim_time_and_env(tmp_path):
    params = tmp_path / 'mine.yaml'
    params.write_text('/**:\n  ros__parameters:\n    threshold: 0.6\n')
    profile = tmp_path / 'fastdds.xml'
    profile.write_text('<dds/>')
    settings = launch_config.node_settings({
        'image': '/front/color/image_raw/', 'params_file': str(params),
        'namespace': 'robot1/', 'use_sim_time': 'True', 'log_level': 'DEBUG',
        'fastdds_transports': 'LARGE_DATA', 'fastdds_profiles_file': str(profile)})
    assert settings['remappings'] == [('image', '/front/color/image_raw'),
                                      ('image/compressed', '/front/color/image_raw/compressed')]
    assert settings['namespace'] == '/robot1'
    assert settings['parameters'] == [str(params), {'use_sim_time': True}]
    assert settings['ros_arguments'] == ['--log-level', 'debug']
    assert settings['additional_env'] == {'FASTDDS_BUILTIN_TRANSPORTS': 'LARGE_DATA',
                                          'FASTDDS_DEFAULT_PROFILES_FILE': str(profile)}


@pytest.mark.parametrize('arguments, problem', [
    ({'use_sim_time': 'perhaps'}, 'use_sim_time'),
    ({'namespace': '1robot'}, 'not a valid ROS namespace'),
    ({'namespace': 'a b'}, 'not a valid ROS namespace'),
    ({'image': ''}, 'is not a topic name'),
    ({'params_file': '/no/such/file.yaml'}, 'no such file'),
    ({'log_level': 'loud'}, 'log_level'),
    ({'fastdds_profiles_file': '/no/such.xml'}, 'fastdds_profiles_file'),
    ({'imgae': '/camera'}, 'unknown launch arguments: imgae'),
])
def test_bad_arguments_are_named(arguments, problem):
    with pytest.raises(ValueError, match=problem):
        launch_config.node_settings(arguments)


def test_config_file_sets_every_parameter_with_valid_values():
    data = yaml.safe_load(CONFIG_FILE.read_text())
    values = data['/**']['ros__parameters']
    assert set(values) == set(node_parameters.BY_NAME)
    for name, value in values.items():
        assert value == node_parameters.BY_NAME[name].default, name
    assert node_parameters.validate_changes(values, {}) is None


def test_launch_description_loads():
    if importlib.util.find_spec('launch') is None or \
            importlib.util.find_spec('launch_ros') is None:
        pytest.skip('launch / launch_ros are not installed here (not on PyPI); the argument '
                    'logic is tested through person_segmentation.launch_support.segmentation')
    from launch import LaunchContext
    from launch.actions import DeclareLaunchArgument
    spec = importlib.util.spec_from_file_location('segmentation_launch', LAUNCH_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description = module.generate_launch_description()
    declared = {a.name for a in description.entities if isinstance(a, DeclareLaunchArgument)}
    assert declared == {a.name for a in launch_config.LAUNCH_ARGUMENTS}
    context = LaunchContext()
    for action in description.entities:
        if isinstance(action, DeclareLaunchArgument):
            action.visit(context)
    context.launch_configurations['image'] = '/camera/image_raw'
    nodes = module._launch_node(context)
    assert len(nodes) == 1
