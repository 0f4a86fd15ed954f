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
A camera's calibration as sensor_msgs/CameraInfo carries it, from a file or four numbers.

A depth image is turned into 3D with the intrinsics of its CameraInfo, so a bag made from
RGB-D footage needs one beside each image. Calibrations come as the YAML files ROS's
``camera_calibration`` writes and ``camera_info_manager`` reads (camera_calibration_parsers'
format: ``image_width``, ``image_height``, ``camera_matrix``, ``distortion_coefficients``,
``rectification_matrix``, ``projection_matrix`` required, as its parser requires them;
``camera_name`` and ``distortion_model`` optional, plumb_bob assumed as it does), or as the
four numbers RGB-D datasets publish (fx, fy, cx, cy of an undistorted image). Plain values
here; ``bags.camera_info_message`` makes the message. Standard library and PyYAML.
"""

from dataclasses import dataclass
import math
import pathlib
from typing import Tuple

import yaml

PLUMB_BOB = 'plumb_bob'
_IDENTITY_3X3 = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
# key -> (rows, cols) it must have; None: any number of columns (distortion models differ)
_MATRICES = {'camera_matrix': (3, 3), 'distortion_coefficients': (1, None),
             'rectification_matrix': (3, 3), 'projection_matrix': (3, 4)}


class CalibrationError(ValueError):
    """A calibration that cannot be read or used; the message names the file and the problem."""


@dataclass(frozen=True)
class CameraCalibration:
    """The fields of a sensor_msgs/CameraInfo that do not change from frame to frame."""

    width: int
    height: int
    k: Tuple[float, ...]  # 3x3 row-major
    d: Tuple[float, ...]
    r: Tuple[float, ...]  # 3x3 row-major
    p: Tuple[float, ...]  # 3x4 row-major
    distortion_model: str = PLUMB_BOB
    camera_name: str = ''
    source: str = ''  # where it came from, for messages

    def check_size(self, width: int, height: int, what: str = 'the images') -> None:
        """Raise CalibrationError unless the calibration is of a ``width`` x ``height`` image."""
        if (self.width, self.height) != (int(width), int(height)):
            raise CalibrationError(
                f'{self.source or "the calibration"} is of a {self.width}x{self.height} image '
                f'but {what} are {width}x{height}: a calibration holds for one image size only')


def _check_focal_lengths(fx: float, fy: float, cx: float, cy: float, source: str) -> None:
    if not all(math.isfinite(value) for value in (fx, fy, cx, cy)):
        raise CalibrationError(f'{source}: fx, fy, cx, cy must be finite numbers, got '
                               f'{fx}, {fy}, {cx}, {cy}')
    if fx <= 0 or fy <= 0:
        raise CalibrationError(f'{source}: the focal lengths fx, fy must be positive, got '
                               f'{fx}, {fy} (an uncalibrated camera?)')


def calibration_from_intrinsics(fx: float, fy: float, cx: float, cy: float, width: int,
                                height: int, source: str = '--intrinsics') -> CameraCalibration:
    """
    Return the calibration of an undistorted (rectified) image with these intrinsics.

    K = [fx 0 cx; 0 fy cy; 0 0 1], P = [K | 0], R = identity and plumb_bob with five zero
    coefficients: what RGB-D drivers publish for their aligned depth (RealSense, Orbbec).
    """
    fx, fy, cx, cy = (float(value) for value in (fx, fy, cx, cy))
    _check_focal_lengths(fx, fy, cx, cy, source)
    return CameraCalibration(
        width=int(width), height=int(height), k=(fx, 0.0, cx, 0.0, fy, cy, 0.0, 0.0, 1.0),
        d=(0.0,) * 5, r=_IDENTITY_3X3,
        p=(fx, 0.0, cx, 0.0, 0.0, fy, cy, 0.0, 0.0, 0.0, 1.0, 0.0), source=source)


def parse_intrinsics(text: str) -> Tuple[float, float, float, float]:
    """``'fx,fy,cx,cy'`` -> four floats; CalibrationError naming what is wrong."""
    parts = [part.strip() for part in str(text).split(',')]
    if len(parts) != 4:
        raise CalibrationError(f'--intrinsics takes four numbers fx,fy,cx,cy (pixels), got '
                               f'{text!r}')
    try:
        fx, fy, cx, cy = (float(part) for part in parts)
    except ValueError:
        raise CalibrationError(f'--intrinsics takes four numbers fx,fy,cx,cy (pixels), got '
                               f'{text!r}') from None
    _check_focal_lengths(fx, fy, cx, cy, '--intrinsics')
    return fx, fy, cx, cy


def _matrix(document: dict, key: str, source: str) -> Tuple[float, ...]:
    rows, cols = _MATRICES[key]
    node = document.get(key)
    if not isinstance(node, dict) or not {'rows', 'cols', 'data'} <= set(node):
        raise CalibrationError(f'{source}: {key} must be a mapping with rows, cols and data')
    try:
        got_rows, got_cols = int(node['rows']), int(node['cols'])
        data = tuple(float(value) for value in node['data'])
    except (TypeError, ValueError):
        raise CalibrationError(f'{source}: {key} must hold integer rows and cols and a list '
                               f'of numbers as data') from None
    if got_rows != rows or (cols is not None and got_cols != cols):
        shape = f'{rows}x{cols}' if cols is not None else f'{rows}xN'
        raise CalibrationError(f'{source}: {key} must be {shape}, is {got_rows}x{got_cols}')
    if len(data) != got_rows * got_cols:
        raise CalibrationError(f'{source}: {key} is {got_rows}x{got_cols} but its data has '
                               f'{len(data)} numbers')
    if not all(math.isfinite(value) for value in data):
        raise CalibrationError(f'{source}: {key} holds a number that is not finite')
    return data


def read_calibration_yaml(path) -> CameraCalibration:
    """
    Read a camera_calibration / camera_info_manager YAML file; CalibrationError if unusable.

    The focal lengths must be positive in the projection matrix or, where they are not (a
    driver that fills only K), in the camera matrix: what the node back-projects with.
    """
    path = pathlib.Path(path)
    source = str(path)
    try:
        document = yaml.safe_load(path.read_text())
    except OSError as error:
        raise CalibrationError(f'cannot read the calibration {source}: '
                               f'{error.strerror or error}') from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise CalibrationError(f'{source} is not a YAML calibration file: {error}') from None
    if not isinstance(document, dict):
        raise CalibrationError(f'{source} is not a camera_calibration YAML file (expected a '
                               f'mapping with image_width, camera_matrix, ...)')
    missing = [key for key in ('image_width', 'image_height', *_MATRICES) if key not in document]
    if missing:
        raise CalibrationError(f'{source} lacks {", ".join(missing)} (camera_calibration '
                               f'YAML format, as camera_info_manager reads it)')
    try:
        width, height = int(document['image_width']), int(document['image_height'])
    except (TypeError, ValueError):
        raise CalibrationError(f'{source}: image_width and image_height must be integers') \
            from None
    if width <= 0 or height <= 0:
        raise CalibrationError(f'{source}: image size must be positive, is {width}x{height}')
    k, d, r, p = (_matrix(document, key, source) for key in _MATRICES)
    calibration = CameraCalibration(
        width=width, height=height, k=k, d=d, r=r, p=p,
        distortion_model=str(document.get('distortion_model', PLUMB_BOB)),
        camera_name=str(document.get('camera_name', '')), source=source)
    _check_focal_lengths(*projection(calibration), source)
    return calibration


def projection(calibration: CameraCalibration) -> Tuple[float, float, float, float]:
    """
    (fx, fy, cx, cy) the node back-projects with: from P where its fx and fy are positive, else K.

    The rule of engine.pinhole.intrinsics_from_calibration, which this layer may not import
    (test_camera_info holds them to the same answer): a file the node reads is accepted here.
    """
    p, k = calibration.p, calibration.k
    return (p[0], p[5], p[2], p[6]) if p[0] > 0 and p[5] > 0 else (k[0], k[4], k[2], k[5])
