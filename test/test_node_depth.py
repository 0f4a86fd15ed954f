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
The node's depth input on real rclpy, with the real model and depth whose geometry is known.

A real DAVIS frame (lucia 00030, 854x480) is published as the camera's colour image; a test
peer publishes, with the same stamps, the depth a RealSense would: 16UC1 millimetres, the
person (its DAVIS ground-truth mask) 1.5 m away before a wall at 4 m, and a CameraInfo with
fx = fy = 600, cx = 427, cy = 240. Worked by hand: the person's distance is the depth of its
near surface, 1.5 m (no noise: exactly 1500 mm); its point is its mask's centroid pixel (u, v)
back-projected at that depth, ((u - 427) x 1.5 / 600, (v - 240) x 1.5 / 600, 1.5); every
point of the cloud is at 1.5 m (the mask's bleed onto the wall, 2.5 m behind, is cut by the
0.5 m band) and projects back inside the true person. Then the depth goes wrong the ways
issue 22 lists, and every frame is still segmented and published.
"""

import math
import os

import cv2
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PointStamped
import numpy as np
from person_segmentation.node import messages
from person_segmentation.node.managed_node import ManagedPersonSegmentationNode
from person_segmentation.node.segmentation_node import PersonSegmentationNode
from person_segmentation.replay.runner import publish_patiently
import pytest
from rcl_interfaces.msg import Log
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from ros_helpers import Listener, NodeInContext
from sensor_msgs.msg import CameraInfo, Image, PointCloud2

RELIABLE = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)
NS = f'/rgbd_{os.getpid()}'
OUT = f'{NS}/person_segmentation'
FRAME_ID = 'camera_color_optical_frame'
FX = FY = 600.0
CX, CY = 427.0, 240.0
PERSON_MM, WALL_MM = 1500, 4000


@pytest.fixture(scope='module')
def lucia(davis_dir):
    """Return (BGR frame, true person mask) of DAVIS lucia 00030."""
    bgr = cv2.imread(str(davis_dir / 'JPEGImages' / '480p' / 'lucia' / '00030.jpg'))
    truth = cv2.imread(str(davis_dir / 'Annotations' / '480p' / 'lucia' / '00030.png'),
                       cv2.IMREAD_GRAYSCALE) > 0
    assert bgr.shape[:2] == truth.shape == (480, 854)
    return bgr, truth


def _stamp(seconds: int) -> int:
    return seconds * 1_000_000_000


def _camera_info(stamp_ns: int, width=854, height=480) -> CameraInfo:
    info = CameraInfo(header=messages.header(stamp_ns, FRAME_ID), width=width, height=height,
                      distortion_model='plumb_bob', d=[0.0] * 5)
    info.k = [FX, 0.0, CX, 0.0, FY, CY, 0.0, 0.0, 1.0]
    info.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    info.p = [FX, 0.0, CX, 0.0, 0.0, FY, CY, 0.0, 0.0, 0.0, 1.0, 0.0]
    return info


class Camera(Listener):
    """An RGB-D camera driver and a listener of the node's outputs, in one test peer."""

    def __init__(self, prefix: str = NS, out: str = OUT):
        super().__init__('rgbd_camera')
        self.colour = self.node.create_publisher(Image, f'{prefix}/image', RELIABLE)
        self.depth = self.node.create_publisher(Image, f'{prefix}/depth/image', RELIABLE)
        self.info = self.node.create_publisher(CameraInfo, f'{prefix}/depth/camera_info',
                                               RELIABLE)
        self.listen('mask', Image, f'{out}/mask', RELIABLE)
        self.listen('nearest', PointStamped, f'{out}/nearest_person', RELIABLE)
        self.listen('cloud', PointCloud2, f'{out}/persons_cloud', RELIABLE)
        self.listen('diagnostics', DiagnosticArray, '/diagnostics', 10)
        self.listen('rosout', Log, '/rosout', QoSProfile(depth=1000,
                                                         reliability=ReliabilityPolicy.RELIABLE))

    def send(self, stamp_ns: int, bgr, depth=None, encoding='16UC1', info=None):
        """
        Publish camera_info and depth (when given), then the colour frame, one stamp.

        And wait for the frame's mask: the node segments the newest frame waiting, so a frame
        sent before the previous one's turn came would be dropped, as it should.
        """
        if info is not None:
            self.info.publish(info)
        if depth is not None:
            self.depth.publish(messages.image(messages.header(stamp_ns, FRAME_ID), depth,
                                              encoding))
        publish_patiently(self.colour, messages.camera_image(bgr, stamp_ns, FRAME_ID))
        assert self.of('mask', stamp_ns) is not None, f'no mask for {stamp_ns}'

    def of(self, key: str, stamp_ns: int, timeout=None):
        """Wait for the ``key`` message stamped ``stamp_ns``; None if none came."""
        found = []

        def ready():
            found[:] = [m for m in self.received[key]
                        if messages.stamp(stamp_ns) == m.header.stamp]
            return bool(found)
        return found[0] if self.wait(ready, timeout) else None

    def stamps(self, key: str):
        with self.lock:
            return [m.header.stamp.sec for m in self.received[key]]


