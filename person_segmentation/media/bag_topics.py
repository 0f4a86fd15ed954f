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
Which image topic of a bag to replay when the user names none: one rule for every tool.

``replay`` reads bags through rosbags, while ``bag_replay.launch.py`` runs under the system Python
of ``ros2 launch`` and can only read the bag's metadata.yaml; both call ``choose_image_topic``
so that the same bag always gives the same topic. Standard library and PyYAML only.
"""

import pathlib
from typing import Iterable, List, NamedTuple, Tuple

from person_segmentation.media.bag_storage import METADATA_FILE, read_metadata

IMAGE_TYPE = 'sensor_msgs/msg/Image'
COMPRESSED_IMAGE_TYPE = 'sensor_msgs/msg/CompressedImage'
IMAGE_TYPES = (IMAGE_TYPE, COMPRESSED_IMAGE_TYPE)


class BagTopicError(ValueError):
    """A bag has no usable image topic, or its metadata cannot be read; says which."""


class ImageTopic(NamedTuple):
    """An image topic of a bag: name, message type and message count."""

    name: str
    msgtype: str
    count: int


def choose_image_topic(topics: Iterable[ImageTopic], bag: str = 'the bag') -> Tuple[
        ImageTopic, str]:
    """
    Return the image topic to replay and, when there was a choice, why it was chosen.

    ``topics`` may hold every topic of the bag: the others are ignored, and listed in the
    error when no image topic is among them.

    The rule: a raw ``Image`` topic before a ``CompressedImage`` one (exact pixels, no decoding:
    a camera recorded both ways replays raw), then the one with the most messages (the camera
    that recorded longest), then the first name in sorted order, so the choice never depends
    on the order the bag lists its topics in.
    """
    topics = list(topics)
    images = [t for t in topics if t.msgtype in IMAGE_TYPES]
    if not images:
        listing = ', '.join(sorted(f'{t.name} ({t.msgtype})' for t in topics)) or 'none'
        raise BagTopicError(f'{bag} has no image topic ({IMAGE_TYPE} or '
                            f'{COMPRESSED_IMAGE_TYPE}); its topics: {listing}')
    best = min(images, key=lambda t: (t.msgtype != IMAGE_TYPE, -t.count, t.name))
    reason = ''
    if len(images) > 1:
        reason = (f'{len(images)} image topics ({", ".join(sorted(t.name for t in images))}); '
                  f'chose {best.name}: raw Image before CompressedImage, then most messages')
    return best, reason


def camera_topics(topics: Iterable[ImageTopic]) -> List[ImageTopic]:
    """
    Return every camera of a bag once, sorted by topic name (several cameras, one node).

    A camera is its raw ``Image`` topic, or its ``CompressedImage`` one (``<raw>/compressed``)
    where it was recorded compressed only: the same rule as ``choose_image_topic``, per camera.
    """
    images = [t for t in topics if t.msgtype in IMAGE_TYPES]
    raw = {t.name for t in images if t.msgtype == IMAGE_TYPE}
    suffix = '/compressed'
    return sorted((t for t in images if t.msgtype == IMAGE_TYPE
                   or not (t.name.endswith(suffix) and t.name[:-len(suffix)] in raw)),
                  key=lambda t: t.name)


def topics_from_metadata(bag) -> List[ImageTopic]:
    """Every topic listed in a rosbag2 bag folder's metadata.yaml, with its message count."""
    import yaml  # PyYAML ships with every ROS 2 install

    metadata_path = pathlib.Path(bag) / METADATA_FILE
    if not metadata_path.is_file():
        raise BagTopicError(f'{bag} has no {METADATA_FILE} to find its image topic in')
    try:
        info = read_metadata(bag)
        return [ImageTopic(t['topic_metadata']['name'], t['topic_metadata']['type'],
                           int(t.get('message_count', 0)))
                for t in info['topics_with_message_count']]
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as err:
        raise BagTopicError(f'cannot read the topics of {metadata_path}: {err!r}') from None
