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
People in 3D: how far each person is, where, and the points of all people, from aligned depth.

A safety node acts on "a person 1.4 m ahead", a costmap on the points people occupy. Real depth
is unkind: zero or NaN where the sensor saw nothing (dark clothes, glare, too close), noise that
grows with distance, and a person mask whose edges bleed onto the background behind. So:

- **distance per person**: the ``percentile`` (default 25th) of the valid depths inside the
  person's mask eroded by ``erosion`` x its bounding box's smaller side (at least 1 px). Erosion
  drops the edge pixels that bleed onto the background and the depth edge's flying pixels; a
  low percentile, not the median, reports the person's near surface (a hand held forward, the
  front of the body), which is the conservative answer for safety, while ignoring up to that
  share of near-side outliers (speckle). Where erosion leaves fewer than ``min_valid_pixels``
  valid depths (a thin or small person, holes) the whole mask is used; where that has too few,
  the person has no distance (``None``), which is not the same as no person.
- **point per person**: the mask's centroid pixel back-projected at that distance: stable from
  frame to frame (the mean of many pixels, not one noisy pixel), on the person's axis, and at
  the near-surface depth; the extent is in the cloud and in ``extent``.
- **cloud**: every person pixel with a valid depth within ``depth_band`` of its person's
  distance (which removes edge bleed onto what is behind or in front), back-projected, then
  decimated to at most ``max_points``: a pixel grid whose stride leaves between max_points and
  4 x max_points of the people's pixels (bounded work whatever their size), then a random
  subset drawn with a fixed seed (the same frame always gives the same cloud).