def _prime(camera: Camera, pipeline, stamp_ns: int, depth=None, info=False) -> None:
    """
    Publish the depth image and/or camera_info until the node has one of each.

    A reader that shows as matched here may not have matched this writer yet: a first message
    sent in between comes late (after a resend), and the test's frame would miss it.
    """
    def arrived():
        counts = pipeline.depth.snapshot()
        if depth is not None and counts['received'] == 0:
            camera.depth.publish(messages.image(messages.header(stamp_ns, FRAME_ID), depth,
                                                '16UC1'))
        if info and counts['camera_infos'] == 0:
            camera.info.publish(_camera_info(stamp_ns))
        return (depth is None or counts['received'] > 0) and \
            (not info or counts['camera_infos'] > 0)
    assert camera.wait(arrived, 10.0)


def _cloud_points(cloud: PointCloud2) -> np.ndarray:
    """(N, 3) x, y, z of an x, y, z float32 cloud, decoded from its declared layout."""
    assert [(f.name, f.offset, f.datatype) for f in cloud.fields] == [
        ('x', 0, 7), ('y', 4, 7), ('z', 8, 7)] and cloud.point_step == 12
    order = '>' if cloud.is_bigendian else '<'
    return np.frombuffer(bytes(cloud.data), order + 'f4').reshape(-1, 3)


def _largest_region_centroid(mask_msg: Image):
    mask = np.frombuffer(bytes(mask_msg.data), np.uint8).reshape(
        mask_msg.height, mask_msg.step)
    _, _, stats, centroids = cv2.connectedComponentsWithStats(
        (mask[:, :mask_msg.width] > 0).astype(np.uint8), connectivity=8)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return centroids[largest]


def _depth_table(camera: Camera, wanted: dict):
    """Return the last /diagnostics depth values once they show ``wanted`` (key -> value)."""
    found = {}

    def ready():
        for array in reversed(camera.received['diagnostics']):
            for status in array.status:
                values = {kv.key: kv.value for kv in status.values}
                if status.name.startswith(OUT.lstrip('/')) and 'frames with depth' in values:
                    found.update(values, level=status.level, message=status.message)
                    return all(values.get(key) == value for key, value in wanted.items())
        return False
    assert camera.wait(ready, 15.0), f'diagnostics never showed {wanted}: {found}'
    return found


