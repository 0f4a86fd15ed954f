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
The depth outputs' messages: the cloud, the nearest person, each person's position.

The PointCloud2 is decoded the way a consumer decodes it, after a trip on the wire:
sensor_msgs_py (read_points) is not on PyPI, so the decoder here builds a numpy structured dtype
from the message's own fields, offsets, point_step and byte order, as read_points does.
"""

import math
import sys
from types import SimpleNamespace

from builtin_interfaces.msg import Time
from geometry_msgs.msg import PointStamped
import numpy as np
from person_segmentation.engine.people_3d import People3D, Person3D
from person_segmentation.node import messages
from person_segmentation.node.messages import nearest_person, xyz_cloud
import pytest
from rclpy.serialization import deserialize_message, serialize_message
from sensor_msgs.msg import PointCloud2, PointField
from std_msgs.msg import Header

_NUMPY = {PointField.FLOAT32: 'f4', PointField.FLOAT64: 'f8', PointField.UINT16: 'u2'}


def _decode(cloud):
    """(N, 3) x, y, z of a PointCloud2, from its declared layout."""
    order = '>' if cloud.is_bigendian else '<'
    fields = {f.name: f for f in cloud.fields}
    dtype = np.dtype({'names': ['x', 'y', 'z'],
                      'formats': [order + _NUMPY[fields[n].datatype] for n in 'xyz'],
                      'offsets': [fields[n].offset for n in 'xyz'],
                      'itemsize': cloud.point_step})
    records = np.frombuffer(bytes(cloud.data), dtype=dtype, count=cloud.width * cloud.height)
    return np.stack([records[n] for n in 'xyz'], axis=-1)


def test_points_survive_encoding_and_the_wire():
    points = np.array([[0.1, -0.2, 1.5], [-3.25, 0.0, 9.75], [1e-3, 2e-3, 0.3]])
    header = Header(stamp=Time(sec=42, nanosec=7), frame_id='camera_color_optical_frame')
    cloud = deserialize_message(serialize_message(xyz_cloud(points, header)), PointCloud2)
    assert cloud.header.frame_id == 'camera_color_optical_frame'
    assert (cloud.header.stamp.sec, cloud.header.stamp.nanosec) == (42, 7)
    assert (cloud.height, cloud.width, cloud.point_step, cloud.row_step) == (1, 3, 12, 36)
    assert [(f.name, f.offset, f.datatype, f.count) for f in cloud.fields] == [
        ('x', 0, PointField.FLOAT32, 1), ('y', 4, PointField.FLOAT32, 1),
        ('z', 8, PointField.FLOAT32, 1)]
    assert cloud.is_dense and cloud.is_bigendian == (sys.byteorder == 'big')
    assert np.array_equal(_decode(cloud), points.astype(np.float32))


def test_empty_cloud_is_a_valid_message():
    cloud = deserialize_message(serialize_message(xyz_cloud(np.zeros((0, 3)))), PointCloud2)
    assert (cloud.width, cloud.row_step, len(cloud.data)) == (0, 0, 0)
    assert _decode(cloud).shape == (0, 3)


def test_bad_points_are_refused():
    with pytest.raises(ValueError, match=r'\(N, 3\)'):
        xyz_cloud(np.zeros((4, 2)))
    with pytest.raises(ValueError, match='finite'):
        xyz_cloud(np.array([[0.0, 0.0, np.nan]]))


def _person(point):
    return Person3D(bbox=(0, 0, 2, 2), area=4, centroid=(1.0, 1.0), valid_fraction=1.0,
                    depth=None if point is None else point[2], point=point)


def test_the_nearest_person_nobody_and_unmeasured_people_are_told_apart():
    """A safety node reads: finite = distance, NaN = a person at unknown distance, inf = clear."""
    header = Header(stamp=Time(sec=3, nanosec=4), frame_id='camera_color_optical_frame')
    empty = np.zeros((0, 3), np.float32)
    people = People3D([_person((0.5, 0.1, 3.0)), _person((-0.2, 0.0, 1.4)), _person(None)],
                      empty)
    msg = deserialize_message(serialize_message(nearest_person(header, people)), PointStamped)
    assert msg.header == header
    assert (msg.point.x, msg.point.y, msg.point.z) == pytest.approx((-0.2, 0.0, 1.4))
    unmeasured = nearest_person(header, People3D([_person(None)], empty)).point
    assert all(math.isnan(value) for value in (unmeasured.x, unmeasured.y, unmeasured.z))
    nobody = nearest_person(header, People3D([], empty)).point
    assert (nobody.x, nobody.y, nobody.z) == (math.inf, math.inf, math.inf)


def _vision_msgs_4():
    """Stand-ins with vision_msgs 4's structure (not installable here)."""
    def point():
        return SimpleNamespace(x=0.0, y=0.0, z=0.0)

    def hypothesis():
        return SimpleNamespace(hypothesis=SimpleNamespace(class_id='', score=0.0),
                               pose=SimpleNamespace(pose=SimpleNamespace(position=point())))

    def detection(header):
        return SimpleNamespace(header=header, id='', results=[], bbox=SimpleNamespace(
            center=SimpleNamespace(position=SimpleNamespace(x=0.0, y=0.0), theta=0.0),
            size_x=0.0, size_y=0.0))
    return {'Detection2DArray': lambda header: SimpleNamespace(header=header, detections=[]),
            'Detection2D': detection, 'ObjectHypothesisWithPose': hypothesis}


def test_each_person_on_persons_gets_its_position_with_depth(monkeypatch):
    for name, stand_in in _vision_msgs_4().items():
        monkeypatch.setattr(messages, name, stand_in)
    header = Header(frame_id='camera_color_optical_frame')
    regions = [SimpleNamespace(bbox=(10, 20, 30, 60), confidence=0.9),
               SimpleNamespace(bbox=(100, 20, 10, 20), confidence=0.7)]
    found = messages.detections(header, regions, [(0.1, -0.2, 1.5), None])
    first, second = (d.results[0].pose.pose.position for d in found.detections)
    assert (first.x, first.y, first.z) == (0.1, -0.2, 1.5)
    assert all(math.isnan(value) for value in (second.x, second.y, second.z))
    assert found.detections[0].bbox.center.position.x == 25.0
    without = messages.detections(header, regions)  # no depth for the frame: as before
    position = without.detections[0].results[0].pose.pose.position
    assert (position.x, position.y, position.z) == (0.0, 0.0, 0.0)
