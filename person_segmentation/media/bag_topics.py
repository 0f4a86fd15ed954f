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
(and ``choose_depth_topics`` for an RGB-D recording) so that the same bag always gives the same
topics. Only names, types and counts are known there, so a depth image topic is told from a
colour one by its name, as every RGB-D driver names it (``aligned_depth_to_color``,
``depth/image_rect_raw``, ``depth_registered``, ``depth/depth_registered``: a name part holding
``depth``), and a camera_info topic belongs to the image topic beside it (``.../image_raw`` ->
``.../camera_info``, image_transport's rule). Standard library and PyYAML only.
"""

import pathlib
from typing import Iterable, List, NamedTuple, Optional, Tuple

from person_segmentation.media.bag_storage import METADATA_FILE, read_metadata

IMAGE_TYPE = 'sensor_msgs/msg/Image'
COMPRESSED_IMAGE_TYPE = 'sensor_msgs/msg/CompressedImage'
IMAGE_TYPES = (IMAGE_TYPE, COMPRESSED_IMAGE_TYPE)
CAMERA_INFO_TYPE = 'sensor_msgs/msg/CameraInfo'


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

    The rule: depth image topics are not candidates (``is_depth_topic``); a raw ``Image``
    topic before a ``CompressedImage`` one (exact pixels, no decoding: a camera recorded both
    ways replays raw), then the one with the most messages (the camera that recorded longest),
    then the first name in sorted order, so the choice never depends on the order the bag lists
    its topics in.
    """
    topics = list(topics)
    images = [t for t in topics if t.msgtype in IMAGE_TYPES and not is_depth_topic(t.name)]
    if not images:
        listing = ', '.join(sorted(f'{t.name} ({t.msgtype})' for t in topics)) or 'none'
        depth_only = any(t.msgtype in IMAGE_TYPES for t in topics)
        raise BagTopicError(f'{bag} has no {"colour " if depth_only else ""}image topic '
                            f'({IMAGE_TYPE} or {COMPRESSED_IMAGE_TYPE}'
                            f'{", not named as depth" if depth_only else ""}); its topics: '
                            f'{listing}')
    best = min(images, key=lambda t: (t.msgtype != IMAGE_TYPE, -t.count, t.name))
    reason = ''
    if len(images) > 1:
        reason = (f'{len(images)} image topics ({", ".join(sorted(t.name for t in images))}); '
                  f'chose {best.name}: raw Image before CompressedImage, then most messages')
    return best, reason


def is_depth_topic(name: str) -> bool:
    """Whether an image topic's name says it holds depth (a name part containing ``depth``)."""
    return any('depth' in part.lower() for part in name.split('/'))


def camera_info_topic(image_topic: str) -> str:
    """Return the camera_info topic of an image topic: its sibling, as image_transport names it."""
    base = image_topic[:-len('/compressed')] if image_topic.endswith('/compressed') \
        else image_topic
    namespace, slash, _ = base.rpartition('/')
    return f'{namespace}{slash}camera_info'


class DepthTopics(NamedTuple):
    """The depth image topic to replay beside a colour topic, its camera_info, and why."""

    image: str
    camera_info: Optional[str]  # None: the bag has none for it
    reason: str


def _shared_parts(a: str, b: str) -> int:
    count = 0
    for left, right in zip(a.split('/')[1:-1], b.split('/')[1:-1]):
        if left != right:
            break
        count += 1
    return count


def choose_depth_topics(topics: Iterable[ImageTopic], colour_topic: str,
                        wanted: Optional[str] = None, bag: str = 'the bag'
                        ) -> Optional[DepthTopics]:
    """
    Return the depth topic that goes with ``colour_topic`` and its camera_info, or None.

    ``wanted`` names the depth topic (BagTopicError unless it is a raw ``Image`` topic of the
    bag). Otherwise the candidates are the raw ``Image`` topics named as depth (compressed
    depth is not read) that belong to no other camera (a depth topic with more leading name
    parts in common with another colour topic is that camera's), and the rule: the one in the
    colour topic's own camera namespace (most leading name parts in common: in a bag of several
    cameras each colour topic gets its camera's depth), then one aligned to colour
    (``aligned`` or ``registered`` in its name: the node needs depth of the colour image's
    size), then the most messages, then the first name.
    Its camera_info is the ``CameraInfo`` topic beside it, else the colour topic's (aligned
    depth shares the colour camera's calibration), else None.
    """
    topics = list(topics)
    reason = ''
    if wanted is not None:
        if not any(t.name == wanted and t.msgtype == IMAGE_TYPE for t in topics):
            raise BagTopicError(f'{bag} has no {IMAGE_TYPE} topic {wanted!r} for depth')
        chosen = wanted
    else:
        colours = [t.name for t in topics if t.msgtype in IMAGE_TYPES
                   and not is_depth_topic(t.name) and t.name != colour_topic]
        candidates = [t for t in topics if t.msgtype == IMAGE_TYPE and is_depth_topic(t.name)
                      and not any(_shared_parts(t.name, other) >
                                  _shared_parts(t.name, colour_topic) for other in colours)]
        if not candidates:
            return None

        def aligned(name: str) -> bool:
            return 'aligned' in name.lower() or 'registered' in name.lower()

        chosen = min(candidates, key=lambda t: (-_shared_parts(t.name, colour_topic),
                                                not aligned(t.name), -t.count, t.name)).name
        if len(candidates) > 1:
            reason = (f'{len(candidates)} depth topics '
                      f'({", ".join(sorted(t.name for t in candidates))}); chose {chosen}: '
                      f'same camera as {colour_topic}, then aligned to colour, then most '
                      f'messages')
    infos = {t.name for t in topics if t.msgtype == CAMERA_INFO_TYPE}
    info = next((name for name in (camera_info_topic(chosen), camera_info_topic(colour_topic))
                 if name in infos), None)
    return DepthTopics(chosen, info, reason)


def camera_topics(topics: Iterable[ImageTopic]) -> List[ImageTopic]:
    """
    Return every camera of a bag once, sorted by topic name (several cameras, one node).

    A camera is its raw ``Image`` topic, or its ``CompressedImage`` one (``<raw>/compressed``)
    where it was recorded compressed only: the same rule as ``choose_image_topic``, per camera
    (a depth image topic is not a camera: it goes with its colour topic).
    """
    images = [t for t in topics if t.msgtype in IMAGE_TYPES and not is_depth_topic(t.name)]
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