def test_people_in_3d_from_real_frames_and_depth_gone_wrong(lucia, models_dir):
    bgr, truth = lucia
    depth = np.where(truth, PERSON_MM, WALL_MM).astype(np.uint16)
    under_test = NodeInContext(
        PersonSegmentationNode, namespace=NS, parameter_overrides=[
            Parameter('model', value='deeplabv3_mnv2_257'), Parameter('max_age', value=0.0),
            Parameter('use_depth', value=True), Parameter('diagnostics_period', value=0.2)])
    camera = Camera()
    try:
        assert camera.wait(lambda: camera.colour.get_subscription_count() > 0
                           and camera.depth.get_subscription_count() > 0
                           and camera.info.get_subscription_count() > 0)

        # 1. depth, but no camera_info yet: segmented and published, no 3D, a warning
        _prime(camera, under_test.node.pipelines[0], _stamp(101), depth)
        camera.send(_stamp(101), bgr, depth)

        # 2. with camera_info: the person at the hand-worked point, the cloud on the person
        _prime(camera, under_test.node.pipelines[0], _stamp(102), info=True)
        camera.send(_stamp(102), bgr, depth, info=_camera_info(_stamp(102)))
        nearest = camera.of('nearest', _stamp(102))
        assert nearest is not None and nearest.header.frame_id == FRAME_ID
        mask = camera.of('mask', _stamp(102))
        u, v = _largest_region_centroid(mask)
        assert nearest.point.z == pytest.approx(1.5, abs=1e-6)  # within 2 % or 3 cm: exact
        assert nearest.point.x == pytest.approx((u - CX) * 1.5 / FX, abs=1e-4)
        assert nearest.point.y == pytest.approx((v - CY) * 1.5 / FY, abs=1e-4)
        cloud = camera.of('cloud', _stamp(102))
        assert cloud.header.frame_id == FRAME_ID and cloud.is_dense
        points = _cloud_points(cloud)
        assert 500 <= len(points) <= 5000
        assert np.allclose(points[:, 2], 1.5)  # none of the mask's bleed onto the wall
        columns = np.round(points[:, 0] * FX / points[:, 2] + CX).astype(int)
        rows = np.round(points[:, 1] * FY / points[:, 2] + CY).astype(int)
        assert truth[rows, columns].mean() >= 0.99  # the cloud overlays the person

        # every frame is segmented and published whatever its depth (send waits for its mask)
        # 3. depth of another size (not aligned): refused by name
        camera.send(_stamp(103), bgr, np.full((240, 427), PERSON_MM, np.uint16))
        # 4. the depth stream stopped: stale
        camera.send(_stamp(108), bgr)
        # 5. 32FC1 with NaN everywhere and 6. 16UC1 zeros: people, none measured: NaN
        camera.send(_stamp(109), bgr, np.full((480, 854), np.nan, np.float32), '32FC1')
        camera.send(_stamp(110), bgr, np.zeros((480, 854), np.uint16))
        # 7. nobody in view: +inf, an empty cloud
        grey = np.full_like(bgr, 128)
        camera.send(_stamp(111), grey, depth)
        assert camera.of('nearest', _stamp(111)) is not None

        # one topic arrives in order: these and only these frames had their people in 3D
        assert camera.stamps('nearest') == [102, 109, 110, 111]
        assert camera.stamps('cloud') == [102, 109, 110, 111]
        for stamp in (109, 110):
            point = camera.of('nearest', _stamp(stamp)).point
            assert all(math.isnan(c) for c in (point.x, point.y, point.z)), stamp
            assert camera.of('cloud', _stamp(stamp)).width == 0
        point = camera.of('nearest', _stamp(111)).point
        assert (point.x, point.y, point.z) == (math.inf, math.inf, math.inf)
        assert camera.of('cloud', _stamp(111)).width == 0

        table = _depth_table(camera, {
            'frames with depth': '4', 'frames without depth: no camera_info': '1',
            'frames without depth: depth size': '1', 'frames without depth: stale depth': '1'})
        assert table['depth topic'] == f'{NS}/depth/image'
        assert table['depth camera_info topic'] == f'{NS}/depth/camera_info'
        assert table['depth stamp offset p50 (ms)'] == '0.0'
        with camera.lock:
            log = [m.msg for m in camera.received['rosout'] if m.level >= 30]
        for words in ('no depth for this frame (no camera_info): no camera_info received yet',
                      'no depth for this frame (depth size): depth image 427x240 and colour '
                      'image 854x480 differ in size',
                      'no depth for this frame (stale depth): the newest depth image is 5.000 s '
                      'older than the colour frame'):
            assert any(words in line for line in log), (words, log)
    finally:
        camera.close()
        under_test.close()


def test_without_depth_there_is_no_depth_input_or_output(models_dir):
    """No depth topic given: the node works exactly as before, with no depth entities."""
    under_test = NodeInContext(PersonSegmentationNode, namespace=f'{NS}_plain',
                               parameter_overrides=[Parameter('model',
                                                              value='deeplabv3_mnv2_257')])
    try:
        node = under_test.node
        assert [s.topic_name for s in node.subscriptions] == [f'{NS}_plain/image']
        outputs = {p.topic_name.rpartition('/')[2] for p in node.publishers
                   if p.topic_name.startswith(f'{NS}_plain/person_segmentation/')}
        assert outputs == {'mask', 'probability', 'overlay', 'person_detected'}
        assert node.pipelines[0].depth is None
    finally:
        under_test.close()


def test_several_cameras_each_with_its_own_depth(lucia, models_dir):
    """camera_0 has depth (its camera_info beside it), camera_1 has none."""
    bgr, truth = lucia
    ns = f'{NS}_multi'
    under_test = NodeInContext(PersonSegmentationNode, namespace=ns, parameter_overrides=[
        Parameter('model', value='deeplabv3_mnv2_257'), Parameter('max_age', value=0.0),
        Parameter('images', value=[f'{ns}/front/color/image_raw',
                                   f'{ns}/rear/color/image_raw']),
        Parameter('depth_images', value=[f'{ns}/front/aligned_depth_to_color/image_raw', ''])])
    front = Camera(prefix=f'{ns}/unused', out=f'{ns}/person_segmentation/camera_0')
    try:
        node = under_test.node
        front.colour = front.node.create_publisher(Image, f'{ns}/front/color/image_raw',
                                                   RELIABLE)
        front.depth = front.node.create_publisher(
            Image, f'{ns}/front/aligned_depth_to_color/image_raw', RELIABLE)
        front.info = front.node.create_publisher(
            CameraInfo, f'{ns}/front/aligned_depth_to_color/camera_info', RELIABLE)
        assert [p.depth is not None for p in node.pipelines] == [True, False]
        published = {p.topic_name for p in node.publishers}
        assert f'{ns}/person_segmentation/camera_0/nearest_person' in published
        assert f'{ns}/person_segmentation/camera_1/nearest_person' not in published
        assert front.wait(lambda: front.depth.get_subscription_count() > 0
                          and front.info.get_subscription_count() > 0
                          and front.colour.get_subscription_count() > 0)
        depth = np.where(truth, PERSON_MM, WALL_MM).astype(np.uint16)
        _prime(front, node.pipelines[0], _stamp(201), depth, info=True)
        front.send(_stamp(201), bgr, depth, info=_camera_info(_stamp(201)))
        nearest = front.of('nearest', _stamp(201))
        assert nearest is not None and nearest.point.z == pytest.approx(1.5, abs=1e-6)
    finally:
        front.close()
        under_test.close()


