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

"""Test helpers for talking to the node over real rclpy: build images, wait for callbacks."""

import threading
import time
from typing import Callable

import rclpy
from rclpy.executors import SingleThreadedExecutor
from sensor_msgs.msg import Image


def wait_until(condition: threading.Condition, predicate: Callable[[], bool],
               timeout: float) -> bool:
    """Return True once predicate() holds (checked under condition), False after timeout."""
    deadline = time.monotonic() + timeout
    with condition:
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            condition.wait(min(left, 0.05))
    return True


def image_message(fields: dict, frame_id: str, stamp) -> Image:
    """Build a sensor_msgs/Image from raw fields (encoding, size, step, data) and a header."""
    msg = Image()
    for key, value in fields.items():
        setattr(msg, key, value)
    msg.header.frame_id = frame_id
    msg.header.stamp.sec, msg.header.stamp.nanosec = stamp
    return msg


class SpinningPeer:
    """
    A test's own ROS participant: a private rclpy context and node spun on a daemon thread.

    Subclasses add publishers and subscriptions on ``self.node`` and guard what their callbacks
    collect with ``self.lock``; ``close()`` tears it all down (the node under test is elsewhere).
    """

    def __init__(self, node_name: str):
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(node_name, context=self.context)
        self.lock = threading.Condition()
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self._spinner = threading.Thread(target=self.executor.spin, daemon=True)

    def start(self) -> None:
        """Start spinning (after the subclass created its entities)."""
        self._spinner.start()

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=5.0)
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)
        if self._spinner.is_alive():
            self._spinner.join(5.0)
