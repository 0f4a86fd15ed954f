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

# The one camera's depth inputs (remappable; the launch files and replay remap them), used
# with the node's use_depth parameter.
DEPTH_INPUT = 'depth/image'  # sensor_msgs/Image aligned to the colour image: 16UC1 or 32FC1
DEPTH_INFO_INPUT = 'depth/camera_info'  # sensor_msgs/CameraInfo of the depth image

# The node's outputs, each published as ``~/<name>`` (in the node's private namespace, so a
# namespace or a node-name remap moves them all). Every module that subscribes to, records or
# publishes them uses these names; a new output added to OUTPUT_TYPES is also subscribed to
# and recorded by ``replay --output-bag`` and recorded by the bag-replay launch.
MASK = 'mask'  # mono8
OVERLAY = 'overlay'  # bgr8
PROBABILITY = 'probability'  # mono8, or 32FC1
PERSON_DETECTED = 'person_detected'
PERSONS = 'persons'  # where vision_msgs is installed
NEAREST_PERSON = 'nearest_person'  # with a depth input
PERSONS_CLOUD = 'persons_cloud'  # with a depth input
PARTS = 'parts'  # mono8 body-part labels (BodyPix models; computed only while subscribed)
#: output name -> its ROS message type (package/msg/Type)
OUTPUT_TYPES = {
    MASK: 'sensor_msgs/msg/Image',
    OVERLAY: 'sensor_msgs/msg/Image',
    PROBABILITY: 'sensor_msgs/msg/Image',
    PERSON_DETECTED: 'std_msgs/msg/Bool',
    PERSONS: 'vision_msgs/msg/Detection2DArray',
    NEAREST_PERSON: 'geometry_msgs/msg/PointStamped',
    PERSONS_CLOUD: 'sensor_msgs/msg/PointCloud2',
    PARTS: 'sensor_msgs/msg/Image',
}
OUTPUTS = tuple(OUTPUT_TYPES)
#: the outputs the node computes only while they have subscribers: a recorder or a replay that
#: subscribes to them without need makes the node pay for them
ON_DEMAND = (OVERLAY, PARTS)