def test_bad_depth_parameters_are_refused_with_the_reason(models_dir):
    under_test = NodeInContext(PersonSegmentationNode, namespace=f'{NS}_params',
                               parameter_overrides=[
                                   Parameter('model', value='deeplabv3_mnv2_257'),
                                   Parameter('use_depth', value=True)])
    try:
        node = under_test.node
        result = node.set_parameters([Parameter('depth_min', value=12.0)])[0]
        assert not result.successful
        assert result.reason == 'depth_min must be below depth_max, got 12.0 and 10.0'
        result = node.set_parameters([Parameter('depth_erosion', value=0.5)])[0]
        assert not result.successful and 'below 0.5' in result.reason
        assert node.set_parameters([Parameter('depth_tolerance', value=0.1)])[0].successful
        assert node.pipelines[0].depth.pairing.tolerance == pytest.approx(0.1)
        assert node.set_parameters([Parameter('depth_max_points', value=100)])[0].successful
        assert node.settings.depth_max_points == 100
    finally:
        under_test.close()
    with pytest.raises(ValueError, match='use_depth is for the one camera of image'):
        NodeInContext(PersonSegmentationNode, namespace=f'{NS}_bad', parameter_overrides=[
            Parameter('images', value=['/a/image', '/b/image']),
            Parameter('use_depth', value=True)])
    with pytest.raises(ValueError, match='depth_images must give each of the 2 images'):
        NodeInContext(PersonSegmentationNode, namespace=f'{NS}_bad', parameter_overrides=[
            Parameter('images', value=['/a/image', '/b/image']),
            Parameter('depth_images', value=['/a/depth'])])


def test_a_managed_node_subscribes_to_depth_only_while_active(models_dir):
    under_test = NodeInContext(ManagedPersonSegmentationNode, namespace=f'{NS}_managed',
                               parameter_overrides=[
                                   Parameter('model', value='deeplabv3_mnv2_257'),
                                   Parameter('lifecycle', value=True),
                                   Parameter('use_depth', value=True)])
    try:
        node = under_test.node

        def depth_subscriptions():
            return sorted(s.topic_name for s in node.subscriptions if 'depth' in s.topic_name)

        node.trigger_configure()
        assert depth_subscriptions() == []
        assert f'{NS}_managed/person_segmentation/nearest_person' in {
            p.topic_name for p in node.publishers}
        node.trigger_activate()
        assert depth_subscriptions() == [f'{NS}_managed/depth/camera_info',
                                         f'{NS}_managed/depth/image']
        node.trigger_deactivate()
        assert depth_subscriptions() == []
    finally:
        under_test.close()


def test_depth_inputs_follow_what_their_publishers_offer_and_say_so(models_dir):
    """qos_reliability auto: depth image and camera_info each as the image, log line included."""
    ns = f'{NS}_qos'
    driver = Listener('depth_driver')
    driver.listen('rosout', Log, '/rosout', QoSProfile(  # the node's lines from before the match
        depth=1000, reliability=ReliabilityPolicy.RELIABLE,
        durability=DurabilityPolicy.TRANSIENT_LOCAL))
    under_test = NodeInContext(PersonSegmentationNode, namespace=ns, parameter_overrides=[
        Parameter('model', value='deeplabv3_mnv2_257'), Parameter('use_depth', value=True)])
    try:
        node = under_test.node
        depth_topic, info_topic = f'{ns}/depth/image', f'{ns}/depth/camera_info'
        driver.node.create_publisher(Image, depth_topic, RELIABLE)  # no camera_info publisher
        line = f'depth image publishers offer reliable: subscribing to {depth_topic} as reliable'
        assert driver.wait(lambda: any(line in m.msg for m in driver.received['rosout'])), [
            m.msg for m in driver.received['rosout']]
        assert {s.topic_name: s.qos_profile.reliability for s in node.subscriptions
                if 'depth' in s.topic_name} == {depth_topic: ReliabilityPolicy.RELIABLE,
                                                info_topic: ReliabilityPolicy.BEST_EFFORT}
    finally:
        driver.close()
        under_test.close()
