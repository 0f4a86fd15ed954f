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
Launch arguments -> node settings (remappings, parameters, namespace, environment).

launch and launch_ros are not installable everywhere this package is tested, so the logic of
launch/segmentation.launch.py lives here, free of launch and rclpy, and is unit tested; the
launch file only hands its launch configurations to ``node_settings`` and starts the Node.
"""

import os
from typing import Dict, List, Mapping, NamedTuple, Optional, Tuple

from person_segmentation import names
from person_segmentation.launch_support import fastdds
from person_segmentation.launch_support.arguments import (check_names, ConfigError,
                                                          LaunchArgument, parse_bool,
                                                          parse_list)
from person_segmentation.launch_support.config_files import chosen_config, require_node_package
from person_segmentation.launch_support.log_colours import plain_log_env
from person_segmentation.media.bag_topics import camera_info_topic

LAUNCH_FILE = 'segmentation.launch.py'

LAUNCH_ARGUMENTS: Tuple[LaunchArgument, ...] = (
    LaunchArgument('image', '/camera/image_raw',
                   'Camera image topic (sensor_msgs/Image); <image>/compressed is used when '
                   'the params file sets input_compressed: true.'),
    LaunchArgument('images', '',
                   'Image topics of several cameras served by one node with one model, e.g. '
                   '[/front/image_raw, /rear/image_raw] (a topic ending in /compressed is a '
                   'CompressedImage one); camera i publishes under ~/camera_<i>/. Empty: the '
                   'one camera of image:=.'),
    LaunchArgument('cameras', '',
                   'Names of the cameras in images, e.g. [front, rear]: camera i then publishes '
                   'under ~/<name>/; empty: camera_0, camera_1, ...'),
    LaunchArgument('depth', '',
                   'Aligned depth image topic of the camera (16UC1 millimetres or 32FC1 metres, '
                   "the colour image's size), e.g. /camera/camera/aligned_depth_to_color/"
                   'image_raw: the node then also publishes ~/nearest_person and '
                   '~/persons_cloud. Empty: no depth.'),
    LaunchArgument('depth_camera_info', '',
                   'camera_info topic of the depth image; empty: the one beside it '
                   '(.../image_raw -> .../camera_info).'),
    LaunchArgument('depth_images', '',
                   'With images: the aligned depth topic of each camera, in the same order '
                   '(none for a camera without depth), e.g. [/front/aligned_depth_to_color/'
                   "image_raw, none]; each one's camera_info is the one beside it."),
    LaunchArgument('lifecycle', '',
                   'true: a managed (lifecycle) node, unconfigured until a lifecycle manager or '
                   'ros2 lifecycle set configures and activates it; false: a plain node; empty: '
                   "the params file's (plain by default)."),
    LaunchArgument('params_file', '',
                   f"Parameters YAML file; empty: the package's config/{names.PARAMS_FILE}."),
    LaunchArgument('namespace', '', 'Namespace of the node (and so of its outputs).'),
    LaunchArgument('use_sim_time', 'false', 'Use /clock (true when replaying a bag).'),
    LaunchArgument('log_level', 'info', 'Node log level: debug, info, warn, error.'),
    LaunchArgument('fastdds_profiles_file', '',
                   'Fast DDS XML profile for the node (FASTDDS_DEFAULT_PROFILES_FILE); empty: '
                   f"the package's config/{names.FASTDDS_PROFILE_FILE}, whose larger "
                   'shared-memory segment carries large images (~/overlay) without lost '
                   'fragments (docs/node.md), unless the environment sets '
                   f'{" or ".join(fastdds.USER_SETTINGS)} or fastdds_transports is given; '
                   f"'{fastdds.NONE}': leave the environment unchanged."),
    LaunchArgument('fastdds_transports', '',
                   'If set (e.g. LARGE_DATA), FASTDDS_BUILTIN_TRANSPORTS for the node, instead '
                   'of the profile. Only helps when the camera process uses the same value; '
                   'empty: leave the environment unchanged.'),
)


def normalize_namespace(namespace: str) -> str:
    """'' or '/' -> ''; 'robot1' or '/robot1/' -> '/robot1'; invalid names raise ConfigError."""
    text = str(namespace).strip().strip('/')
    if not text:
        return ''
    for part in text.split('/'):
        if not part or not (part[0].isalpha() or part[0] == '_') or not all(
                c.isalnum() or c == '_' for c in part):
            raise ConfigError(f'launch argument namespace:={namespace!r} is not a valid ROS '
                              'namespace (letters, digits and _, parts separated by /)')
    return '/' + text


def image_remappings(image_topic: str) -> List[Tuple[str, str]]:
    """Remap the node's ``image`` and ``image/compressed`` inputs to the camera topic."""
    topic = str(image_topic).strip()
    if not topic or any(c.isspace() for c in topic):
        raise ConfigError(f'launch argument image:={image_topic!r} is not a topic name')
    topic = topic.rstrip('/') or topic
    return [('image', topic), ('image/compressed', topic + '/compressed')]


