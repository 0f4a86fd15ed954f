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
node/camera_depth: a colour frame's people in 3D from the depth message of its stamp, or why not.

The scene is worked out by hand (test/depth_scenes.py): fx = fy = 500, cx = 320, cy = 240, a
40x80 person box with its top-left pixel at (300, 200), 1.5 m away, before a wall at 4 m. Its
centroid pixel is (319.5, 239.5), so its point is ((319.5 - 320) x 1.5 / 500, (239.5 - 240) x
1.5 / 500, 1.5) = (-0.0015, -0.0015, 1.5).
"""

import math

import depth_scenes
import numpy as np
from person_segmentation.engine.people_3d import DepthSettings
from person_segmentation.engine.regions import label_regions
from person_segmentation.node.camera_depth import CameraDepth
import pytest
from sensor_msgs.msg import CameraInfo, Image

T0 = 1_700_000_000_000_000_000
K = [500.0, 0.0, 320.0, 0.0, 500.0, 240.0, 0.0, 0.0, 1.0]
P = [500.0, 0.0, 320.0, 0.0, 0.0, 500.0, 240.0, 0.0, 0.0, 0.0, 1.0, 0.0]


def _depth_message(depth: np.ndarray, stamp: int, encoding='16UC1') -> Image:
    msg = Image(height=depth.shape[0], width=depth.shape[1], encoding=encoding,
                step=depth.strides[0], data=depth.tobytes())
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp, 10**9)
    return msg


def _labelled(mask):
    """Return the engine's label image and regions of ``mask`` (as the node passes them)."""
    regions, labels = label_regions(mask, (mask > 0).astype(np.float32), min_area=50)
    return labels, regions


def _camera(info=True) -> CameraDepth:
    camera = CameraDepth(tolerance=0.03, capacity=30)
    if info:
        camera.on_camera_info(CameraInfo(width=640, height=480, k=K, p=P))
    return camera


def test_a_paired_frame_gives_the_person_at_its_hand_worked_point():
    scene = depth_scenes.render(depth_scenes.box_person(), 1.5, wall=4.0, bleed=2)
    camera = _camera()
    camera.on_depth(_depth_message(scene.depth, T0 + 5_000_000))  # 5 ms after colour
    outcome = camera.measure(T0, *_labelled(scene.mask), DepthSettings())
    assert outcome.problem is None and outcome.offset == pytest.approx(0.005)
    (person,) = outcome.people.people
    assert person.depth == pytest.approx(1.5)
    assert person.point == pytest.approx((-0.0015, -0.0015, 1.5))
    # the bleed onto the wall is not in the cloud: every point at the person's 1.5 m
    assert len(outcome.people.cloud) > 0
    assert np.allclose(outcome.people.cloud[:, 2], 1.5)
    counts = camera.snapshot()
    assert (counts['received'], counts['camera_infos'], counts['paired']) == (1, 1, 1)
    assert counts['unpaired'] == {} and counts['offset_p50'] == pytest.approx(0.005)


def test_32fc1_nan_and_16uc1_zero_are_no_reading():
    scene = depth_scenes.render(depth_scenes.box_person(), 2.0, wall=4.0, dtype=np.float32)
    scene.depth[depth_scenes.box_person()] = np.nan  # the sensor saw nothing on the person
    camera = _camera()
    camera.on_depth(_depth_message(scene.depth, T0, '32FC1'))
    (person,) = camera.measure(T0, *_labelled(scene.mask),
                               DepthSettings()).people.people
    assert person.depth is None and person.valid_fraction == 0.0  # a person, no distance
    zeros = np.zeros((480, 640), np.uint16)
    camera.on_depth(_depth_message(zeros, T0 + 33_000_000))
    (person,) = camera.measure(T0 + 33_000_000, *_labelled(scene.mask),
                               DepthSettings()).people.people
    assert person.point is None


@pytest.mark.parametrize('setup, kind, words', [
    (lambda camera: None, 'no depth', 'no depth image received yet'),
    (lambda camera: camera.on_depth(_depth_message(np.ones((480, 640), np.uint16),
                                                   T0 - 2 * 10**9)),
     'stale depth', 'the newest depth image is 2.000 s older than the colour frame'),
    (lambda camera: camera.on_depth(_depth_message(np.ones((240, 320), np.uint16), T0)),
     'depth size', 'depth image 320x240 and colour image 640x480 differ in size'),
    (lambda camera: camera.on_depth(_depth_message(np.ones((480, 640), np.uint8), T0,
                                                   'mono8')),
     'depth invalid: depth encoding', "unsupported depth encoding 'mono8'"),
])
def test_frames_without_usable_depth_say_why_and_are_counted(setup, kind, words):
    camera = _camera()
    setup(camera)
    mask = depth_scenes.render(depth_scenes.box_person(), 1.5).mask
    outcome = camera.measure(T0, *_labelled(mask), DepthSettings())
    assert outcome.people is None and outcome.problem[0] == kind
    assert words in outcome.problem[1]
    counts = camera.snapshot()
    assert counts['unpaired'] == {kind: 1} and counts['paired'] == 0
    assert words in counts['last_problem'] and math.isnan(counts['cost_p50'])


def test_without_camera_info_there_is_no_3d():
    camera = _camera(info=False)
    camera.on_depth(_depth_message(np.ones((480, 640), np.uint16), T0))
    outcome = camera.measure(T0, *_labelled(np.zeros((480, 640), np.uint8)), DepthSettings())
    assert outcome.problem[0] == 'no camera_info'


def test_the_people_are_the_engines_regions_and_nobody_is_an_empty_answer():
    """A speck below the engine's minimum area is no person; no region: no people, paired."""
    scene = depth_scenes.render(depth_scenes.box_person(), 1.5, wall=4.0)
    mask = scene.mask.copy()
    mask[10:13, 10:13] = 255  # 9 pixels: a speck label_regions drops (min_area 50)
    camera = _camera()
    camera.on_depth(_depth_message(scene.depth, T0))
    outcome = camera.measure(T0, *_labelled(mask), DepthSettings())
    assert [person.bbox for person in outcome.people.people] == [(300, 200, 40, 80)]
    camera.on_depth(_depth_message(scene.depth, T0 + 33_000_000))
    empty = camera.measure(T0 + 33_000_000, *_labelled(np.zeros_like(mask)), DepthSettings())
    assert empty.problem is None and empty.people.people == [] and len(empty.people.cloud) == 0
    assert camera.snapshot()['paired'] == 2


def test_a_calibration_with_distortion_is_noted_once():
    scene = depth_scenes.render(depth_scenes.box_person(), 1.5)
    camera = _camera(info=False)
    camera.on_camera_info(CameraInfo(width=640, height=480, k=K, p=P, d=[0.1, 0, 0, 0, 0]))
    notes = []
    for index in range(2):
        camera.on_depth(_depth_message(scene.depth, T0 + index))
        notes.append(camera.measure(T0 + index, *_labelled(scene.mask),
                                    DepthSettings()).note)
    assert 'lists lens distortion' in notes[0] and notes[1] == ''
