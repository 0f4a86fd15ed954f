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
Replay a recorded bag through the person segmentation node on a ROS 2 install.

``ros2 launch person_segmentation bag_replay.launch.py bag:=BAG`` plays the bag with
``--clock``, remaps its image topic to the node's input, runs the node on the bag's (sim)
time and, on request, records the node's outputs into a new bag and shows the overlay in
rqt_image_view. All decisions live in person_segmentation.launch_support.bag_replay (unit tested
without launch); this file only turns them into launch actions.
"""

import os

from ament_index_python.packages import get_package_share_directory, PackageNotFoundError
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, ExecuteProcess, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from person_segmentation import names
from person_segmentation.launch_support import bag_replay


def _installed_config(name):
    try:
        share = get_package_share_directory(names.PACKAGE)
    except PackageNotFoundError:
        return None
    path = os.path.join(share, 'config', name)
    return path if os.path.isfile(path) else None


def _actions(context):
    values = {argument.name: LaunchConfiguration(argument.name).perform(context)
              for argument in bag_replay.ARGUMENTS}
    config = bag_replay.BagReplayConfig.from_arguments(
        values, _installed_config(names.PARAMS_FILE),
        _installed_config(names.FASTDDS_PROFILE_FILE))
    env = config.process_env()
    actions = [
        ExecuteProcess(cmd=config.play_command(), name='bag_play', output='screen',
                       additional_env=env),
        Node(package=names.PACKAGE, executable=names.NODE_EXECUTABLE, name=names.NODE_NAME,
             output='screen', additional_env=env,
             parameters=config.node_parameters(), remappings=config.node_remappings()),
    ]
    if config.record:
        actions.append(ExecuteProcess(cmd=config.record_command(), name='bag_record',
                                      output='screen'))
    if config.viewer:
        actions.append(Node(package=bag_replay.VIEWER_PACKAGE,
                            executable=bag_replay.VIEWER_EXECUTABLE,
                            name='overlay_viewer', arguments=config.viewer_arguments(),
                            parameters=[{'use_sim_time': True}]))
    return actions


def generate_launch_description():
    """Declare the replay arguments; the actions are built once their values are known."""
    declared = [DeclareLaunchArgument(argument.name, description=argument.description)
                if argument.default is None else
                DeclareLaunchArgument(argument.name, default_value=argument.default,
                                      description=argument.description)
                for argument in bag_replay.ARGUMENTS]
    return LaunchDescription(declared + [OpaqueFunction(function=_actions)])
