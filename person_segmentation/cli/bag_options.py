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
Options both bag-writing tools share: the ROS 2 distribution that must read the bag, storage.

The storage defaults to the one that distribution's rosbag2 reads without extra packages.
"""

import argparse
import sys

from person_segmentation.media.bag_formats import bag_format, DEFAULT_ROS_DISTRO, ROS_DISTROS
from person_segmentation.media.bag_storage import MCAP, STORAGES


def add_bag_options(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--ros-distro`` and ``--storage`` for the bag ``what`` names."""
    parser.add_argument('--ros-distro', choices=ROS_DISTROS, default=DEFAULT_ROS_DISTRO,
                        help=f'oldest ROS 2 distribution that must read {what}: humble '
                             '(rosbag2 metadata version 5), jazzy or kilted (version 9, '
                             f'which Humble cannot read); default {DEFAULT_ROS_DISTRO}')
    parser.add_argument('--storage', choices=STORAGES, default=None,
                        help=f'storage of {what} (default: sqlite3 for humble, whose rosbag2 '
                             'has no MCAP without an extra package; mcap otherwise)')


def bag_storage(args: argparse.Namespace, prog: str) -> str:
    """Return the storage to write (``--storage``, else the distribution's); note a Humble MCAP."""
    found = bag_format(args.ros_distro)
    storage = args.storage or found.default_storage
    if storage == MCAP and found.mcap_note:
        print(f'{prog}: note: {found.mcap_note}', file=sys.stderr)
    return storage
