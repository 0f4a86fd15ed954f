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

The engine (``Segmenter``) is importable without ROS; LiteRT and TensorFlow load only when a
model is created.
"""

from person_segmentation.regions import PersonRegion
from person_segmentation.segmenter import SegmentationResult, Segmenter

__all__ = ['PersonRegion', 'SegmentationResult', 'Segmenter']