def depth_settings(depth: str, depth_camera_info: str, depth_images: str,
                   images: List[str]) -> Tuple[List[Tuple[str, str]], Dict[str, object]]:
    """
    Return the remappings and parameters of the depth arguments: ([], {}) without depth.

    ``depth``: the one camera's depth topic (remapped to the node's depth input, with
    ``depth_camera_info`` or the camera_info beside it; ``use_depth``). ``depth_images``: one
    per image topic of ``images`` (``none`` for a camera without), the node's depth_images.
    """
    depth, info = str(depth).strip(), str(depth_camera_info).strip()
    listed = parse_list('depth_images', depth_images)
    if info and not depth:
        raise ConfigError('launch argument depth_camera_info:= needs depth:=')
    if depth:
        if images:
            raise ConfigError('depth:= is for the one camera of image:=; with images:= give '
                              'depth_images:=[...] (one per camera)')
        if any(c.isspace() for c in depth + info):
            raise ConfigError(f'launch argument depth:={depth!r} is not a topic name')
        return ([(names.DEPTH_INPUT, depth),
                 (names.DEPTH_INFO_INPUT, info or camera_info_topic(depth))],
                {'use_depth': True})
    if not listed:
        return [], {}
    if len(listed) != len(images):
        raise ConfigError(f'launch argument depth_images:={depth_images!r} must give each of '
                          f'the {len(images)} images:= its depth topic (none for none)')
    return [], {'depth_images': ['' if item == 'none' else item for item in listed]}


def camera_parameters(images: str, cameras: str) -> Dict[str, List[str]]:
    """Return the node's ``images`` and ``cameras`` parameters (none where not given)."""
    topics, names_ = parse_list('images', images), parse_list('cameras', cameras)
    if names_ and len(names_) != len(topics):
        raise ConfigError(f'launch argument cameras:={cameras!r} must name each of the '
                          f'{len(topics)} images')
    found = {}
    if topics:
        found['images'] = topics
    if names_:
        found['cameras'] = names_
    return found


class SegmentationLaunch(NamedTuple):
    """What segmentation.launch.py starts, and what it says first."""

    #: keyword arguments of launch_ros.actions.Node
    node: Dict[str, object]
    #: the files used (one line each), for the launch's log
    notes: Tuple[str, ...]
    #: launch configurations that are not arguments of this file, ignored
    warnings: Tuple[str, ...]


def node_settings(configurations: Mapping[str, str],
                  environ: Optional[Mapping[str, str]] = None,
                  output_is_terminal: Optional[bool] = None) -> SegmentationLaunch:
    """
    Everything the launch file passes to launch_ros.actions.Node, from its configurations.

    ``configurations`` are all the launch configurations the file sees (a misspelt argument
    raises, see arguments.check_names); ``environ`` is the launch's environment (default
    os.environ) and ``output_is_terminal`` whether the launch writes to a terminal (default:
    its stdout's). The node gets namespace, remappings, parameters (the params file, then
    {'use_sim_time': bool} with ``images``, ``cameras`` and ``lifecycle`` where those
    arguments are given, ``use_depth`` or ``depth_images`` with the depth arguments),
    ros_arguments (the log level) and additional_env (None when nothing is set). Raises
    ConfigError (a ValueError) naming a bad argument.
    """
    environ = os.environ if environ is None else environ
    warnings = check_names(configurations, LAUNCH_ARGUMENTS, LAUNCH_FILE)
    values = {arg.name: str(configurations.get(arg.name, arg.default))
              for arg in LAUNCH_ARGUMENTS}
    params_file = chosen_config('params_file', values['params_file'], names.PARAMS_FILE)
    log_level = values['log_level'].strip().lower()
    if log_level not in ('debug', 'info', 'warn', 'error', 'fatal'):
        raise ConfigError(f'launch argument log_level:={values["log_level"]!r} must be debug, '
                          'info, warn, error or fatal')
    env: Dict[str, str] = {}
    transports = values['fastdds_transports'].strip()
    if transports:
        env[fastdds.TRANSPORTS_VARIABLE] = transports
    profile = fastdds.choose_profile({**environ, **env}, 'fastdds_profiles_file',
                                     values['fastdds_profiles_file'])
    env.update(profile.env)
    env.update(plain_log_env(environ, output_is_terminal))
    notes = [f'node parameters: {params_file}',
             f'Fast DDS profile of the node: {profile.description}']
    overrides = {'use_sim_time': parse_bool('use_sim_time', values['use_sim_time'])}
    overrides.update(camera_parameters(values['images'], values['cameras']))
    depth_remappings, depth_parameters = depth_settings(
        values['depth'], values['depth_camera_info'], values['depth_images'],
        overrides.get('images', []))
    overrides.update(depth_parameters)
    if values['lifecycle'].strip():
        overrides['lifecycle'] = parse_bool('lifecycle', values['lifecycle'])
    node = {
        'package': names.PACKAGE,
        'executable': names.NODE_EXECUTABLE,
        'name': names.NODE_NAME,
        'namespace': normalize_namespace(values['namespace']),
        'remappings': image_remappings(values['image']) + depth_remappings,
        'parameters': [params_file.path, overrides],
        'ros_arguments': ['--log-level', log_level],
        'additional_env': env or None,
    }
    return SegmentationLaunch(node, tuple(notes), tuple(warnings))


def check_packages() -> None:
    """Raise ConfigError unless the node's package is installed where launch_ros finds it."""
    require_node_package(LAUNCH_FILE)
