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


class NodeInContext:
    """A node of the package in a private context, spun on a multi-threaded executor."""

    def __init__(self, factory: Callable, **kwargs):
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        try:
            self.node = factory(context=self.context, **kwargs)
        except BaseException:
            rclpy.shutdown(context=self.context)
            raise
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self._spinner = threading.Thread(target=self.executor.spin, daemon=True)
        self._spinner.start()

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=5.0)
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)
        self._spinner.join(5.0)


class Listener(SpinningPeer):
    """A test's peer that publishes, collects every message of the topics it listens to, calls."""

    def __init__(self, node_name: str, timeout: float = 20.0):
        super().__init__(node_name)
        self.timeout = timeout
        self.received = {}
        self.start()

    def listen(self, key: str, msg_type, topic: str, qos) -> None:
        """Collect ``topic``'s messages under ``received[key]``."""
        self.received.setdefault(key, [])

        def collect(msg):
            with self.lock:
                self.received[key].append(msg)
                self.lock.notify_all()
        self.node.create_subscription(msg_type, topic, collect, qos)

    def wait(self, predicate, timeout=None) -> bool:
        return wait_until(self.lock, predicate, self.timeout if timeout is None else timeout)

    def frame_ids(self, key: str) -> list:
        with self.lock:
            return [msg.header.frame_id for msg in self.received[key]]

    def message(self, key: str, frame_id: str, timeout=None):
        """Wait for the message of ``frame_id`` under ``key``; None if none came."""
        found = []

        def ready():
            found[:] = [m for m in self.received[key] if m.header.frame_id == frame_id]
            return bool(found)
        return found[0] if self.wait(ready, timeout) else None

    def call(self, srv_type, service: str, request, timeout=None):
        """Call a service and return its response (None: no service, or no answer)."""
        client = self.node.create_client(srv_type, service)
        try:
            if not client.wait_for_service(timeout_sec=self.timeout if timeout is None
                                           else timeout):
                return None
            future = client.call_async(request)
            return future.result() if self.wait(future.done, timeout) else None
        finally:
            self.node.destroy_client(client)
