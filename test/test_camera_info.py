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

"""media/camera_info: calibration files and intrinsics read as camera_info_manager reads them."""

from person_segmentation.engine.pinhole import intrinsics_from_calibration, IntrinsicsError
from person_segmentation.media import bags
from person_segmentation.media.camera_info import (calibration_from_intrinsics,
                                                   CalibrationError,
                                                   parse_intrinsics, projection,
                                                   read_calibration_yaml)
import pytest

# As ROS's camera_calibration (cameracalibrator) writes it: a TUM fr3 camera's numbers.
CALIBRATION = """\
image_width: 640
image_height: 480
camera_name: fr3_rgb
camera_matrix:
  rows: 3
  cols: 3
  data: [535.4, 0.0, 320.1, 0.0, 539.2, 247.6, 0.0, 0.0, 1.0]
distortion_model: plumb_bob
distortion_coefficients:
  rows: 1
  cols: 5
  data: [0.0, 0.0, 0.0, 0.0, 0.0]
rectification_matrix:
  rows: 3
  cols: 3
  data: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
projection_matrix:
  rows: 3
  cols: 4
  data: [535.4, 0.0, 320.1, 0.0, 0.0, 539.2, 247.6, 0.0, 0.0, 0.0, 1.0, 0.0]
"""


def _file(tmp_path, text, name='camera.yaml'):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_camera_calibration_file_is_read_whole(tmp_path):
    calibration = read_calibration_yaml(_file(tmp_path, CALIBRATION))
    assert (calibration.width, calibration.height) == (640, 480)
    assert calibration.camera_name == 'fr3_rgb' and calibration.distortion_model == 'plumb_bob'
    assert calibration.k == (535.4, 0.0, 320.1, 0.0, 539.2, 247.6, 0.0, 0.0, 1.0)
    assert calibration.d == (0.0,) * 5
    assert calibration.p[:3] == (535.4, 0.0, 320.1) and calibration.p[5:7] == (539.2, 247.6)
    assert projection(calibration) == (535.4, 539.2, 320.1, 247.6)
    calibration.check_size(640, 480)
    with pytest.raises(CalibrationError, match=r'640x480 image but the video frames are '
                                               r'1280x720'):
        calibration.check_size(1280, 720, 'the video frames')


def test_optional_keys_default_as_camera_info_manager_does(tmp_path):
    text = CALIBRATION.replace('camera_name: fr3_rgb\n', '').replace(
        'distortion_model: plumb_bob\n', '')
    calibration = read_calibration_yaml(_file(tmp_path, text))
    assert calibration.camera_name == '' and calibration.distortion_model == 'plumb_bob'


@pytest.mark.parametrize('edit, message', [
    (lambda t: t.replace('image_height: 480\n', '').replace(
        'projection_matrix:', 'projection_matrix_:'),
     r'lacks image_height, projection_matrix \(camera_calibration YAML format'),
    (lambda t: t.replace('data: [535.4, 0.0, 320.1, 0.0, 539.2, 247.6, 0.0, 0.0, 1.0]',
                         'data: [535.4, 0.0, 320.1]'),
     r'camera_matrix is 3x3 but its data has 3 numbers'),
    (lambda t: t.replace('  rows: 3\n  cols: 4', '  rows: 3\n  cols: 3'),
     r'projection_matrix must be 3x4, is 3x3'),
    (lambda t: t.replace('image_width: 640', 'image_width: wide'),
     r'image_width and image_height must be integers'),
    (lambda t: t.replace('535.4', '0.0').replace('539.2', '0.0'),
     r'focal lengths fx, fy must be positive, got 0.0, 0.0'),
    (lambda t: t.replace('data: [0.0, 0.0, 0.0, 0.0, 0.0]', 'data: [0.0, .nan, 0, 0, 0]'),
     r'distortion_coefficients holds a number that is not finite'),
    (lambda t: 'camera_matrix: [1, 2\n', r'is not a YAML calibration file'),
    (lambda t: '- 1\n- 2\n', r'is not a camera_calibration YAML file'),
])
def test_unusable_calibration_files_are_named_with_the_problem(tmp_path, edit, message):
    path = _file(tmp_path, edit(CALIBRATION))
    with pytest.raises(CalibrationError, match=message) as raised:
        read_calibration_yaml(path)
    assert str(path) in str(raised.value)


