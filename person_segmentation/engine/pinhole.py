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
Pinhole camera intrinsics: the link between a depth pixel and a point in the camera frame.

A depth image aligned to the colour image says, per pixel, how far along the optical axis the
surface is (z); the intrinsics turn pixel (u, v) at depth z into a point in the camera's optical
frame (REP 103: x right, y down, z forward): x = (u - cx) z / fx, y = (v - cy) z / fy.

From a ``sensor_msgs/CameraInfo`` the focal lengths and principal point are read from the
projection matrix P, as ``image_geometry`` and ``depth_image_proc`` do: P describes the
rectified image, and a depth image meant for back-projection is rectified (RealSense, ZED and
Orbbec publish undistorted images whose K equals P's left 3x3). K is the fallback when P's fx or
fy is not positive (a driver that fills only K). Binning and a region of interest shrink and
shift the image, so they shrink and shift the intrinsics the same way (image_geometry's reduced
camera model).
Kept free of ROS: the fields come in as plain numbers.
"""

from dataclasses import dataclass
from typing import Sequence, Tuple

import numpy as np


class IntrinsicsError(ValueError):
    """A calibration that cannot back-project pixels (no focal length, wrong size)."""


@dataclass(frozen=True)
class PinholeIntrinsics:
    """Focal lengths and principal point in pixels of one image size; ``source`` says K or P."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    source: str = 'P'
    distorted: bool = False  # the calibration lists lens distortion the back-projection ignores

    def __post_init__(self):
        """Refuse a calibration that cannot back-project (focal length not positive)."""
        if not (np.isfinite(self.fx) and np.isfinite(self.fy) and self.fx > 0 and self.fy > 0):
            raise IntrinsicsError(f'focal lengths must be positive, got fx={self.fx}, '
                                  f'fy={self.fy} (an uncalibrated camera_info?)')
        if self.width <= 0 or self.height <= 0:
            raise IntrinsicsError(f'image size must be positive, got {self.width}x{self.height}')

    def check_size(self, width: int, height: int, what: str = 'depth image') -> None:
        """Raise IntrinsicsError unless the intrinsics describe an image of this size."""
        if (width, height) != (self.width, self.height):
            raise IntrinsicsError(
                f'camera_info describes a {self.width}x{self.height} image but the {what} is '
                f'{width}x{height}: the camera_info must be the one of the depth image '
                f"(aligned to colour: the colour camera's)")

    def back_project(self, u, v, z) -> np.ndarray:
        """Points (N, 3) in the optical frame of pixels (u, v) at depths z (metres), float32."""
        z = np.asarray(z, dtype=np.float32)
        x = (np.asarray(u, dtype=np.float32) - np.float32(self.cx)) * z / np.float32(self.fx)
        y = (np.asarray(v, dtype=np.float32) - np.float32(self.cy)) * z / np.float32(self.fy)
        return np.stack([x, y, z], axis=-1)


def intrinsics_from_calibration(k: Sequence[float], p: Sequence[float], width: int,
                                height: int, d: Sequence[float] = (), binning_x: int = 0,
                                binning_y: int = 0,
                                roi: Tuple[int, int, int, int] = (0, 0, 0, 0)
                                ) -> PinholeIntrinsics:
    """
    Intrinsics of the published image from the fields of a CameraInfo.

    ``k`` (9 numbers, row-major 3x3) and ``p`` (12, row-major 3x4) as in CameraInfo; ``roi`` is
    (x_offset, y_offset, width, height), all zero for the full image; binning 0 or 1 means none.
    """
    source, matrix = 'P', np.asarray(p, dtype=np.float64).reshape(-1)
    if matrix.size != 12 or matrix[0] <= 0 or matrix[5] <= 0:
        source, k_matrix = 'K', np.asarray(k, dtype=np.float64).reshape(-1)
        if k_matrix.size != 9 or k_matrix[0] <= 0 or k_matrix[4] <= 0:
            raise IntrinsicsError('camera_info has no focal length: K and P are both zero or '
                                  'malformed (the camera is not calibrated)')
        fx, fy, cx, cy = k_matrix[0], k_matrix[4], k_matrix[2], k_matrix[5]
    else:
        fx, fy, cx, cy = matrix[0], matrix[5], matrix[2], matrix[6]
    x_offset, y_offset, roi_width, roi_height = (int(value) for value in roi)
    bin_x, bin_y = max(int(binning_x), 1), max(int(binning_y), 1)
    full_width = roi_width if roi_width > 0 else int(width) - x_offset
    full_height = roi_height if roi_height > 0 else int(height) - y_offset
    distorted = bool(np.any(np.asarray(d, dtype=np.float64) != 0.0))
    return PinholeIntrinsics(fx=float(fx / bin_x), fy=float(fy / bin_y),
                             cx=float((cx - x_offset) / bin_x), cy=float((cy - y_offset) / bin_y),
                             width=full_width // bin_x, height=full_height // bin_y,
                             source=source, distorted=distorted)
