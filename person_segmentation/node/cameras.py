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
``input_compressed`` makes every listed topic that one. No rclpy.
"""

from dataclasses import dataclass
from typing import Sequence, Tuple

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

    def output(self, output: str) -> str:
        """Return the (private) topic of one of its outputs, e.g. ``~/camera_0/mask``."""
        return f'~/{self.name}/{output}' if self.name else f'~/{output}'

    @property
    def label(self) -> str:
        """Name it in log lines and diagnostics (the single camera: ``segmentation``)."""
        return self.name or SINGLE_STATUS


def cameras(images: Sequence[str], names: Sequence[str],
            input_compressed: bool) -> Tuple[Camera, ...]:
    """
    Return the cameras of the ``images``, ``cameras`` and ``input_compressed`` parameters.

    Raises ValueError when ``names`` is given but not one per image. Each list on its own is
    checked by its parameter rule (parameters.py).
    """
    if not images:
        topic = SINGLE_INPUT + (COMPRESSED_SUFFIX if input_compressed else '')
        return (Camera(0, '', topic, bool(input_compressed)),)
    if names and len(names) != len(images):
        raise ValueError(f'cameras must name each of the {len(images)} images, got '
                         f'{len(names)} names ({", ".join(names)})')
    names = list(names) or [f'camera_{index}' for index in range(len(images))]
    result = []
    for index, (topic, name) in enumerate(zip(images, names)):
        compressed = topic.endswith(COMPRESSED_SUFFIX)
        if input_compressed and not compressed:
            topic, compressed = topic + COMPRESSED_SUFFIX, True
        result.append(Camera(index, name, topic, compressed))
    return tuple(result)
