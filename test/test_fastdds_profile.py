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
The shipped Fast DDS profile lets best-effort 640x480 images through between processes.

With Fast DDS's defaults a best-effort pair loses most images above its 512 KB shared-memory
segment (docs/node.md). config/fastdds_large_images.xml enlarges the segment; the launch files
give it to the processes that publish large images. This test runs a real publisher process
with and without the profile, so a broken or ignored profile file fails here.
"""

import os
import pathlib
import subprocess
import sys
import textwrap
import time

import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image

PROFILE = pathlib.Path(__file__).resolve().parents[1] / 'config' / 'fastdds_large_images.xml'
COUNT = 30

PUBLISHER = textwrap.dedent("""
    import sys, time
    import rclpy
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import Image
    rclpy.init()
    node = rclpy.create_node('profile_sender')
    pub = node.create_publisher(Image, sys.argv[1], qos_profile_sensor_data)
    deadline = time.monotonic() + 20
    while pub.get_subscription_count() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    data = bytes(640 * 480 * 3)
    for i in range(int(sys.argv[2])):
        msg = Image(height=480, width=640, encoding='bgr8', step=1920, data=data)
        msg.header.stamp.sec = i
        pub.publish(msg)
        time.sleep(1 / 30)
    time.sleep(1.0)
    node.destroy_node()
    rclpy.shutdown()
""")


def _received(topic, env_extra):
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node('profile_receiver', context=context)
    received = []
    node.create_subscription(Image, topic, received.append, qos_profile_sensor_data)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    proc = subprocess.Popen([sys.executable, '-c', PUBLISHER, topic, str(COUNT)],
                            env={**os.environ, **env_extra})
    try:
        deadline = time.monotonic() + 40
        while proc.poll() is None and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.05)
        for _ in range(20):
            executor.spin_once(timeout_sec=0.05)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        executor.shutdown()
        node.destroy_node()
        rclpy.shutdown(context=context)
    assert proc.returncode == 0
    return len(received)


@pytest.mark.slow
def test_profile_on_the_publisher_delivers_best_effort_large_images():
    assert PROFILE.is_file()
    with_profile = _received('profile_large', {'FASTDDS_DEFAULT_PROFILES_FILE': str(PROFILE)})
    without = _received('profile_default', {})
    assert with_profile >= COUNT - 3, f'{with_profile} of {COUNT} with the profile'
    # documents why the profile exists; if Fast DDS's defaults improve, this is good news
    print(f'best-effort 640x480: {with_profile}/{COUNT} with the profile, {without}/{COUNT} '
          'without')
