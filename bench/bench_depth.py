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
Depth benchmark (issue 22): distance error on synthetic scenes of known geometry, and cost.

Part 1: a real-size standing person (test/depth_scenes.py: head, torso, legs; 640x480 camera,
fx = fy = 500) at 0.5-6 m in front of a wall 2.5 m behind, rendered clean and spoiled the ways
real depth is: D435-like stereo noise (sigma = 0.0037 z^2 m), 10 % dropouts, a dark-clothes
third of the body with no reading, a mask bleeding 3 px onto the wall; uint16 mm and float32 m
(NaN holes); a flat person and a rounded one (a 0.15 m radius cylinder across the body: the
truth is its nearest surface). Prints, over --seeds noise draws, the worst error of the
reported depth against the truth and whether it is within the target (2 % or 3 cm).
Part 2: the same noisy scenes with the percentile at 5, 10, 25, 50 (why 25 is the default).
Part 3: ms per 640x480 frame: decoding a 16UC1 message, locate_people (with the labelling the
engine's regions already do), measure_people (labels given), the PointCloud2, for no person,
one person at 1.5 m, one at 0.8 m (116k px) and three people.

    .venv/bin/python -m bench.bench_depth [--seeds 5] [--repeat 50]

Numbers are printed, never asserted (test/test_people_3d.py asserts the geometry). Report the
load (``uptime``) with the timings.
"""

import argparse
import os

from bench.paths import load_test_helper
from bench.timing import median_ms
import numpy as np
from person_segmentation.engine.people_3d import DepthSettings, locate_people, measure_people
from person_segmentation.engine.regions import label_regions
from person_segmentation.media.depth_image import depth_fields_to_array
from person_segmentation.node.messages import xyz_cloud

depth_scenes = load_test_helper('depth_scenes')
INTRINSICS, render = depth_scenes.INTRINSICS, depth_scenes.render
silhouette = depth_scenes.silhouette

DISTANCES = (0.5, 0.8, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0)
SPOILED = {'bleed': 3, 'dropout': 0.1, 'dark_patch': True, 'noise': 1.0}
VARIANTS = (
    ('clean, uint16', {}, np.uint16, 0.0),
    ('spoiled, uint16', SPOILED, np.uint16, 0.0),
    ('spoiled, float32', SPOILED, np.float32, 0.0),
    ('spoiled, rounded body', SPOILED, np.uint16, 0.15),
)


def _target(distance):
    return max(0.03, 0.02 * distance)


def worst_error(distance, spoil, dtype, rounded, seeds, settings=DepthSettings()):
    """Worst (signed) depth error of the person over ``seeds`` noise draws, and its point."""
    person = silhouette(distance)
    errors = []
    for seed in range(seeds):
        scene = render(person, distance, wall=distance + 2.5, rounded=rounded, dtype=dtype,
                       seed=seed, **spoil)
        result = locate_people(scene.mask, scene.depth, INTRINSICS, settings)
        measured = result.nearest
        errors.append(np.nan if measured is None else measured.depth - distance)
    return errors[int(np.nanargmax(np.abs(errors)))]


def accuracy(seeds):
    print(f'\nPart 1: worst depth error over {seeds} draws (target: 2 % or 3 cm, whichever '
          f'is larger), default settings {DepthSettings()}')
    print('| scene | ' + ' | '.join(f'{d:g} m' for d in DISTANCES) + ' |')
    print('| --- ' * (len(DISTANCES) + 1) + '|')
    for name, spoil, dtype, rounded in VARIANTS:
        cells = []
        for distance in DISTANCES:
            error = worst_error(distance, spoil, dtype, rounded, seeds)
            mark = '' if abs(error) <= _target(distance) else ' (over)'
            cells.append(f'{1000 * error:+.0f} mm{mark}')
        print(f'| {name} | ' + ' | '.join(cells) + ' |')


def percentiles(seeds):
    print('\nPart 2: worst error of the spoiled uint16 scene by percentile')
    print('| percentile | ' + ' | '.join(f'{d:g} m' for d in DISTANCES) + ' |')
    print('| --- ' * (len(DISTANCES) + 1) + '|')
    for percentile in (5.0, 10.0, 25.0, 50.0):
        settings = DepthSettings(percentile=percentile)
        cells = []
        for distance in DISTANCES:
            error = worst_error(distance, SPOILED, np.uint16, 0.0, seeds, settings)
            share = 100 * abs(error) / distance
            cells.append(f'{1000 * error:+.0f} mm ({share:.1f} %)')
        print(f'| {percentile:g} | ' + ' | '.join(cells) + ' |')


def _scenes():
    one = render(silhouette(1.5), 1.5, wall=4.0, **SPOILED)
    close = render(silhouette(0.8), 0.8, wall=3.3, **SPOILED)
    three = render(silhouette(2.0, centre_u=160), 2.0, wall=5.0, **SPOILED)
    for u, distance in ((330, 3.0), (520, 2.5)):
        other = render(silhouette(distance, centre_u=u), distance, wall=5.0, **SPOILED, seed=u)
        three.depth[other.person] = other.depth[other.person]
        three.mask[other.mask > 0] = 255
    empty = render(np.zeros_like(one.person), 1.5, wall=4.0, noise=1.0)
    return (('no person', empty), ('one person at 1.5 m', one),
            ('one person at 0.8 m', close), ('three people', three))


def cost(repeat):
    print(f'\nPart 3: ms per 640x480 frame (median of {repeat}); load: '
          f'{" ".join(f"{v:.2f}" for v in os.getloadavg())}')
    print('| scene | person px | decode 16UC1 | locate_people | measure_people (labels '
          'given) | PointCloud2 | points |')
    print('| --- | --- | --- | --- | --- | --- | --- |')
    for name, scene in _scenes():
        data = scene.depth.tobytes()
        decode = median_ms(lambda: depth_fields_to_array('16UC1', 480, 640, 1280, False, data),
                           repeat)
        locate = median_ms(lambda: locate_people(scene.mask, scene.depth, INTRINSICS), repeat)
        binary = (scene.mask > 0).view(np.uint8)
        regions, labels = label_regions(binary, binary)
        measure = median_ms(lambda: measure_people(labels, regions, scene.depth, INTRINSICS),
                            repeat)
        cloud = locate_people(scene.mask, scene.depth, INTRINSICS).cloud
        message = median_ms(lambda: xyz_cloud(cloud), repeat)
        print(f'| {name} | {np.count_nonzero(scene.mask)} | {decode:.3f} | {locate:.2f} | '
              f'{measure:.2f} | {message:.2f} | {len(cloud)} |')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seeds', type=int, default=5, help='noise draws per scene')
    parser.add_argument('--repeat', type=int, default=50, help='timed calls per scene')
    args = parser.parse_args(argv)
    accuracy(args.seeds)
    percentiles(args.seeds)
    cost(args.repeat)


if __name__ == '__main__':
    main()
