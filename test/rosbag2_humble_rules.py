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
The rules ROS 2 Humble's rosbag2 applies when it opens and plays a bag, as a checker.

Humble (Ubuntu 22.04, JetPack 6) cannot be installed here, so the bags written for it
(``video_to_bag --ros-distro humble``) are checked against these rules, transcribed from
ros2/rosbag2 at the head of its humble branch (commit d256a5bad515cae54c5274edf1a870e3ee8668b2,
release 0.15.12). Written independently of person_segmentation.media.bag_formats, which makes the
bags: this checks what Humble reads, that decides what is written.

- rosbag2_storage/src/rosbag2_storage/metadata_io.cpp, ``convert<BagMetadata>::decode`` and the
  converters it calls: every key below is read with yaml-cpp's ``as<T>()``, which throws (and
  ``ros2 bag info`` / ``play`` fail with "Exception on parsing info file") when a key is missing
  or holds another kind of node. ``offered_qos_profiles`` is read as a *string* (since version
  4); version 9 (Jazzy and later) writes a YAML sequence there, which is why Humble cannot read
  Jazzy bags. There is no upper bound on ``version``; keys Humble does not know are ignored.
- rosbag2_transport/src/rosbag2_transport/qos.cpp, ``convert<Rosbag2QoS>::decode``: the QoS
  string is a YAML list of profiles whose history, reliability, durability and liveliness are
  *integers* (rmw enum values; version 9 writes names such as ``reliable``), depth an integer,
  deadline, lifespan and liveliness_lease_duration ``{sec, nsec}`` and
  avoid_ros_namespace_conventions a boolean; an empty string means the default profile.
- rosbag2_storage_default_plugins/src/rosbag2_storage_default_plugins/sqlite/sqlite_storage.cpp:
  ``SELECT name, type, serialization_format, offered_qos_profiles FROM topics`` and
  ``SELECT data, timestamp, topics.name, messages.id FROM messages JOIN topics ...``.
- rosbag2_storage_mcap/src/mcap_storage.cpp: a channel's ``offered_qos_profiles`` metadata entry
  is the same QoS string. MCAP storage is a separate package on Humble
  (ros-humble-rosbag2-storage-mcap); the ``rosbag2`` package depends only on sqlite3.
"""

import pathlib
import sqlite3
import struct
from typing import Any, List

import yaml

HUMBLE_STORAGES = ('sqlite3', 'mcap')


def _is_uint64(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2 ** 64


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_scalar(value) -> bool:
    """yaml-cpp's as<std::string>() takes any scalar, never a sequence, mapping or null."""
    return isinstance(value, (str, int, float, bool))


def _duration_problems(node, where: str, key: str) -> List[str]:
    if not isinstance(node, dict) or not _is_uint64(node.get(key)):
        return [f'{where}: needs {{{key}: unsigned integer}}, has {node!r}']
    return []


def qos_problems(text, where: str) -> List[str]:
    """Problems Humble's Rosbag2QoS decoder (qos.cpp) has with an offered_qos_profiles string."""
    if not isinstance(text, str):
        return [f'{where}: offered_qos_profiles must be a string, is {type(text).__name__}']
    if text == '':
        return []
    try:
        profiles = yaml.safe_load(text)
    except yaml.YAMLError as error:
        return [f'{where}: offered_qos_profiles is not YAML: {error}']
    if not isinstance(profiles, list):
        return [f'{where}: offered_qos_profiles must be a YAML list of profiles']
    problems = []
    for index, profile in enumerate(profiles):
        at = f'{where} profile {index}'
        if not isinstance(profile, dict):
            problems.append(f'{at}: not a mapping')
            continue
        for key in ('history', 'depth', 'reliability', 'durability', 'liveliness'):
            if not _is_int(profile.get(key)):
                problems.append(f'{at}: {key} must be an integer (rmw enum), is '
                                f'{profile.get(key)!r}')
        for key in ('deadline', 'lifespan', 'liveliness_lease_duration'):
            value = profile.get(key)
            if not (isinstance(value, dict) and _is_uint64(value.get('sec'))
                    and _is_uint64(value.get('nsec'))):
                problems.append(f'{at}: {key} must be {{sec, nsec}}, is {value!r}')
        if not isinstance(profile.get('avoid_ros_namespace_conventions'), bool):
            problems.append(f'{at}: avoid_ros_namespace_conventions must be a boolean')
    return problems


def _sequence(info: dict, key: str, problems: List[str]) -> list:
    """Return ``info[key]`` if it is a sequence; else note the problem and return []."""
    value = info.get(key)
    if isinstance(value, list):
        return value
    problems.append(f'{key} must be a sequence')
    return []


