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
rqt_image_view. The launch ends when ``ros2 bag play`` ends (exit status 1 when play, the node
or the recorder failed). All decisions live in person_segmentation.launch_support.bag_replay
(unit tested without launch); this file only turns them into launch actions.
"""

from launch import LaunchDescription
from launch.actions import (DeclareLaunchArgument, ExecuteProcess, LogInfo, OpaqueFunction,
                            RegisterEventHandler, Shutdown)
from launch.event_handlers import OnProcessExit
from launch.logging import get_logger
from launch_ros.actions import Node

from person_segmentation import names
from person_segmentation.launch_support import bag_replay


class ReplayFailed(RuntimeError):
    """Raised from an event handler: launch then logs it, stops everything and exits 1."""


def _on_exit(process):
    def handle(event, context):
        if context.is_shutdown:  # Ctrl-C or an earlier ending stops everything anyway
            return None
        ending = bag_replay.ending(process, event.returncode)
        if ending is None:
            return None
        if ending.failed:
            raise ReplayFailed(ending.message)
        return [LogInfo(msg=ending.message), Shutdown(reason=ending.message)]
    return handle


def _actions(context):
    config = bag_replay.BagReplayConfig.from_configurations(context.launch_configurations)
    config.check_packages()  # before anything starts: a missing package leaves no orphan
    logger = get_logger('bag_replay.launch.py')
    for line in config.notes:
        logger.info(line)
    for line in config.warnings:
        logger.warning(line)
    env = config.process_env() or None  # the Fast DDS profile and plain log lines
    log_env = config.log_env or None
    processes = {
        bag_replay.PLAY_PROCESS: ExecuteProcess(
            cmd=config.play_command(), name=bag_replay.PLAY_PROCESS, output='screen',
            additional_env=env),
        names.NODE_EXECUTABLE: Node(
            package=names.PACKAGE, executable=names.NODE_EXECUTABLE, name=names.NODE_NAME,
            output='screen', additional_env=env, parameters=config.node_parameters(),
            remappings=config.node_remappings()),
    }
    if config.record:
        processes[bag_replay.RECORD_PROCESS] = ExecuteProcess(
            cmd=config.record_command(), name=bag_replay.RECORD_PROCESS, output='screen',
            additional_env=log_env)
    if config.viewer:
        processes[bag_replay.VIEWER_PROCESS] = Node(
            package=bag_replay.VIEWER_PACKAGE, executable=bag_replay.VIEWER_EXECUTABLE,
            name=bag_replay.VIEWER_PROCESS, arguments=config.viewer_arguments(),
            parameters=[{'use_sim_time': True}], additional_env=log_env)
    handlers = [RegisterEventHandler(OnProcessExit(target_action=process,
                                                   on_exit=_on_exit(label)))
                for label, process in processes.items()]
    return handlers + list(processes.values())


def generate_launch_description():
    """Declare the replay arguments; the actions are built once their values are known."""
    declared = [DeclareLaunchArgument(argument.name, description=argument.description)
                if argument.default is None else
                DeclareLaunchArgument(argument.name, default_value=argument.default,
                                      description=argument.description)
                for argument in bag_replay.ARGUMENTS]
    return LaunchDescription(declared + [OpaqueFunction(function=_actions)])