K = [535.4, 0.0, 320.1, 0.0, 539.2, 247.6, 0.0, 0.0, 1.0]
P = [535.4, 0.0, 320.1, 0.0, 0.0, 539.2, 247.6, 0.0, 0.0, 0.0, 1.0, 0.0]
ONLY_P22 = [0.0] * 10 + [1.0, 0.0]  # P unset but for its homogeneous 1 (a driver filling K)


@pytest.mark.parametrize('k, p', [
    (K, P), (K, [0.0] * 12), (K, ONLY_P22), ([0.0] * 9, P), ([0.0] * 9, ONLY_P22),
    (K, [535.4, 0.0, 320.1, 0.0, 0.0, 0.0, 247.6, 0.0, 0.0, 0.0, 1.0, 0.0]),
    (K, [-535.4, 0.0, 320.1, 0.0, 0.0, 539.2, 247.6, 0.0, 0.0, 0.0, 1.0, 0.0]),
])
def test_a_file_is_accepted_exactly_when_the_node_can_use_it(tmp_path, k, p):
    """
    One rule for K or P (engine.pinhole's): a file is refused only if the node refuses it.

    Before, a P that was not all zero was used even with fx = 0 (ONLY_P22): refused here, read
    by the node from K.
    """
    text = CALIBRATION.replace(str(K), str(k)).replace(str(P), str(p))
    assert f'data: {k}' in text and f'data: {p}' in text
    path = _file(tmp_path, text)
    try:
        node = intrinsics_from_calibration(k, p, 640, 480)
    except IntrinsicsError:
        with pytest.raises(CalibrationError, match='focal lengths fx, fy must be positive'):
            read_calibration_yaml(path)
        return
    calibration = read_calibration_yaml(path)
    assert (calibration.k, calibration.p) == (tuple(k), tuple(p))
    assert projection(calibration) == (node.fx, node.fy, node.cx, node.cy)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CalibrationError, match=rf'cannot read the calibration '
                                               rf'{tmp_path}/none.yaml: No such file'):
        read_calibration_yaml(tmp_path / 'none.yaml')


def test_intrinsics_make_an_undistorted_camera_the_node_reads_back(tmp_path):
    assert parse_intrinsics(' 500, 510.5,320,240 ') == (500.0, 510.5, 320.0, 240.0)
    calibration = calibration_from_intrinsics(500, 510.5, 320, 240, 640, 480)
    assert calibration.k == (500.0, 0.0, 320.0, 0.0, 510.5, 240.0, 0.0, 0.0, 1.0)
    assert calibration.p == (500.0, 0.0, 320.0, 0.0, 0.0, 510.5, 240.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    assert calibration.r == (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
    # the CameraInfo written gives the node these intrinsics, through a bag's serialisation
    msg = bags.camera_info_message(calibration, 1_500_000_000, 'camera_color_optical_frame')
    raw = bags.TYPESTORE.serialize_cdr(msg, 'sensor_msgs/msg/CameraInfo')
    back = bags.TYPESTORE.deserialize_cdr(raw, 'sensor_msgs/msg/CameraInfo')
    assert bags.stamp_to_ns(back.header.stamp) == 1_500_000_000
    assert back.header.frame_id == 'camera_color_optical_frame'
    assert (back.width, back.height, back.distortion_model) == (640, 480, 'plumb_bob')
    roi = back.roi
    intrinsics = intrinsics_from_calibration(back.k, back.p, back.width, back.height, d=back.d,
                                             roi=(roi.x_offset, roi.y_offset, roi.width,
                                                  roi.height))
    assert (intrinsics.fx, intrinsics.fy, intrinsics.cx, intrinsics.cy) == (500, 510.5, 320, 240)
    assert (intrinsics.width, intrinsics.height, intrinsics.distorted) == (640, 480, False)


@pytest.mark.parametrize('text, message', [
    ('500,500,320', 'four numbers fx,fy,cx,cy'),
    ('500,500,320,x', 'four numbers fx,fy,cx,cy'),
    ('0,500,320,240', 'focal lengths fx, fy must be positive'),
    ('500,500,nan,240', 'must be finite numbers'),
])
def test_bad_intrinsics_are_refused_with_the_reason(text, message):
    with pytest.raises(CalibrationError, match=message):
        parse_intrinsics(text)
