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
What the depth path reads: CameraInfo intrinsics and depth image messages, by hand-made numbers.

The messages are the real sensor_msgs classes (plain Python, no rclpy needed).
"""

import numpy as np
from person_segmentation.engine.pinhole import (intrinsics_from_calibration, IntrinsicsError,
                                                PinholeIntrinsics)
from person_segmentation.media.depth_image import depth_fields_to_array
from person_segmentation.media.image_conversion import ImageConversionError
from person_segmentation.node.depth_pairing import intrinsics_from_camera_info
import pytest
from sensor_msgs.msg import CameraInfo, RegionOfInterest

K = [600.0, 0.0, 321.0, 0.0, 601.0, 239.0, 0.0, 0.0, 1.0]
P = [500.0, 0.0, 320.0, 0.0, 0.0, 500.0, 240.0, 0.0, 0.0, 0.0, 1.0, 0.0]


def test_back_projection_by_hand():
    camera = PinholeIntrinsics(fx=500, fy=400, cx=320, cy=240, width=640, height=480)
    points = camera.back_project(np.array([320, 420, 0]), np.array([240, 40, 479]),
                                 np.array([2.0, 2.0, 4.0]))
    # (420 - 320) * 2 / 500 = 0.4; (40 - 240) * 2 / 400 = -1.0; optical frame: y down
    assert points == pytest.approx(np.array([[0.0, 0.0, 2.0], [0.4, -1.0, 2.0],
                                             [-2.56, 2.39, 4.0]]))


def test_projection_matrix_is_preferred_to_k():
    camera = intrinsics_from_calibration(K, P, 640, 480)
    assert (camera.fx, camera.fy, camera.cx, camera.cy) == (500.0, 500.0, 320.0, 240.0)
    assert camera.source == 'P' and not camera.distorted


def test_k_when_p_is_empty():
    camera = intrinsics_from_calibration(K, [0.0] * 12, 640, 480, d=[0.1, 0.0, 0.0, 0.0, 0.0])
    assert (camera.fx, camera.fy, camera.cx, camera.cy) == (600.0, 601.0, 321.0, 239.0)
    assert camera.source == 'K' and camera.distorted


def test_binning_and_roi_shrink_and_shift_the_intrinsics():
    # 2x2 binning of a 1280x960 sensor: 640x480, focal and centre halved
    binned = intrinsics_from_calibration(K, [2 * v for v in P[:3]] + [0.0, 0.0]
                                         + [2 * v for v in P[5:7]] + [0.0] * 3 + [1.0, 0.0],
                                         1280, 960, binning_x=2, binning_y=2)
    assert (binned.fx, binned.cx, binned.width, binned.height) == (500.0, 320.0, 640, 480)
    # a 200x100 region of interest at (100, 50): the centre moves by the offset
    roi = intrinsics_from_calibration(K, P, 640, 480, roi=(100, 50, 200, 100))
    assert (roi.cx, roi.cy, roi.width, roi.height) == (220.0, 190.0, 200, 100)


def test_uncalibrated_camera_info_is_refused_by_name():
    with pytest.raises(IntrinsicsError, match='not calibrated'):
        intrinsics_from_calibration([0.0] * 9, [0.0] * 12, 640, 480)
    with pytest.raises(IntrinsicsError, match='focal lengths must be positive'):
        PinholeIntrinsics(fx=-1, fy=500, cx=0, cy=0, width=640, height=480)


def test_from_a_camera_info_message():
    info = CameraInfo(width=640, height=480, k=K, p=P, d=[0.0] * 5,
                      distortion_model='plumb_bob', binning_x=0, binning_y=0,
                      roi=RegionOfInterest())
    camera = intrinsics_from_camera_info(info)
    assert camera == PinholeIntrinsics(fx=500, fy=500, cx=320, cy=240, width=640,
                                       height=480)
    camera.check_size(640, 480)
    with pytest.raises(IntrinsicsError, match='640x480 image but the depth image is 1280x720'):
        camera.check_size(1280, 720)


def test_16uc1_with_padded_rows_and_big_endian():
    millimetres = np.array([[0, 1500, 65535], [4000, 1, 2]], np.uint16)
    padded = np.zeros((2, 4), '<u2')
    padded[:, :3] = millimetres
    out = depth_fields_to_array('16UC1', 2, 3, 8, False, padded.tobytes())
    assert out.dtype == np.uint16 and np.array_equal(out, millimetres)
    out = depth_fields_to_array('16UC1', 2, 3, 6, True, millimetres.astype('>u2').tobytes())
    assert np.array_equal(out, millimetres)
    assert np.array_equal(depth_fields_to_array('mono16', 2, 3, 6, False,
                                                millimetres.tobytes()), millimetres)


def test_32fc1_keeps_nan():
    metres = np.array([[1.5, np.nan, np.inf]], np.float32)
    out = depth_fields_to_array('32FC1', 1, 3, 12, False, bytearray(metres.tobytes()))
    assert out.dtype == np.float32 and out[0, 0] == 1.5 and np.isnan(out[0, 1])
    out = depth_fields_to_array('32FC1', 1, 3, 12, True, metres.astype('>f4').tobytes())
    assert out[0, 0] == 1.5 and np.isinf(out[0, 2])


@pytest.mark.parametrize('fields, kind, words', [
    (('rgb8', 2, 2, 6, b'\0' * 12), 'depth encoding', r'16UC1 \(millimetres\) or 32FC1'),
    (('16UC1', 2, 2, 3, b'\0' * 8), 'step', 'step 3 is smaller'),
    (('32FC1', 2, 2, 8, b'\0' * 8), 'data size', 'data has 8 bytes'),
    (('16UC1', 0, 2, 4, b''), 'empty', 'empty image'),
])
def test_bad_depth_messages_are_named(fields, kind, words):
    encoding, height, width, step, data = fields
    with pytest.raises(ImageConversionError, match=words) as error:
        depth_fields_to_array(encoding, height, width, step, False, data)
    assert error.value.kind == kind
