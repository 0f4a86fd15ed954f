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
Which cameras the node serves: each one's input topic, message kind and output names.

One node with one model serves one camera (its ``image`` input, outputs ``~/mask`` etc., as
always) or, with the ``images`` parameter, several: camera i subscribes to ``images[i]`` and
publishes under ``~/<name>/`` (``camera_<i>``, or ``cameras[i]``), so a user maps camera N to its
outputs by name alone and can remap each (``-r ~/camera_0/mask:=/front/person_mask``). A topic
ending in ``/compressed`` carries ``sensor_msgs/CompressedImage`` (image_transport's naming);
``input_compressed`` makes every listed topic that one. A camera may have an aligned depth
input: the one camera's ``depth/image`` and ``depth/camera_info`` (``use_depth``), camera i's
``depth_images[i]`` and the camera_info beside it (image_transport's rule). No rclpy.
"""

from dataclasses import dataclass
from typing import Sequence, Tuple

from person_segmentation import names
from person_segmentation.media.bag_topics import camera_info_topic

#: the one camera's input when ``images`` is empty (remapped by the launch file's image:=)
SINGLE_INPUT = 'image'
COMPRESSED_SUFFIX = '/compressed'
#: the diagnostics name of the one camera's status, as before several cameras were possible
SINGLE_STATUS = 'segmentation'


@dataclass(frozen=True)
class Camera:
    """One camera the node serves."""

    index: int
    #: where its outputs go: ``~/<name>/mask``; '' for the one camera: ``~/mask``
    name: str
    topic: str  # what it subscribes to (relative names are in the node's namespace)
    compressed: bool  # sensor_msgs/CompressedImage, else sensor_msgs/Image
    depth_topic: str = ''  # its aligned depth image ('': no depth input)
    depth_info_topic: str = ''  # that depth image's camera_info

    def output(self, output: str) -> str:
        """Return the (private) topic of one of its outputs, e.g. ``~/camera_0/mask``."""
        return f'~/{self.name}/{output}' if self.name else f'~/{output}'

    @property
    def label(self) -> str:
        """Name it in log lines and diagnostics (the single camera: ``segmentation``)."""
        return self.name or SINGLE_STATUS


def cameras(images: Sequence[str], camera_names: Sequence[str], input_compressed: bool,
            use_depth: bool = False, depth_images: Sequence[str] = ()) -> Tuple[Camera, ...]:
    """
    Return the cameras of the ``images``, ``cameras``, ``input_compressed`` and depth parameters.

    Raises ValueError when ``camera_names`` or ``depth_images`` is given but not one per image,
    when ``depth_images`` is given without ``images`` or ``use_depth`` with them. Each list on
    its own is checked by its parameter rule (parameters.py).
    """
    if not images:
        if depth_images:
            raise ValueError('depth_images is for the cameras in images; the one camera gets '
                             f'its depth on {names.DEPTH_INPUT} with use_depth: true')
        topic = SINGLE_INPUT + (COMPRESSED_SUFFIX if input_compressed else '')
        depth = (names.DEPTH_INPUT, names.DEPTH_INFO_INPUT) if use_depth else ('', '')
        return (Camera(0, '', topic, bool(input_compressed), *depth),)
    if use_depth:
        raise ValueError('use_depth is for the one camera of image; with images give each '
                         "camera's depth topic in depth_images")
    if camera_names and len(camera_names) != len(images):
        raise ValueError(f'cameras must name each of the {len(images)} images, got '
                         f'{len(camera_names)} names ({", ".join(camera_names)})')
    if depth_images and len(depth_images) != len(images):
        raise ValueError(f'depth_images must give each of the {len(images)} images its depth '
                         f"topic ('' for none), got {len(depth_images)}")
    camera_names = list(camera_names) or [f'camera_{index}' for index in range(len(images))]
    depth_topics = list(depth_images) or [''] * len(images)
    result = []
    for index, (topic, name, depth) in enumerate(zip(images, camera_names, depth_topics)):
        compressed = topic.endswith(COMPRESSED_SUFFIX)
        if input_compressed and not compressed:
            topic, compressed = topic + COMPRESSED_SUFFIX, True
        result.append(Camera(index, name, topic, compressed, depth,
                             camera_info_topic(depth) if depth else ''))
    return tuple(result)
