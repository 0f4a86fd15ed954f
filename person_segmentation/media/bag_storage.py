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
rosbag2 storage plugins by name and file suffix, and how a bag on disk is recognised, once.

video_to_bag and replay write bags, replay and the demo read them, and bag_replay.launch.py
checks that the storage plugin of the bag it plays is installed: all name the storages as
rosbag2 does and tell a bag by the same rule. bag_replay.launch.py runs under the system Python
of ``ros2 launch``, so this module uses only the standard library and PyYAML.
"""

import pathlib

MCAP = 'mcap'
SQLITE3 = 'sqlite3'
#: rosbag2 storage identifier -> suffix of its data files
SUFFIXES = {MCAP: '.mcap', SQLITE3: '.db3'}
STORAGES = tuple(SUFFIXES)
#: what a bag folder holds besides its data files
METADATA_FILE = 'metadata.yaml'


def is_bag(path) -> bool:
    """Whether ``path`` is a rosbag2 bag: a folder with metadata.yaml, or a .mcap/.db3 file."""
    path = pathlib.Path(path)
    if path.is_dir():
        return (path / METADATA_FILE).is_file()
    return path.suffix in SUFFIXES.values()


def read_metadata(bag) -> dict:
    """
    Return ``rosbag2_bagfile_information`` from a bag folder's metadata.yaml.

    Raises OSError (no such file), yaml.YAMLError, KeyError or TypeError (not a bag's metadata).
    """
    import yaml  # PyYAML ships with every ROS 2 install

    info = yaml.safe_load((pathlib.Path(bag) / METADATA_FILE).read_text())
    return info['rosbag2_bagfile_information']


def storage_of(bag) -> str:
    """Storage plugin of a bag (from its metadata.yaml, or a file's suffix); '' if unknown."""
    bag = pathlib.Path(bag)
    if bag.is_file():
        return next((storage for storage, suffix in SUFFIXES.items() if bag.suffix == suffix),
                    '')
    import yaml

    try:
        return str(read_metadata(bag)['storage_identifier'])
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return ''
