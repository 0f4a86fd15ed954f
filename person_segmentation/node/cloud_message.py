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
An x, y, z float32 sensor_msgs/PointCloud2 from an (N, 3) array, for costmaps and viewers.

The layout is the one nav2's obstacle and voxel layers, its collision monitor and RViz read:
three FLOAT32 fields x, y, z at offsets 0, 4, 8, point_step 12, one row (height 1, width N,
unordered), every point finite (is_dense), data in this machine's byte order (is_bigendian says
which). The message classes are plain Python and need no rclpy; the node gives the header.
"""

import array
import sys

import numpy as np
from sensor_msgs.msg import PointCloud2, PointField

_FIELDS = tuple(('xyz'[i], 4 * i) for i in range(3))
POINT_STEP = 12


def xyz_cloud(points: np.ndarray, header=None) -> PointCloud2:
    """PointCloud2 of ``points`` (N, 3), metres, with ``header`` (the input frame's) if given."""
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] != 3:
        raise ValueError(f'points must be an (N, 3) array, got shape {points.shape}')
    points = np.ascontiguousarray(points, dtype=np.float32)
    if not np.isfinite(points).all():
        raise ValueError('points must be finite (the cloud is published dense)')
    data = array.array('B')
    data.frombytes(points.tobytes())
    cloud = PointCloud2(
        height=1, width=len(points),
        fields=[PointField(name=name, offset=offset, datatype=PointField.FLOAT32, count=1)
                for name, offset in _FIELDS],
        is_bigendian=sys.byteorder == 'big', point_step=POINT_STEP,
        row_step=POINT_STEP * len(points), data=data, is_dense=True)
    if header is not None:
        cloud.header = header
    return cloud
