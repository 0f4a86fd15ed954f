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
Person segmentation for ROS 2 camera streams and offline video.

``from person_segmentation import Segmenter`` gives the engine, importable without ROS. The
names are resolved on first use, so importing a light sub-package (``launch_support`` under the
system Python of ``ros2 launch``, say) loads no numpy, OpenCV or inference framework; LiteRT and
TensorFlow load only when a model is created. Layout: README.md, section Layout.
"""

import importlib

_EXPORTS = {
    'PersonRegion': 'person_segmentation.engine.regions',
    'SegmentationResult': 'person_segmentation.engine.segmenter',
    'Segmenter': 'person_segmentation.engine.segmenter',
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    """Import an exported name from its module on first use (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__():
    """List the exported names with the module's own."""
    return sorted(set(globals()) | set(_EXPORTS))
