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
Quality benchmark: DAVIS J per sequence for every model and input strategy, with smoothing.

Prints one table row per (model, strategy, smoothing factor): J for parkour, lucia and hike, the
mean, the frame-to-frame mask change (1 - J between consecutive masks; the ground truth's own
change is printed as the reference for real motion) and the model's ms per frame. Each model
and strategy runs once per frame; the smoothing factors are applied to the stored probability
maps afterwards with the same TemporalSmoother the Segmenter uses.

    .venv/bin/python -m bench.bench_quality [--models ...] [--strategies ...] [--limit N]
"""

import argparse
import os
import sys
import time

from bench.davis import frames, jaccard, mask_change, SEQUENCES, use_shared_models
import cv2
import numpy as np
from person_segmentation import Segmenter
from person_segmentation.engine.input_strategy import STRATEGIES
from person_segmentation.engine.smoothing import TemporalSmoother
from person_segmentation.models.registry import downloadable_models


def evaluate(model, strategy, factors, gates, thresholds, limit, threads, zoom=1.0):
    """Return {(factor, gate, threshold): {seq: (J, change)}} and the median ms per frame."""
    segmenter = Segmenter(model, threads=threads, strategy=strategy, zoom=zoom)
    results = {}
    times = []
    for sequence in SEQUENCES:
        probabilities, truths = [], []
        for rgb, truth in frames(sequence, limit=limit):
            start = time.perf_counter()
            probabilities.append(segmenter(rgb).probability)  # smoothing off: unsmoothed
            times.append((time.perf_counter() - start) * 1e3)
            truths.append(truth)
        for factor in factors:
            for gate in (gates if factor else gates[:1]):
                smoother = TemporalSmoother(factor, gate=gate)
                smoothed = [smoother.update(p).copy() for p in probabilities]
                for threshold in thresholds:
                    masks = [p >= threshold for p in smoothed]
                    j = float(np.mean([jaccard(m, t) for m, t in zip(masks, truths)]))
                    results.setdefault((factor, gate, threshold), {})[sequence] = (
                        j, mask_change(masks))
    segmenter.close()
    return results, float(np.median(times))


# People counted by eye in vtest.avi frames (approximate torso centres, x, y in 768x576).
VTEST_PEOPLE = {
    100: [(230, 75), (361, 237), (391, 218), (441, 200), (506, 185), (529, 185), (603, 192)],
    300: [(201, 200), (254, 190), (311, 190), (330, 255), (597, 197), (631, 197)],
    500: [(320, 225), (574, 290), (588, 335), (627, 320)],
    700: [(121, 340), (197, 205), (294, 255), (381, 210), (415, 180), (485, 168), (532, 200),
          (706, 265)],
}


def vtest_counts(path, models, strategies, threads, zooms=(1.0,)):
    """Print, per model and strategy, the regions found and the hand-counted people covered."""
    capture = cv2.VideoCapture(str(path))
    images, index = {}, 0
    while len(images) < len(VTEST_PEOPLE):
        ok, frame = capture.read()
        if not ok:
            raise SystemExit(f'cannot read frame {index} of {path}')
        if index in VTEST_PEOPLE:
            images[index] = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        index += 1
    people = sum(len(v) for v in VTEST_PEOPLE.values())
    print(f'\n# vtest.avi far small people: {people} people counted by eye in frames '
          f'{", ".join(map(str, VTEST_PEOPLE))}; "found" = people with mask pixels within '
          '10 px of their torso, "regions" = connected blobs reported')
    print('| model | strategy | ' + ' | '.join(f'frame {i} found/regions' for i in images) +
          ' | found | regions | ms/frame |')
    print('|' + ' --- |' * (len(images) + 5))
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (21, 21))
    runs = [(model, strategy, zoom) for model in models for strategy in strategies
            for zoom in (zooms if strategy in ('tiles', 'native') else [1.0])]
    for model, strategy, zoom in runs:
        segmenter = Segmenter(model, threads=threads, strategy=strategy, zoom=zoom)
        cells, found_all, regions_all, times = [], 0, 0, []
        for index, rgb in images.items():
            start = time.perf_counter()
            result = segmenter(rgb)
            times.append((time.perf_counter() - start) * 1e3)
            near = cv2.dilate(result.mask, disk)
            found = sum(1 for x, y in VTEST_PEOPLE[index] if near[y, x])
            cells.append(f'{found}/{len(VTEST_PEOPLE[index])} / {len(result.regions)}')
            found_all += found
            regions_all += len(result.regions)
        shown = strategy if zoom == 1.0 else f'{strategy} zoom {zoom:g}'
        print(f'| {model} | {shown} | ' + ' | '.join(cells) +
              f' | {found_all}/{people} | {regions_all} | {np.median(times):.0f} |',
              flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--models', nargs='+', default=list(downloadable_models()),
                        help='model names (default: every model that downloads with a '
                             'checksum; the Keras .h5 models need their file by hand: '
                             'bench/bench_keras.py covers them)')
    parser.add_argument('--strategies', nargs='+', default=list(STRATEGIES))
    parser.add_argument('--smoothing', nargs='+', type=float, default=[0.0, 0.3, 0.5])
    parser.add_argument('--gates', nargs='+', type=float, default=[2.0, 0.0],
                        help='smoothing gate exponents (0 = plain EMA; 2 = the default)')
    parser.add_argument('--thresholds', nargs='+', type=float, default=[0.5])
    parser.add_argument('--zooms', nargs='+', type=float, default=[1.0],
                        help="input zoom factors for 'tiles' and 'native'")
    parser.add_argument('--limit', type=int, help='first N frames of each sequence')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--vtest', metavar='VTEST_AVI',
                        help='only count far small people in vtest.avi (see --help text)')
    args = parser.parse_args(argv)
    use_shared_models()
    if args.vtest:
        vtest_counts(args.vtest, args.models, args.strategies, args.threads, args.zooms)
        return 0
    print(f'# DAVIS 2016 quality; load average {os.getloadavg()[0]:.2f}; '
          f'threads {args.threads}; frames {"all" if args.limit is None else args.limit}')
    truth_change = {s: mask_change([t for _, t in frames(s, limit=args.limit)])
                    for s in SEQUENCES}
    print('ground-truth frame-to-frame change: ' +
          ', '.join(f'{s} {v:.3f}' for s, v in truth_change.items()))
    header = ('| model | strategy | smoothing | gate | thr | ' + ' | '.join(SEQUENCES) +
              ' | mean J | mask change | ms/frame |')
    print(header)
    print('|' + ' --- |' * (header.count('|') - 1))
    for model in args.models:
        for strategy in args.strategies:
            for zoom in (args.zooms if strategy in ('tiles', 'native') else [1.0]):
                results, ms = evaluate(model, strategy, args.smoothing, args.gates,
                                       args.thresholds, args.limit, args.threads, zoom)
                shown = strategy if zoom == 1.0 else f'{strategy} zoom {zoom:g}'
                for (factor, gate, threshold), per_seq in results.items():
                    js = [per_seq[s][0] for s in SEQUENCES]
                    change = np.mean([per_seq[s][1] for s in SEQUENCES])
                    print(f'| {model} | {shown} | {factor:.1f} | {gate:g} | {threshold:.2f} | ' +
                          ' | '.join(f'{j:.3f}' for j in js) +
                          f' | {np.mean(js):.3f} | {change:.3f} | {ms:.0f} |', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
