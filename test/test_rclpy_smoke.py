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
rclpy smoke test: real DDS delivers a sensor_msgs/Image unchanged.

One node publishes an image and another receives identical content, first in the same process
and then from a second process. This proves the pip-installed ROS 2 wheels work on this
machine before any test of our own node relies on them.
"""

import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image

QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)


def make_image(stamp_sec, seed):
    pixels = np.random.default_rng(seed).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    msg = Image(height=480, width=640, encoding='bgr8', is_bigendian=0, step=640 * 3)
    msg.header.stamp.sec = stamp_sec
    msg.header.frame_id = 'camera_optical_frame'
    msg.data = pixels.tobytes()
    return msg, pixels


@pytest.fixture
def context():
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    yield ctx
    rclpy.shutdown(context=ctx)


def spin_until(executor, predicate, timeout):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.05)
    return predicate()


def test_image_roundtrip_in_process(context):
    sender = rclpy.create_node('smoke_sender', context=context)
    receiver = rclpy.create_node('smoke_receiver', context=context)
    received = []
    receiver.create_subscription(Image, 'smoke_image', received.append, QOS)
    publisher = sender.create_publisher(Image, 'smoke_image', QOS)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(sender)
    executor.add_node(receiver)
    msg, pixels = make_image(42, seed=1)
    assert spin_until(executor, lambda: publisher.get_subscription_count() > 0, 10)
    publisher.publish(msg)
    assert spin_until(executor, lambda: received, 10), 'no image received in-process'
    got = received[0]
    assert (got.height, got.width, got.encoding, got.step) == (480, 640, 'bgr8', 1920)
    assert got.header.stamp.sec == 42 and got.header.frame_id == 'camera_optical_frame'
    assert np.array_equal(np.frombuffer(bytes(got.data), np.uint8).reshape(480, 640, 3), pixels)
    executor.shutdown()
    sender.destroy_node()
    receiver.destroy_node()


PUBLISHER_SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np
    import rclpy
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import Image
    rclpy.init()
    node = rclpy.create_node('smoke_remote_sender')
    pub = node.create_publisher(Image, 'smoke_remote_image', QoSProfile(
        depth=10, reliability=ReliabilityPolicy.RELIABLE))
    pixels = np.random.default_rng(7).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    deadline = time.monotonic() + 20
    while pub.get_subscription_count() == 0 and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.05)
    for i in range(5):
        msg = Image(height=480, width=640, encoding='bgr8', step=1920, data=pixels.tobytes())
        msg.header.stamp.sec = 100 + i
        msg.header.frame_id = 'remote'
        pub.publish(msg)
        time.sleep(0.05)
    time.sleep(1.0)
    node.destroy_node()
    rclpy.shutdown()
""")


def test_image_roundtrip_from_second_process(context):
    receiver = rclpy.create_node('smoke_remote_receiver', context=context)
    received = []
    receiver.create_subscription(Image, 'smoke_remote_image', received.append, QOS)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(receiver)
    proc = subprocess.Popen([sys.executable, '-c', PUBLISHER_SCRIPT])
    try:
        assert spin_until(executor, lambda: len(received) >= 5, 30), \
            f'received {len(received)} of 5 images from the second process'
    finally:
        proc.wait(timeout=30)
    expected = np.random.default_rng(7).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    assert [m.header.stamp.sec for m in received] == [100, 101, 102, 103, 104]
    for msg in received:
        assert msg.header.frame_id == 'remote'
        assert np.array_equal(np.frombuffer(bytes(msg.data), np.uint8).reshape(480, 640, 3),
                              expected)
    assert proc.returncode == 0
    executor.shutdown()
    receiver.destroy_node()
