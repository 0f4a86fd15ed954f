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
The names the package is known by on a ROS system, defined once.

The node, the launch files, the replay tool and the tests all refer to the node and its files by
these names; a rename here is a rename everywhere. Standard library only: the launch files import
this under the system Python.
"""

#: ROS package (and Python package) name
PACKAGE = 'person_segmentation'
#: default name of the node (``ros2 run`` / ``ros2 launch`` may remap it)
NODE_NAME = 'person_segmentation'
#: console script that runs the node (``ros2 run person_segmentation person_segmentation_node``)
NODE_EXECUTABLE = 'person_segmentation_node'
#: the node's default parameter file, in the package's share/config directory
PARAMS_FILE = 'person_segmentation.yaml'
#: Fast DDS profile with a shared-memory segment large enough for camera images
FASTDDS_PROFILE_FILE = 'fastdds_large_images.xml'

# The node's outputs, each published as ``~/<name>`` (in the node's private namespace, so a
# namespace or a node-name remap moves them all). Every module that subscribes to, records or
# publishes them uses these names.
MASK = 'mask'  # sensor_msgs/Image mono8
OVERLAY = 'overlay'  # sensor_msgs/Image bgr8
PROBABILITY = 'probability'  # sensor_msgs/Image mono8 or 32FC1
PERSON_DETECTED = 'person_detected'  # std_msgs/Bool
PERSONS = 'persons'  # vision_msgs/Detection2DArray (where vision_msgs is installed)
PARTS = 'parts'  # sensor_msgs/Image mono8 body-part labels (BodyPix; while subscribed)
OUTPUTS = (MASK, OVERLAY, PROBABILITY, PERSON_DETECTED, PERSONS, PARTS)
