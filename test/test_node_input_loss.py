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
Frames lost before the node show on /diagnostics, over real rclpy (issue 24).

A camera peer publishes small frames whose header stamps and send times it controls: stamps
33 ms apart sent every 100 ms (two of every three camera frames never arrive) must turn the
node's camera status WARN within 5 s; a steady 10 Hz camera and a bag played at half rate with
/clock (use_sim_time) must not. The judgement itself is unit-tested in test_input_loss.py.
"""

import os
import time

from builtin_interfaces.msg import Time as TimeMsg
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from image_encoders import rgb_to_fields
import numpy as np
from person_segmentation.node.segmentation_node import PersonSegmentationNode
import pytest
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile, ReliabilityPolicy
from ros_helpers import image_message, Listener, NodeInContext
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Image

NS = f'/input_loss_{os.getpid()}'
RELIABLE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
LOST = 'lost before the node'
DIAGNOSTICS_PERIOD = 0.25


class Camera(Listener):
    """Publishes frames (and /clock when asked) and collects the node's /diagnostics."""

    def __init__(self, name):
        super().__init__(f'{name}_camera')
        self.image = self.node.create_publisher(Image, f'{NS}_{name}/image', RELIABLE)
        self.clock = self.node.create_publisher(Clock, '/clock', 10)
        self.diagnostics = []  # (arrival on the steady clock, DiagnosticStatus)
        self.node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diagnostics, 100)
        self.fields = rgb_to_fields(np.full((48, 64, 3), 90, np.uint8), 'rgb8')

    def run(self, seconds, send_every, stamp_step, start_stamp=1000.0, clock=False):
        """Publish for ``seconds`` of wall time; return the wall time of the first frame."""
        first = time.monotonic()
        index = 0
        while time.monotonic() - first < seconds:
            stamp = start_stamp + index * stamp_step
            sec, nanosec = int(stamp), int(round((stamp - int(stamp)) * 1e9))
            if clock:
                self.clock.publish(Clock(clock=TimeMsg(sec=sec, nanosec=nanosec)))
            self.image.publish(image_message(self.fields, 'camera', (sec, nanosec)))
            index += 1
            time.sleep(max(0.0, first + index * send_every - time.monotonic()))
        return first

    def _on_diagnostics(self, msg):
        with self.lock:
            self.diagnostics += [(time.monotonic(), status) for status in msg.status]
            self.lock.notify_all()

    def statuses(self, name):
        """(arrival time, status) of the statuses of the node ``name``, in arrival order."""
        with self.lock:
            return [(at, status) for at, status in self.diagnostics
                    if status.name.startswith(f'{NS[1:]}_{name}/')]


def _start(name, clock=False):
    camera = Camera(name)
    node = NodeInContext(PersonSegmentationNode, namespace=f'{NS}_{name}', parameter_overrides=[
        Parameter('model', value='deeplabv3_mnv2_257'), Parameter('threads', value=1),
        Parameter('max_age', value=0.0), Parameter('use_sim_time', value=clock),
        Parameter('qos_reliability', value='reliable'),
        Parameter('diagnostics_period', value=DIAGNOSTICS_PERIOD)])
    assert camera.wait(lambda: camera.image.get_subscription_count() > 0)
    return camera, node


def _loss(status):
    values = {kv.key: kv.value for kv in status.values}
    return values['frames lost before the node (%)'], values['camera rate from stamps (Hz)']


def test_two_of_three_frames_lost_before_the_node_turn_it_warn_within_5_s(models_dir):
    camera, node = _start('lossy')
    try:
        first = camera.run(6.0, send_every=0.1, stamp_step=1 / 30)
        assert camera.wait(lambda: any(LOST in status.message
                                       for _, status in camera.statuses('lossy')),
                           timeout=2.0)
        warned = [(at, status) for at, status in camera.statuses('lossy')
                  if LOST in status.message]
        at, status = warned[0]
        assert status.level == DiagnosticStatus.WARN
        assert at - first <= 5.0 + DIAGNOSTICS_PERIOD, f'WARN after {at - first:.1f} s'
        lost, rate = _loss(status)
        assert 55.0 <= float(lost) <= 75.0 and 27.0 <= float(rate) <= 33.0, (lost, rate)
        assert 'Hz arriving' in status.message
    finally:
        node.close()
        camera.close()


@pytest.mark.parametrize('name, send_every, stamp_step, clock, rate', [
    ('steady', 0.1, 0.1, False, 10.0),  # a steady 10 Hz camera
    # a 30 Hz recording played at half rate: /clock follows the stamps, at half speed
    ('halfrate', 2 / 30, 1 / 30, True, 30.0),
])
def test_a_camera_that_loses_nothing_is_no_loss(
        models_dir, name, send_every, stamp_step, clock, rate):
    camera, node = _start(name, clock=clock)
    try:
        camera.run(7.0, send_every=send_every, stamp_step=stamp_step, clock=clock)
        time.sleep(2 * DIAGNOSTICS_PERIOD)
        statuses = camera.statuses(name)
        assert statuses and not any(LOST in status.message for _, status in statuses)
        lost, camera_rate = _loss(statuses[-1][1])
        assert float(lost) <= 10.0 and 0.9 * rate <= float(camera_rate) <= 1.1 * rate, (
            lost, camera_rate)
    finally:
        node.close()
        camera.close()
