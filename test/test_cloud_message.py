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
The person cloud's PointCloud2: decoded the way a consumer decodes it, after a trip on the wire.

sensor_msgs_py (read_points) is not on PyPI, so the decoder here builds a numpy structured dtype
from the message's own fields, offsets, point_step and byte order, as read_points does.
"""

import sys

from builtin_interfaces.msg import Time
import numpy as np
from person_segmentation.node.cloud_message import xyz_cloud
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