def metadata_problems(info: Any) -> List[str]:
    """Problems Humble's metadata_io.cpp decoder has with rosbag2_bagfile_information."""
    if not isinstance(info, dict):
        return ['rosbag2_bagfile_information is missing or not a mapping']
    problems = []
    version = info.get('version')
    if not _is_int(version):
        return [f'version must be an integer, is {version!r}']
    if not _is_scalar(info.get('storage_identifier')):
        problems.append('storage_identifier must be a string')
    problems += _duration_problems(info.get('duration'), 'duration', 'nanoseconds')
    problems += _duration_problems(info.get('starting_time'), 'starting_time',
                                   'nanoseconds_since_epoch')
    if not _is_uint64(info.get('message_count')):
        problems.append('message_count must be an unsigned integer')
    for index, topic in enumerate(_sequence(info, 'topics_with_message_count', problems)):
        where = f'topics_with_message_count[{index}]'
        meta = topic.get('topic_metadata') if isinstance(topic, dict) else None
        if not isinstance(meta, dict):
            problems.append(f'{where}: topic_metadata missing')
            continue
        for key in ('name', 'type', 'serialization_format'):
            if not _is_scalar(meta.get(key)):
                problems.append(f'{where}: topic_metadata.{key} must be a string')
        if version >= 4:
            problems += qos_problems(meta.get('offered_qos_profiles'), where)
        if not _is_uint64(topic.get('message_count')):
            problems.append(f'{where}: message_count must be an unsigned integer')
    paths = info.get('relative_file_paths')
    if not (isinstance(paths, list) and all(_is_scalar(p) for p in paths)):
        problems.append('relative_file_paths must be a sequence of strings')
    if version >= 3:
        for key in ('compression_format', 'compression_mode'):
            if not _is_scalar(info.get(key)):
                problems.append(f'{key} must be a string')
    if version >= 5:
        for index, entry in enumerate(_sequence(info, 'files', problems)):
            where = f'files[{index}]'
            if not isinstance(entry, dict) or not _is_scalar(entry.get('path')):
                problems.append(f'{where}: path must be a string')
                continue
            problems += _duration_problems(entry.get('starting_time'), where,
                                           'nanoseconds_since_epoch')
            problems += _duration_problems(entry.get('duration'), where, 'nanoseconds')
            if not _is_uint64(entry.get('message_count')):
                problems.append(f'{where}: message_count must be an unsigned integer')
    return problems


def _sqlite_problems(path: pathlib.Path) -> List[str]:
    with sqlite3.connect(f'file:{path}?mode=ro', uri=True) as db:
        def columns(table):
            return {row[1] for row in db.execute(f'PRAGMA table_info({table})')}
        problems = []
        if not {'id', 'name', 'type', 'serialization_format',
                'offered_qos_profiles'} <= columns('topics'):
            problems.append(f"{path.name}: topics table lacks Humble's columns")
        if not {'id', 'topic_id', 'timestamp', 'data'} <= columns('messages'):
            problems.append(f"{path.name}: messages table lacks Humble's columns")
        if not problems:
            for name, qos in db.execute('SELECT name, offered_qos_profiles FROM topics'):
                problems += qos_problems(qos, f'{path.name} topic {name}')
    return problems


def _mcap_channel_metadata(path: pathlib.Path) -> List[dict]:
    """
    Metadata maps of the Channel records outside chunks (rosbags repeats them in the summary).

    Hand-written from the MCAP specification (records: opcode u8, length u64, body) to avoid
    a dependency for one test.
    """
    data = path.read_bytes()
    position, found = 8, []
    while position + 9 <= len(data):
        opcode, length = struct.unpack_from('<BQ', data, position)
        body = data[position + 9:position + 9 + length]
        position += 9 + length
        if opcode == 0x02:  # footer
            break
        if opcode != 0x04:  # channel
            continue
        offset = 4  # id, schema_id
        for _ in range(2):  # topic, message_encoding
            (size,) = struct.unpack_from('<I', body, offset)
            offset += 4 + size
        (map_size,) = struct.unpack_from('<I', body, offset)
        offset += 4
        end, entries = offset + map_size, {}
        while offset < end:
            pair = []
            for _ in range(2):
                (size,) = struct.unpack_from('<I', body, offset)
                pair.append(body[offset + 4:offset + 4 + size].decode())
                offset += 4 + size
            entries[pair[0]] = pair[1]
        found.append(entries)
    return found


def bag_problems(bag) -> List[str]:
    """Everything in the bag folder ``bag`` that Humble's rosbag2 would reject; [] when none."""
    bag = pathlib.Path(bag)
    info = (yaml.safe_load((bag / 'metadata.yaml').read_text()) or {}).get(
        'rosbag2_bagfile_information')
    problems = metadata_problems(info)
    if problems:
        return problems
    storage = str(info['storage_identifier'])
    if storage not in HUMBLE_STORAGES:
        return [f'storage_identifier {storage!r}: Humble has sqlite3 and mcap storage only']
    for name in info['relative_file_paths']:
        path = bag / str(name)
        if not path.is_file():
            problems.append(f'{name} listed in relative_file_paths does not exist')
        elif storage == 'sqlite3':
            problems += _sqlite_problems(path)
        else:
            channels = _mcap_channel_metadata(path)
            if not channels:
                problems.append(f'{name}: no channel records found')
            for entries in channels:
                problems += qos_problems(entries.get('offered_qos_profiles', ''), name)
    return problems
