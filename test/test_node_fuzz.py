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
Seeded fuzz: hostile camera messages, interleaved with real frames, through the running node.

Two node processes (raw ``image`` and ``image/compressed`` input, real rclpy, real model) get
ROUNDS rounds each of one message from test/hostile_images.py followed by a real 640x480 frame,
plus malformed set-parameter requests. Every real frame must be answered with the engine's
mask, the nodes must survive, stay within the memory budget, and write only logger lines
(no decoder noise), at most one per kind of problem per 5 s, and no errors.
"""

import array
import collections
import os
import time

import cv2
from hostile_images import HostileImages
from node_output import most_in_a_window, NodeProcess, problems_by_kind
import numpy as np
from person_segmentation import Segmenter
import pytest
from rcl_interfaces.msg import Parameter as ParameterMsg, ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from rclpy.qos import QoSProfile, ReliabilityPolicy
from ros_helpers import image_message, SpinningPeer, wait_until
from sensor_msgs.msg import CompressedImage, Image
from test_node_process import node_command, node_environment

SEED = 20260510
ROUNDS = 60
RELIABLE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
NS = f'/fuzz_{os.getpid()}'  # our own namespace: other sessions in the domain cannot interfere
MEMORY_LIMIT_MB = 600.0  # for a 640x480 camera


class Camera(SpinningPeer):
    """Publishes to both nodes and collects their masks."""

    def __init__(self):
        super().__init__('fuzz_camera')
        self.raw = self.node.create_publisher(Image, f'{NS}/raw/image', RELIABLE)
        self.compressed = self.node.create_publisher(
            CompressedImage, f'{NS}/compressed/image/compressed', RELIABLE)
        self.masks = {}
        for name in ('raw', 'compressed'):
            self.node.create_subscription(Image, f'{NS}/{name}/person_segmentation/mask',
                                          self._on_mask, RELIABLE)
        self.start()

    def _on_mask(self, msg):
        with self.lock:
            self.masks[msg.header.frame_id] = msg
            self.lock.notify_all()

    def answered(self, frame_ids, timeout=30.0):
        return wait_until(self.lock, lambda: all(f in self.masks for f in frame_ids), timeout)


def _compressed(frame_id: str, image_format: str, data: bytes) -> CompressedImage:
    msg = CompressedImage(format=image_format, data=array.array('B', data))
    msg.header.frame_id = frame_id
    return msg


def _mask(msg) -> np.ndarray:
    return np.frombuffer(msg.data, np.uint8).reshape(msg.height, msg.step)[:, :msg.width]


def _malformed_parameter_request(rng) -> SetParameters.Request:
    """Build a set request rclpy cannot handle: an unknown type, or an empty name."""
    if rng.random() < 0.5:
        parameter = ParameterMsg(name='threshold', value=ParameterValue(
            type=rng.choice((10, 99, 255)), double_value=0.5))
    else:
        parameter = ParameterMsg(name=rng.choice(('', ' ')), value=ParameterValue(
            type=ParameterType.PARAMETER_DOUBLE, double_value=0.5))
    return SetParameters.Request(parameters=[parameter])


@pytest.fixture(scope='module')
def photo(davis_dir):
    """Load a real 640x480 frame with a person (DAVIS parkour, centre crop), RGB."""
    bgr = cv2.imread(str(davis_dir / 'JPEGImages' / '480p' / 'parkour' / '00040.jpg'))
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)[:, 107:747])


def test_hostile_stream_never_hurts_the_node(models_dir, photo):
    engine = Segmenter(model='deeplabv3_mnv2_257', threads=1, model_dir=models_dir)
    try:
        expected = engine(photo).mask
    finally:
        engine.close()
    bgr = np.ascontiguousarray(photo[..., ::-1])
    raw_fields = {'encoding': 'bgr8', 'height': 480, 'width': 640, 'step': 1920,
                  'is_bigendian': 0, 'data': array.array('B', bgr.tobytes())}
    png = cv2.imencode('.png', bgr)[1].tobytes()  # lossless: the same mask as the raw frame
    hostile = HostileImages(SEED, photo)
    nodes = {name: NodeProcess(node_command() + [
        '--ros-args', '-r', f'__ns:={NS}/{name}', '-p', 'model:=deeplabv3_mnv2_257',
        '-p', 'threads:=1', '-p', f'input_compressed:={str(name == "compressed").lower()}'],
        node_environment(models_dir)) for name in ('raw', 'compressed')}
    camera = Camera()
    try:
        def send_valid(index):
            ids = (f'valid_raw_{index}', f'valid_compressed_{index}')
            camera.raw.publish(image_message(raw_fields, ids[0], (0, 0)))
            camera.compressed.publish(_compressed(ids[1], 'png', png))
            return ids

        for attempt in range(60):  # until both nodes run and their DDS matching settled
            if camera.answered(send_valid(f'sync{attempt}'), timeout=1.0):
                break
            assert all(n.alive() for n in nodes.values()), nodes['raw'].lines
        else:
            pytest.fail('the nodes never answered')
        warm_rss = {name: n.rss_mb() for name, n in nodes.items()}
        start = time.monotonic()
        labels = collections.Counter()
        clients = {name: camera.node.create_client(
            SetParameters, f'{NS}/{name}/person_segmentation/set_parameters')
            for name in nodes}
        for index in range(ROUNDS):
            label, fields = hostile.raw()
            camera.raw.publish(image_message(fields, f'hostile_raw_{index}', (0, 0)))
            label_c, image_format, data = hostile.compressed()
            camera.compressed.publish(_compressed(f'hostile_compressed_{index}', image_format,
                                                  data))
            labels.update((label, label_c))
            if index % 10 == 5:
                for client in clients.values():
                    assert client.wait_for_service(timeout_sec=10.0)
                    future = client.call_async(_malformed_parameter_request(hostile.rng))
                    assert wait_until(camera.lock, future.done, 10.0)
                    assert not future.result().results[0].successful
            time.sleep(0.02)  # let each worker take the hostile message before the real frame
            ids = send_valid(index)
            assert camera.answered(ids), (index, label, label_c, [
                n.lines[-5:] for n in nodes.values()])
            for frame_id in ids:
                np.testing.assert_array_equal(_mask(camera.masks[frame_id]), expected)
        duration = time.monotonic() - start
        for name, node in nodes.items():
            assert node.alive(), f'the {name} node died: {node.lines[-20:]}'
            peak = node.peak_mb()
            print(f'{name} node: {ROUNDS} rounds in {duration:.1f} s, RSS {warm_rss[name]:.0f} '
                  f'MB after warm-up, peak {peak:.0f} MB')
            assert peak < MEMORY_LIMIT_MB, f'{name} node peaked at {peak:.0f} MB'
            _check_log(node.lines, name)
        print('hostile messages sent:', dict(labels))
    finally:
        camera.close()
        for node in nodes.values():
            node.stop()


def _check_log(lines, name):
    """Only logger lines; no errors; each kind of problem at most once per 5 s."""
    problems, outside = problems_by_kind(lines)
    assert not outside, f'{name} node wrote lines outside its logger: {outside[:5]}'
    errors = [kind for kind in problems if not kind.startswith('WARN')]
    assert not errors, f'{name} node: {errors}'
    for kind, stamps in problems.items():
        assert most_in_a_window(stamps, 4.9) == 1, f'{name} node logged {kind!r} at {stamps}'
    print(f'{name} node warnings per kind:', {kind: len(v) for kind, v in problems.items()})
