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
Launch the person segmentation node on a live camera.

    ros2 launch person_segmentation segmentation.launch.py image:=/camera/image_raw

The argument handling lives in person_segmentation.launch_support.segmentation (unit tested
without launch); this file only declares the arguments and starts the node once they are known.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.logging import get_logger
from launch_ros.actions import Node

from person_segmentation.launch_support import segmentation


def _launch_node(context):
    settings = segmentation.node_settings(context.launch_configurations)
    segmentation.check_packages()  # launch_ros would only find a missing package at start
    logger = get_logger(segmentation.LAUNCH_FILE)
    for line in settings.notes:
        logger.info(line)
    for line in settings.warnings:
        logger.warning(line)
    return [Node(output='screen', emulate_tty=True, **settings.node)]


def generate_launch_description():
    """Declare the arguments; create the node once they are known."""
    return LaunchDescription(
        [DeclareLaunchArgument(arg.name, default_value=arg.default, description=arg.description)
         for arg in segmentation.LAUNCH_ARGUMENTS]
        + [OpaqueFunction(function=_launch_node)])