Depth is uint16 millimetres (REP 118 ``16UC1``; 0 = no reading) or float metres (``32FC1``; NaN
and inf = no reading); readings outside [min_depth, max_depth] count as no reading. Only
numpy and OpenCV.
"""

from dataclasses import dataclass
from math import floor, sqrt
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from person_segmentation.engine.pinhole import PinholeIntrinsics
from person_segmentation.engine.regions import label_regions, PersonRegion

Vector3 = Tuple[float, float, float]


class DepthInputError(ValueError):
    """Depth that cannot be paired with the mask (size, type); the message names the problem."""


@dataclass(frozen=True)
class DepthSettings:
    """How people are measured in depth; see the module docstring for why these defaults."""

    min_depth: float = 0.1  # m: nearer readings are noise or a sensor's minimum range
    max_depth: float = 10.0  # m: further readings are too noisy to act on
    percentile: float = 25.0  # low percentile of a person's depths: its near surface
    erosion: float = 0.1  # erosion of the mask, as a share of its bounding box's smaller side
    min_valid_pixels: int = 10  # fewer valid depths than this: not measured
    depth_band: float = 0.5  # m: cloud keeps a person's pixels this close to its distance
    max_points: int = 5000  # points in the cloud at most
    seed: int = 0  # of the random decimation (fixed: same frame, same cloud)

    def __post_init__(self):
        """Refuse settings that cannot measure anything, naming the setting."""
        problems = []
        if not 0.0 <= self.min_depth < self.max_depth:
            problems.append(f'need 0 <= min_depth < max_depth, got {self.min_depth} and '
                            f'{self.max_depth}')
        if not 0.0 <= self.percentile <= 100.0:
            problems.append(f'percentile must be in [0, 100], got {self.percentile}')
        if not 0.0 <= self.erosion < 0.5:
            problems.append(f'erosion must be in [0, 0.5), got {self.erosion}')
        if self.min_valid_pixels < 1:
            problems.append(f'min_valid_pixels must be at least 1, got {self.min_valid_pixels}')
        if not self.depth_band > 0.0:
            problems.append(f'depth_band must be positive, got {self.depth_band}')
        if self.max_points < 1:
            problems.append(f'max_points must be at least 1, got {self.max_points}')
        if problems:
            raise ValueError('; '.join(problems))


@dataclass(frozen=True)
class Person3D:
    """One person region measured in depth; distances in metres, in the optical frame."""

    bbox: Tuple[int, int, int, int]  # x, y, width, height in pixels (as PersonRegion)
    area: int  # pixels in the region
    centroid: Tuple[float, float]  # mean pixel (u, v) of the region
    valid_fraction: float  # share of the region's pixels with a valid depth
    depth: Optional[float] = None  # robust near-surface depth z; None: no valid depth
    point: Optional[Vector3] = None  # centroid pixel back-projected at ``depth``
    from_core: bool = False  # measured inside the eroded mask (False: whole mask or none)
    extent: Optional[Tuple[Vector3, Vector3]] = None  # min and max corner of its cloud points

    @property
    def distance(self) -> Optional[float]:
        """Return the straight-line distance from the camera to ``point``, or None."""
        return None if self.point is None else float(np.linalg.norm(self.point))


@dataclass(frozen=True)
class People3D:
    """Every person region of a frame in depth, the nearest measured one, and their cloud."""

    people: List[Person3D]  # largest first, like find_regions
    cloud: np.ndarray  # (N, 3) float32 points in the optical frame, N <= max_points

    @property
    def nearest(self) -> Optional[Person3D]:
        """Return the measured person with the smallest distance, or None."""
        measured = [person for person in self.people if person.point is not None]
        return min(measured, key=lambda person: person.distance) if measured else None


def depth_in_metres(depth: np.ndarray, min_depth: float = 0.0,
                    max_depth: float = float('inf')) -> np.ndarray:
    """Depth as float32 metres with NaN wherever there is no reading in [min_depth, max_depth]."""
    if depth.dtype == np.uint16:
        metres = depth.astype(np.float32) * np.float32(0.001)
        metres[depth == 0] = np.nan
    elif depth.dtype in (np.float32, np.float64):
        metres = depth.astype(np.float32, copy=True)
    else:
        raise DepthInputError(f'depth must be uint16 millimetres (16UC1) or float metres '
                              f'(32FC1), got {depth.dtype}')
    with np.errstate(invalid='ignore'):
        metres[~((metres >= min_depth) & (metres <= max_depth))] = np.nan
    return metres


def locate_people(mask: np.ndarray, depth: np.ndarray, intrinsics: PinholeIntrinsics,
                  settings: DepthSettings = DepthSettings(), min_area: int = 0) -> People3D:
    """
    Measure every person region of ``mask`` (nonzero = person) in ``depth``, aligned to it.

    ``min_area`` drops regions smaller than that many pixels, as in find_regions. Raises
    DepthInputError when depth and mask differ in size and IntrinsicsError when the
    intrinsics describe another image size.
    """
    _check_aligned(mask, depth, intrinsics)
    binary = (mask > 0).view(np.uint8)
    regions, labels = label_regions(binary, binary, min_area)
    return measure_people(labels, regions, depth, intrinsics, settings)


def measure_people(labels: np.ndarray, regions: Sequence[PersonRegion], depth: np.ndarray,
                   intrinsics: PinholeIntrinsics,
                   settings: DepthSettings = DepthSettings()) -> People3D:
    """
    Do what ``locate_people`` does, for regions already labelled; one person each, in order.

    ``regions`` and ``labels`` are ``regions.label_regions``'s: the engine's own
    (``SegmentationResult.regions`` and ``.labels``), or those of a mask.
    """
    _check_aligned(labels, depth, intrinsics)
    if not regions:
        return People3D(people=[], cloud=np.zeros((0, 3), np.float32))
    total_area = sum(region.area for region in regions)
    # a grid of at least max_points pixels and fewer than 4 x max_points (bounded work)
    stride = max(1, floor(sqrt(total_area / settings.max_points)))
    chebyshev = cv2.distanceTransform((labels > 0).astype(np.uint8), cv2.DIST_C, 3)
    people, clouds = [], []
    for region in regions:
        person, points = _measure(labels, region, chebyshev, depth, intrinsics, settings,
                                  stride)
        people.append(person)
        clouds.append(points)
    cloud = np.concatenate(clouds)
    if len(cloud) > settings.max_points:
        chosen = np.random.default_rng(settings.seed).choice(
            len(cloud), settings.max_points, replace=False)
        cloud = cloud[np.sort(chosen)]
    return People3D(people=people, cloud=np.ascontiguousarray(cloud, dtype=np.float32))


def _check_aligned(image: np.ndarray, depth: np.ndarray, intrinsics: PinholeIntrinsics):
    if depth.ndim != 2 or image.ndim != 2 or depth.shape != image.shape:
        raise DepthInputError(
            f'depth image {_size(depth)} and colour image {_size(image)} differ: the depth must '
            f'be a single-channel image aligned to the colour image (same size and pixel grid)')
    intrinsics.check_size(image.shape[1], image.shape[0])


def _size(array: np.ndarray) -> str:
    shape = array.shape
    return f'{shape[1]}x{shape[0]}' + (f'x{shape[2]}' if len(shape) > 2 else '')


def _measure(labels, region, chebyshev, depth, intrinsics, settings, stride):
    """One person: its robust depth and point, and its cloud points (pixels on the stride grid)."""
    label, bbox, area, centroid = region.label, region.bbox, region.area, region.centroid
    x, y, w, h = bbox
    inside = labels[y:y + h, x:x + w] == label
    metres = depth_in_metres(depth[y:y + h, x:x + w], settings.min_depth, settings.max_depth)
    valid = inside & np.isfinite(metres)
    valid_count = int(np.count_nonzero(valid))
    erosion = max(1, round(settings.erosion * min(w, h))) if settings.erosion > 0 else 0
    core = valid & (chebyshev[y:y + h, x:x + w] > erosion)
    from_core = int(np.count_nonzero(core)) >= settings.min_valid_pixels
    person = Person3D(bbox=bbox, area=area, centroid=centroid,
                      valid_fraction=valid_count / area)
    if not from_core and valid_count < settings.min_valid_pixels:
        return person, np.zeros((0, 3), np.float32)
    z = float(np.percentile(metres[core if from_core else valid], settings.percentile))
    point = intrinsics.back_project(centroid[0], centroid[1], z)
    # cloud: this person's valid pixels on the global stride grid, near its distance
    rows = np.arange(y, y + h)
    columns = np.arange(x, x + w)
    grid = np.zeros_like(valid)
    grid[np.ix_((rows % stride) == 0, (columns % stride) == 0)] = True
    with np.errstate(invalid='ignore'):
        keep = valid & grid & (np.abs(metres - z) <= settings.depth_band)
    v, u = np.nonzero(keep)
    points = intrinsics.back_project(u + x, v + y, metres[v, u])
    extent = None
    if len(points):
        extent = (tuple(float(c) for c in points.min(axis=0)),
                  tuple(float(c) for c in points.max(axis=0)))
    person = Person3D(bbox=bbox, area=area, centroid=centroid,
                      valid_fraction=valid_count / area, depth=z,
                      point=tuple(float(c) for c in point), from_core=from_core, extent=extent)
    return person, points
