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
Replay recorded footage through the real node.

``options`` (modes, options, the node's arguments) and ``outputs`` (outputs matched to input
frames, end-of-run numbers) are plain Python; ``runner`` holds the rclpy session that plays the
frames.
"""


class ReplayError(Exception):
    """The replay could not run (node failed to start, no output, ...); says what and why."""
