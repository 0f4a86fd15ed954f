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
Which reliability the image subscription uses, decided from what the publishers offer.

Large images over Fast DDS's default transports are mostly lost by a best-effort subscription,
even from a reliable publisher, while a reliable pair delivers them all. A reliable subscription,
however, cannot match a best-effort publisher at all. So, like ``ros2 topic echo`` and rosbag2,
the ``auto`` mode asks the graph which reliability the image's publishers offer and uses
reliable only when every publisher offers it. The decision is plain Python (testable without
ROS); the node turns it into an rclpy profile.
"""

from typing import Iterable

RELIABLE = 'reliable'
BEST_EFFORT = 'best_effort'
AUTO = 'auto'
MODES = (AUTO, RELIABLE, BEST_EFFORT)


def choose_reliability(mode: str, offered: Iterable[str]) -> str:
    """
    Reliability to subscribe with.

    ``mode``: 'auto', 'reliable' or 'best_effort'. ``offered``: the reliability of each
    publisher of the topic now ('reliable' / 'best_effort', anything else ignored). In auto
    mode: reliable if there is at least one publisher and all offer reliable, else best-effort
    (which matches any publisher, so nothing is missed while there is none).
    """
    if mode not in MODES:
        raise ValueError(f'qos_reliability must be one of {", ".join(MODES)}, got {mode!r}')
    if mode != AUTO:
        return mode
    offers = [offer for offer in offered if offer in (RELIABLE, BEST_EFFORT)]
    if offers and all(offer == RELIABLE for offer in offers):
        return RELIABLE
    return BEST_EFFORT


def reliability_name(policy) -> str:
    """'reliable' / 'best_effort' / other for an rclpy ReliabilityPolicy (or its int value)."""
    name = getattr(policy, 'name', None)
    if name is None:
        name = {1: 'RELIABLE', 2: 'BEST_EFFORT'}.get(int(policy), str(policy))
    return str(name).lower()
