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
Which rosbag2 format each ROS 2 distribution reads, and how a bag is made one Humble reads.

Jazzy and Kilted read (and write) metadata version 9. Humble (Ubuntu 22.04, JetPack 6) cannot:
version 9 stores each topic's ``offered_qos_profiles`` as a YAML list of profiles with named
policies (``reliability: reliable``), while Humble reads that key as a string holding a YAML
list with the policies as rmw enum integers. The ``rosbags`` library writes versions 8 and 9
only; its version 8 already stores the QoS string Humble reads, in metadata.yaml and inside the
storage file (the sqlite3 ``topics`` table, the MCAP channel metadata). ``humble_metadata``
then rewrites metadata.yaml into version 5, exactly the keys Humble's own ``ros2 bag record``
writes, so no Humble tool meets a key or version it does not know.

Source of Humble's rules: ros2/rosbag2, branch humble at commit
d256a5bad515cae54c5274edf1a870e3ee8668b2 (0.15.12),
rosbag2_storage/src/rosbag2_storage/metadata_io.cpp (``convert<BagMetadata>``: what is read,
per version) and rosbag2_transport/src/rosbag2_transport/qos.cpp (``convert<Rosbag2QoS>``: the
QoS string). Humble's ``rosbag2`` package depends on the sqlite3 storage only; MCAP needs the
extra package ros-humble-rosbag2-storage-mcap, so sqlite3 is the default for Humble bags.
test/rosbag2_humble_rules.py checks written bags against those rules.
"""

from typing import NamedTuple

from person_segmentation.media.bag_storage import MCAP, SQLITE3

ROS_DISTROS = ('humble', 'jazzy', 'kilted')
DEFAULT_ROS_DISTRO = 'jazzy'


class BagFormat(NamedTuple):
    """How bags for one ROS 2 distribution are written."""

    #: metadata version rosbags writes (8 or 9)
    rosbags_version: int
    #: metadata version of the finished bag's metadata.yaml
    metadata_version: int
    #: storage plugin used unless one is asked for
    default_storage: str
    #: printed when an MCAP bag is asked for and the distribution's rosbag2 lacks MCAP
    mcap_note: str = ''


FORMATS = {
    'humble': BagFormat(8, 5, SQLITE3, 'Humble reads MCAP bags only with '
                        'ros-humble-rosbag2-storage-mcap installed'),
    'jazzy': BagFormat(9, 9, MCAP),
    'kilted': BagFormat(9, 9, MCAP),
}

# Keys Humble's metadata_io.cpp reads (and its recorder writes) at version 5; the same for a
# topic's topic_metadata. Version 8 adds custom_data, ros_distro and type_description_hash.
_HUMBLE_KEYS = ('version', 'storage_identifier', 'duration', 'starting_time', 'message_count',
                'topics_with_message_count', 'compression_format', 'compression_mode',
                'relative_file_paths', 'files')
_HUMBLE_TOPIC_KEYS = ('name', 'type', 'serialization_format', 'offered_qos_profiles')


def bag_format(ros_distro: str) -> BagFormat:
    """Return the format for ``ros_distro``; ValueError naming the choices for another."""
    if ros_distro not in FORMATS:
        raise ValueError(f'unknown ROS 2 distribution {ros_distro!r}; choose one of '
                         f'{", ".join(ROS_DISTROS)}')
    return FORMATS[ros_distro]


def humble_metadata(info: dict) -> dict:
    """
    Return rosbag2_bagfile_information as Humble writes it, from rosbags' version 8.

    Only keys are dropped and the version number changed: the values (QoS strings included)
    are already in the form Humble reads.
    """
    if info.get('version') != 8:
        raise ValueError(f'expected rosbag2 metadata version 8, got {info.get("version")!r}')
    humble = {key: info[key] for key in _HUMBLE_KEYS}
    humble['version'] = FORMATS['humble'].metadata_version
    humble['topics_with_message_count'] = [
        {'topic_metadata': {key: topic['topic_metadata'][key] for key in _HUMBLE_TOPIC_KEYS},
         'message_count': topic['message_count']}
        for topic in info['topics_with_message_count']]
    return humble
