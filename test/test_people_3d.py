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
People in 3D from a mask and aligned depth, against numbers worked out by hand.

The scenes (test/depth_scenes.py): a 640x480 camera, fx = fy = 500, cx = 320, cy = 240, a wall
4 m away, a 40x80 px person box at x 300-339, y 200-279 (3200 px, centroid (319.5, 239.5)) at
1.5 m unless said otherwise. Back-projection: x = (u - 320) z / 500, y = (v - 240) z / 500.
"""

import math

import cv2
from depth_scenes import box_person, centroid, INTRINSICS, render, silhouette
import numpy as np
from person_segmentation.engine.people_3d import (depth_in_metres, DepthInputError,
                                                  DepthSettings, locate_people)
from person_segmentation.engine.pinhole import IntrinsicsError, PinholeIntrinsics
import pytest

BOX = (300, 200, 40, 80)


def _one(scene, settings=DepthSettings()):
    result = locate_people(scene.mask, scene.depth, INTRINSICS, settings)
    assert len(result.people) == 1
    return result, result.people[0]


@pytest.mark.parametrize('dtype', [np.uint16, np.float32])
def test_box_at_known_depth(dtype):
    result, person = _one(render(box_person(BOX), 1.5, dtype=dtype))
    assert person.bbox == BOX and person.area == 3200
    assert person.centroid == (319.5, 239.5)
    assert person.depth == pytest.approx(1.5, abs=1e-6)
    # centroid (319.5, 239.5) at 1.5 m: x = -0.5 * 1.5 / 500 = -0.0015, y = -0.0015
    assert person.point == pytest.approx((-0.0015, -0.0015, 1.5), abs=1e-6)
    assert person.distance == pytest.approx(math.sqrt(1.5 ** 2 + 2 * 0.0015 ** 2), abs=1e-6)
    assert person.from_core and person.valid_fraction == 1.0
    # 3200 px <= max_points: stride 1, every pixel; x from (300-320)*0.003 = -0.06 to
    # (339-320)*0.003 = 0.057, y from (200-240)*0.003 = -0.12 to (279-240)*0.003 = 0.117
    assert result.cloud.shape == (3200, 3) and result.cloud.dtype == np.float32
    low, high = person.extent
    assert low == pytest.approx((-0.06, -0.12, 1.5), abs=1e-6)
    assert high == pytest.approx((0.057, 0.117, 1.5), abs=1e-6)
    assert result.nearest is person


def test_off_centre_person_distance_is_straight_line():
    # box x 400-439 at 2 m: centroid u = 419.5 -> x = 99.5 * 2 / 500 = 0.398, y = -0.002
    _, person = _one(render(box_person((400, 200, 40, 80)), 2.0))
    assert person.point == pytest.approx((0.398, -0.002, 2.0), abs=1e-6)
    assert person.distance == pytest.approx(math.sqrt(4.0 + 0.398 ** 2 + 0.002 ** 2), abs=1e-6)


def test_mask_bleeding_onto_the_wall_is_not_in_the_distance_or_the_cloud():
    # the mask grows 3 px past the person onto the 4 m wall: 46x86 = 3956 px, 756 on the wall
    result, person = _one(render(box_person(BOX), 1.5, bleed=3))
    assert person.area == 46 * 86
    assert person.depth == pytest.approx(1.5, abs=1e-6)
    assert len(result.cloud) == 3200  # the 756 wall pixels are outside the 0.5 m band
    assert np.all(np.abs(result.cloud[:, 2] - 1.5) < 1e-6)


def test_erosion_keeps_edge_outliers_out_of_the_distance():
    scene = render(box_person(BOX), 1.5)
    # the mask's outer 2 px read 1.2 m (flying pixels of a nearer edge)
    ring = box_person(BOX) & ~box_person((302, 202, 36, 76))
    scene.depth[ring] = 1200
    minimum = DepthSettings(percentile=0.0)
    # erosion round(0.1 * 40) = 4 px: the ring is outside the core
    assert _one(scene, minimum)[1].depth == pytest.approx(1.5, abs=1e-6)
    # without erosion the minimum is the ring
    no_erosion = DepthSettings(percentile=0.0, erosion=0.0)
    assert _one(scene, no_erosion)[1].depth == pytest.approx(1.2, abs=1e-6)


@pytest.mark.parametrize('dtype', [np.uint16, np.float32])
def test_holes_zero_nan_and_dark_clothes(dtype):
    scene = render(box_person(BOX), 1.5, dropout=0.3, dark_patch=True, dtype=dtype, seed=3)
    missing = int(np.count_nonzero(~np.isfinite(depth_in_metres(scene.depth))[scene.person]))
    _, person = _one(scene)
    assert person.depth == pytest.approx(1.5, abs=1e-6)
    assert person.valid_fraction == pytest.approx(1 - missing / 3200)
    assert person.valid_fraction < 0.6  # dark third + 30 % dropouts


def test_float_depth_invalid_values():
    depth = np.array([[1.5, np.nan, np.inf, -np.inf, -1.0, 0.0, 0.05, 12.0]], np.float32)
    metres = depth_in_metres(depth, 0.1, 10.0)
    assert metres[0, 0] == pytest.approx(1.5)
    assert np.isnan(metres[0, 1:]).all()
    millimetres = np.array([[1500, 0, 50, 65535]], np.uint16)
    assert np.isnan(depth_in_metres(millimetres, 0.1, 10.0)[0, 1:]).all()
    assert depth_in_metres(millimetres)[0, 0] == pytest.approx(1.5)
    with pytest.raises(DepthInputError, match='uint16 millimetres'):
        depth_in_metres(np.zeros((2, 2), np.int32))


def test_noisy_depth_within_target():
    scene = render(box_person(BOX), 1.5, noise=3.0, dropout=0.1, seed=5)  # sigma ~2.5 cm
    _, person = _one(scene)
    assert abs(person.depth - 1.5) <= max(0.03, 0.02 * 1.5)
    assert person.depth <= 1.5  # the low percentile errs towards nearer


def test_erosion_leaves_no_valid_depth_falls_back_to_the_whole_mask():
    scene = render(box_person(BOX), 1.5)
    # the eroded core (4 px in: x 304-335, y 204-275) reads nothing, only a 3 px rim does
    scene.depth[box_person((303, 203, 34, 74))] = 0
    _, person = _one(scene)
    assert not person.from_core
    assert person.depth == pytest.approx(1.5, abs=1e-6)


def test_person_without_depth_is_reported_unmeasured_not_dropped():
    # two people: one at 2 m, one too close for the sensor (0.05 m, below min_depth 0.1)
    near = box_person((100, 100, 60, 120))
    far = box_person(BOX)
    scene = render(far, 2.0)
    scene.depth[near] = 50
    scene.mask[near] = 255
    result = locate_people(scene.mask, scene.depth, INTRINSICS)
    unmeasured, measured = result.people  # largest first, like find_regions
    assert unmeasured.bbox == (100, 100, 60, 120) and unmeasured.depth is None
    assert unmeasured.point is None and unmeasured.distance is None
    assert unmeasured.valid_fraction == 0.0
    assert result.nearest is measured and measured.depth == pytest.approx(2.0, abs=1e-6)
    assert np.all(np.abs(result.cloud[:, 2] - 2.0) < 1e-6)


def test_nearest_of_several_people():
    scene = render(box_person(BOX), 3.0)
    scene.depth[box_person((450, 150, 50, 100))] = 2200
    scene.mask[box_person((450, 150, 50, 100))] = 255
    result = locate_people(scene.mask, scene.depth, INTRINSICS)
    assert [round(p.depth, 3) for p in result.people] == [2.2, 3.0]
    # centroid (474.5, 199.5) at 2.2 m: x = 154.5 * 2.2 / 500, y = -40.5 * 2.2 / 500
    assert result.nearest.point == pytest.approx((0.6798, -0.1782, 2.2), abs=1e-6)


def test_cloud_is_bounded_decimated_and_repeatable():
    scene = render(box_person((100, 40, 400, 400)), 1.0)  # 160000 px
    settings = DepthSettings(max_points=5000)
    result = locate_people(scene.mask, scene.depth, INTRINSICS, settings)
    # stride floor(sqrt(160000 / 5000)) = 5: columns 100..495, rows 40..435 -> 80 x 80 = 6400
    # grid pixels, 5000 of them drawn
    assert len(result.cloud) == 5000
    on_grid = np.round(result.cloud[:, :2] * 500 + [320, 240]).astype(int)
    assert np.all(on_grid % 5 == 0)
    assert result.people[0].extent[0] == pytest.approx(((100 - 320) / 500, (40 - 240) / 500, 1))
    assert result.people[0].extent[1] == pytest.approx(((495 - 320) / 500, (435 - 240) / 500, 1))
    # the same frame gives the same cloud
    line = np.zeros((480, 640), np.uint8)
    line[100:400, 300] = 255  # 300 px, max 100 -> stride 1 -> 300 pixels -> 100 drawn
    depth = np.full((480, 640), 2000, np.uint16)
    few = DepthSettings(max_points=100)
    a = locate_people(line, depth, INTRINSICS, few).cloud
    b = locate_people(line, depth, INTRINSICS, few).cloud
    assert len(a) == 100 and np.array_equal(a, b)
    assert np.all(np.diff(a[:, 1]) > 0)  # kept in image order
    assert np.allclose(a[:, 0], (300 - 320) * 2 / 500)


def test_no_people():
    result = locate_people(np.zeros((480, 640), np.uint8), np.zeros((480, 640), np.uint16),
                           INTRINSICS)
    assert result.people == [] and result.nearest is None and result.cloud.shape == (0, 3)


def test_depth_of_another_size_is_refused_by_name():
    mask = np.zeros((480, 640), np.uint8)
    with pytest.raises(DepthInputError, match='depth image 320x240 and colour image 640x480'):
        locate_people(mask, np.zeros((240, 320), np.uint16), INTRINSICS)
    with pytest.raises(DepthInputError, match='single-channel'):
        locate_people(mask, np.zeros((480, 640, 3), np.uint16), INTRINSICS)
    small = PinholeIntrinsics(fx=250, fy=250, cx=160, cy=120, width=320, height=240)
    with pytest.raises(IntrinsicsError, match='320x240 image but the depth image is 640x480'):
        locate_people(mask, np.zeros((480, 640), np.uint16), small)


def test_settings_are_validated():
    with pytest.raises(ValueError, match='min_depth < max_depth'):
        DepthSettings(min_depth=5.0, max_depth=1.0)
    with pytest.raises(ValueError, match='percentile'):
        DepthSettings(percentile=120.0)
    with pytest.raises(ValueError, match='max_points'):
        DepthSettings(max_points=0)


def test_real_person_mask_with_synthetic_depth(davis_dir, models_dir):
    """The real model's mask of a real person, depth made from the ground truth."""
    from person_segmentation import Segmenter

    frame_path = davis_dir / 'JPEGImages' / '480p' / 'lucia' / '00030.jpg'
    truth = cv2.imread(str(davis_dir / 'Annotations' / '480p' / 'lucia' / '00030.png'),
                       cv2.IMREAD_GRAYSCALE) > 0
    rgb = cv2.cvtColor(cv2.imread(str(frame_path)), cv2.COLOR_BGR2RGB)
    segmenter = Segmenter('deeplabv3_mnv2_513', threads=1)
    try:
        mask = segmenter(rgb).mask
    finally:
        segmenter.close()
    height, width = truth.shape
    camera = PinholeIntrinsics(fx=600, fy=600, cx=width / 2, cy=height / 2, width=width,
                               height=height)
    rng = np.random.default_rng(0)
    depth = np.where(truth, 2.0, 5.0) + rng.normal(0, 0.01, truth.shape)  # person at 2 m
    depth = np.round(depth * 1000).astype(np.uint16)
    depth[rng.random(truth.shape) < 0.05] = 0
    result = locate_people(mask, depth, camera, min_area=int(0.0001 * mask.size))
    nearest = result.nearest
    assert abs(nearest.depth - 2.0) <= 0.03
    # the cloud overlays the person: every point projects back inside the true mask
    u = np.round(result.cloud[:, 0] * 600 / result.cloud[:, 2] + width / 2).astype(int)
    v = np.round(result.cloud[:, 1] * 600 / result.cloud[:, 2] + height / 2).astype(int)
    assert len(result.cloud) > 500
    assert truth[v, u].mean() >= 0.99
    # and it is where the person is: its mean projects near the true centroid
    true_u, true_v = centroid(truth)
    assert abs(np.mean(u) - true_u) < 5 and abs(np.mean(v) - true_v) < 8


def test_silhouette_helper_is_person_sized():
    # a 1.7 m person at 2 m: 1.7 * 500 / 2 = 425 px tall
    rows = np.nonzero(silhouette(2.0).any(axis=1))[0]
    assert rows[-1] - rows[0] == pytest.approx(425, abs=3)
