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
The presence rule's keypoint count, chosen on half A of the split and confirmed on half B.

A region with mean probability in [``keypoint_confidence``, ``min_confidence``) is evidence when
at least K of BodyPix's 17 keypoints score >= 0.5 under it (``engine.presence``). This sweeps K
with a preset's rule and engine (``--preset``, default fast) and prints, per half
(``eval_sets.half``):

- small people: vtest frames cropped to 16:9 and scaled to 480x270 (every ``--step``-th frame),
  each person of 100-300 px (the issue's small person) that the mask covers >= 25 %: flagged
  when one of the regions over them is evidence (vtest frames 0-397: half A, the rest B);
- people-free frames flagged (DAVIS strips, photos, vtest's plate and the people-free frames of
  its quadrants, CamVid frames without pedestrians), the sets of each half.

    .venv/bin/python -m bench.bench_presence [--preset fast] [--step 4]
"""

import argparse
import dataclasses
import os
import sys

from bench import eval_sets
import cv2
import numpy as np
from person_segmentation import Segmenter

KEYPOINT_COUNTS = (0, 2, 4, 5, 6, 7, 8, 10, 17)
SMALL = (100, 300)  # pixels of a person in a 480x270 frame


def regions_with_keypoints(segmenter, rgb):
    """Return (mask, region labels, [(region, label, keypoints under it)]) as the engine sees."""
    # the rule's inputs exactly as Segmenter computes them for person_present
    inference = segmenter._infer_batch([rgb], False)[0]
    mask, regions, labels, ids = segmenter._regions(inference.probability)
    count = segmenter._keypoint_counter(inference, labels, ids, regions)
    return mask, labels, [(region, label, count(index))
                          for index, (region, label) in enumerate(zip(regions, ids))]


def is_evidence(rule, region, keypoints, scale):
    """Tell whether one region is evidence, its keypoint count known."""
    return rule.is_evidence([region], scale, lambda index: keypoints)


def small_people(segmenter, step):
    """Return [(half, [(region, keypoints)] over the person)] for vtest's small people."""
    frames, masks, _ = eval_sets._vtest()
    found = []
    for index in range(0, len(frames), step):
        rgb = cv2.resize(frames[index][72:504], (480, 270), interpolation=cv2.INTER_AREA)
        truth = cv2.resize(masks[index][72:504].astype(np.uint8), (480, 270),
                           interpolation=cv2.INTER_AREA) > 0
        mask, labels, regions = regions_with_keypoints(segmenter, rgb)
        count, people = cv2.connectedComponents(truth.astype(np.uint8), connectivity=8)
        for person in range(1, count):
            pixels = people == person
            area = int(np.count_nonzero(pixels))
            if not SMALL[0] <= area < SMALL[1] or \
                    np.count_nonzero(mask[pixels]) < 0.25 * area:
                continue
            under = set(np.unique(labels[pixels & (mask > 0)])) - {0}
            found.append((eval_sets.half('vtest', 'vtest', f'{index:05d}'),
                          [(r, k) for r, label, k in regions if label in under]))
    return found


def people_free(segmenter):
    """Return [(half, [(region, keypoints)])] for every people-free frame of the sets."""
    frames = []
    for sequence in eval_sets.sequences(('people_free', 'camvid', 'vtest', 'vtest_timing')):
        segmenter.reset()
        for frame in sequence.frames():
            if frame.present is not False:
                continue
            _, _, regions = regions_with_keypoints(segmenter, frame.rgb)
            frames.append((eval_sets.half(sequence.dataset, sequence.name, frame.name),
                           [(r, k) for r, _, k in regions], segmenter._plans[0].scale))
    return frames


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--preset', default='fast', choices=('fast', 'accurate'))
    parser.add_argument('--step', type=int, default=4)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args(argv)
    eval_sets.use_shared_models()
    if eval_sets.vtest_path() is None:
        print('vtest.avi not found (scripts/demo fetches it into ./data)', file=sys.stderr)
        return 1
    segmenter = Segmenter(preset=args.preset, threads=args.threads)
    base = segmenter.presence_rule
    people = small_people(segmenter, args.step)
    scale_small = segmenter._plans[0].scale
    empty = people_free(segmenter)
    segmenter.close()
    print(f'# preset {args.preset}: {base}; load average {os.getloadavg()[0]:.1f}')
    print(f'# small people: {SMALL[0]}-{SMALL[1]} px in 480x270 vtest frames (every {args.step}'
          'th) shown by the mask; people-free: every people-free frame of the sets')
    print('| keypoints >= | A: small people flagged | A: people-free frames flagged | '
          'B: small people flagged | B: people-free frames flagged |')
    print('| --- | --- | --- | --- | --- |')
    for count in KEYPOINT_COUNTS:
        rule = dataclasses.replace(base, min_keypoints=count)
        cells = []
        for half in 'AB':
            shown = [regions for h, regions in people if h == half]
            flagged = sum(any(is_evidence(rule, r, k, scale_small) for r, k in regions)
                          for regions in shown)
            frames = [(regions, scale) for h, regions, scale in empty if h == half]
            false = sum(any(is_evidence(rule, r, k, scale) for r, k in regions)
                        for regions, scale in frames)
            cells += [f'{flagged}/{len(shown)}', f'{false}/{len(frames)}']
        print(f'| {count} | ' + ' | '.join(cells) + ' |')
    mean_only = dataclasses.replace(base, min_keypoints=0)
    print(f'\n(0 = mean probability >= {mean_only.min_confidence} only; K = 17 flags only what '
          'that flags, and regions with all 17)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
