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
Quality, presence and speed of the presets on every evaluation set, per dataset and sequence.

For each configuration (the presets; plain BodyPix at the frame's own size; and the defaults of
commit ffd9055 for comparison: the 257 and 513 models plainly, presence from a 0.2 % share of
the frame) it runs ``Segmenter`` over every sequence of ``eval_sets`` (``reset()`` between
sequences; videos with timestamps at 10 fps) and prints:

- J per sequence (|mask & truth| / |mask | truth|; 1 where both are empty), and the means;
- J per half of the split the presets were chosen on (``eval_sets.half``: A chooses, B
  confirms), and presence per half;
- recall of people by height: a person (a ground-truth connected component of >= 20 px; a
  Penn-Fudan instance) is *found* when the mask covers >= 25 % of their pixels;
- presence: frames with a person in view flagged by ``result.person_present``, people-free
  frames flagged, and the frames from a person coming into view (vtest quadrants) to the flag;
  the same for the node's ``~/person_detected`` (its hysteresis: on after 1, off after 3);
- ms per frame (median, this machine; the load is printed).

Every named model also runs plainly (configuration = its name, unless one above runs it; a model
whose weights file is not here is skipped with the reason). ``--json`` keeps the run
(``preset_results``: per sequence J, people found, presence, ms, and the ms per 640x480 frame)
for the README's tables and picture; ``--plot`` draws the quality-vs-speed chart from it
(``preset_chart``, CSV beside the PNG).

    .venv/bin/python -m bench.bench_presets [--configs fast accurate before513 before257 ...]
        [--sets davis pennfudan camvid people_free vtest vtest_timing] [--stride N]
        [--json RUN.json] [--plot CHART.png]
"""

import argparse
import os
import sys
import time

from bench import eval_sets, preset_chart, preset_results
import cv2
import numpy as np
from person_segmentation import Segmenter
from person_segmentation.engine.presence import PresenceHysteresis
from person_segmentation.models.files import ModelFileError
from person_segmentation.models.registry import model_names
from tqdm import tqdm


CONFIGS = {
    'fast': {'preset': 'fast'},
    'accurate': {'preset': 'accurate'},
    'bodypix': {'model': 'bodypix_mnv1_075'},  # plainly, at the frame's own size
    'before513': {'model': 'deeplabv3_mnv2_513'},  # ffd9055: the tools' default
    'before257': {'model': 'deeplabv3_mnv2_257'},  # ffd9055: the node's default
}
#: every named model plainly, under its own name unless a configuration above runs it already
CONFIGS.update({name: {'model': name} for name in model_names()
                if {'model': name} not in CONFIGS.values()})
SHARE_ON, SHARE_OFF = 0.002, 0.001  # ffd9055's person_detected (share of the frame)
HEIGHT_BINS = ((0, 25), (25, 50), (50, 100), (100, 100000))
MIN_PERSON_AREA = 20
FOUND = 0.25
FPS = 10.0


def _people(dataset, frame):
    """[(height, boolean mask)] of the people in a frame's truth."""
    if frame.truth is None:
        return []
    if dataset == 'pennfudan':
        ids = cv2.imread(str(eval_sets.EVAL / 'pennfudan' / 'masks_instances' /
                             f'{frame.name}_mask.png'), cv2.IMREAD_UNCHANGED)
        parts = [ids == i for i in np.unique(ids) if i]
    else:
        count, labels = cv2.connectedComponents(frame.truth.astype(np.uint8), connectivity=8)
        parts = [labels == i for i in range(1, count)]
    people = []
    for part in parts:
        if np.count_nonzero(part) >= MIN_PERSON_AREA:
            rows = np.flatnonzero(part.any(axis=1))
            people.append((int(rows[-1] - rows[0] + 1), part))
    return people


def run_sequence(segmenter, sequence, config, stride):
    """Return per-frame records: J, people (height, covered), truth and flag of presence, ms."""
    segmenter.reset()
    share_on = False  # ffd9055's person_detected: on at 0.2 % of the frame, off below 0.1 %
    records = []
    for index, frame in enumerate(sequence.frames()):
        if index % stride:
            continue
        start = time.perf_counter()
        result = segmenter(frame.rgb, timestamp=index / FPS if sequence.video else None)
        ms = (time.perf_counter() - start) * 1e3
        mask = result.mask > 0
        share_on = np.count_nonzero(mask) / mask.size >= (SHARE_OFF if share_on else SHARE_ON)
        record = {'present': frame.present, 'ms': ms, 'name': frame.name,
                  'half': eval_sets.half(sequence.dataset, sequence.name, frame.name),
                  'flag': share_on if config.startswith('before') else result.person_present}
        if frame.truth is not None:
            union = np.count_nonzero(mask | frame.truth)
            record['J'] = np.count_nonzero(mask & frame.truth) / union if union else 1.0
            record['people'] = [(h, np.count_nonzero(mask & part) / np.count_nonzero(part))
                                for h, part in _people(sequence.dataset, frame)]
        records.append(record)
    return records


def presence_stats(records, off_frames=3):
    """
    Count flagged positives, positives, flagged negatives, negatives; list entry delays.

    'present' is the per-frame flag, 'detected' the node's hysteresis over it (on after one
    frame, off after ``off_frames``).
    """
    flags = [r['flag'] for r in records]
    detected = PresenceHysteresis(on_frames=1, off_frames=off_frames)
    node = [detected.update(f) for f in flags]
    out = {}
    for key, series in (('present', flags), ('detected', node)):
        tp = sum(f for f, r in zip(series, records) if r['present'])
        fp = sum(f for f, r in zip(series, records) if r['present'] is False)
        delays = []
        labels = [r['present'] for r in records]
        for i in range(5, len(labels)):
            if labels[i] and not any(labels[i - 5:i]):
                start = i
                while start > 0 and series[start - 1] and labels[start - 1] is not False:
                    start -= 1  # raised while the person was partly in view: no delay
                later = next((j for j in range(i, len(series)) if series[j]), len(series))
                delays.append(0 if start < i else later - i)
        out[key] = (tp, sum(1 for r in records if r['present']), fp,
                    sum(1 for r in records if r['present'] is False), delays)
        out[key + '_series'] = series
    return out


def recall(people, low=0, high=100000):
    """Return the share of people with height in [low, high) found, and their count."""
    chosen = [covered for height, covered in people if low <= height < high]
    return (np.mean([c >= FOUND for c in chosen]) if chosen else float('nan')), len(chosen)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--configs', nargs='+', default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument('--sets', nargs='+', default=list(eval_sets.SETS), choices=eval_sets.SETS)
    parser.add_argument('--only', nargs='+', metavar='SEQUENCE',
                        help='only these sequences (names as printed, e.g. vtest_q11 lucia)')
    parser.add_argument('--stride', type=int, default=1,
                        help='every Nth frame of each sequence (presence timing needs 1)')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--json', metavar='RUN.json',
                        help='keep the run: per configuration and sequence, as JSON')
    parser.add_argument('--plot', metavar='CHART.png',
                        help='draw the quality-vs-speed chart (its numbers beside it as .csv)')
    parser.add_argument('--speed-repeats', type=int, default=10, metavar='N',
                        help='frames timed for the ms per 640x480 frame of --json/--plot')
    args = parser.parse_args(argv)
    eval_sets.use_shared_models()
    sequences = [s for s in eval_sets.sequences(args.sets)
                 if not args.only or s.name in args.only]
    if eval_sets.vtest_path() is None and {'vtest', 'vtest_timing'} & set(args.sets):
        print('# vtest.avi not found (scripts/demo fetches it into ./data): vtest sets skipped')
    results, speeds, skipped = {}, {}, {}
    for config in args.configs:
        try:
            segmenter = Segmenter(threads=args.threads, **CONFIGS[config])
        except ModelFileError as err:
            skipped[config] = str(err)
            print(f'# {config} not measured: {err}')
            continue
        for sequence in tqdm(sequences, desc=config, file=sys.stderr):
            results[config, sequence.dataset, sequence.name] = run_sequence(
                segmenter, sequence, config, args.stride)
        if args.json or args.plot:
            speeds[config] = preset_results.ms_per_640x480(segmenter, args.speed_repeats)
        segmenter.close()
    print(f'# load average {os.getloadavg()[0]:.1f} at the end; stride {args.stride}; '
          f'threads {args.threads}')
    measured = [c for c in args.configs if c not in skipped]
    if not measured:
        print('bench_presets: no configuration could be measured (their model files are '
              'missing: see above); nothing written', file=sys.stderr)
        return 1
    _print_quality(results, measured, sequences)
    _print_halves(results, measured, sequences)
    _print_presence(results, measured, sequences)
    if args.json or args.plot:
        summary = preset_results.summarize(results, args.configs, sequences, CONFIGS, speeds,
                                           skipped, args.stride, args.threads)
        print(preset_chart.table(summary))
        if args.json:
            print(f'# wrote {preset_results.write(args.json, summary)}')
        if args.plot:
            print('# wrote {} and {}'.format(*preset_chart.write(summary, args.plot)))
    return 0


def _print_quality(results, configs, sequences):
    scored = [s for s in sequences if s.dataset in ('davis', 'pennfudan', 'camvid', 'vtest')
              and s.name not in ('vtest_plate',) and not s.name.startswith('vtest_q')]
    print('\n## J per sequence (vtest: people from background subtraction, approximate)')
    print('| config | ' + ' | '.join(f'{s.dataset}/{s.name}' for s in scored) +
          ' | DAVIS mean | CamVid mean | ms/frame (median) |')
    print('|' + ' --- |' * (len(scored) + 4))
    for config in configs:
        means = {}
        cells = []
        for s in scored:
            j = np.mean([r['J'] for r in results[config, s.dataset, s.name] if 'J' in r])
            means.setdefault(s.dataset, []).append(j)
            cells.append(f'{j:.3f}')
        ms = np.median([r['ms'] for k, v in results.items() if k[0] == config for r in v])
        print(f'| {config} | ' + ' | '.join(cells) +
              f' | {np.mean(means.get("davis", [np.nan])):.3f}'
              f' | {np.mean(means.get("camvid", [np.nan])):.3f} | {ms:.0f} |')
    print(f'\n## people found (>= {FOUND:.0%} of their pixels), by height in pixels')
    groups = (('camvid', lambda s: s.dataset == 'camvid'),
              ('vtest_far', lambda s: s.name == 'vtest_far'),
              ('vtest', lambda s: s.name == 'vtest'),
              ('pennfudan', lambda s: s.dataset == 'pennfudan'))
    print('| config | ' + ' | '.join(f'{g} {lo}-{hi if hi < 100000 else "max"} px'
                                     for g, _ in groups for lo, hi in HEIGHT_BINS) + ' |')
    print('|' + ' --- |' * (len(groups) * len(HEIGHT_BINS) + 1))
    for config in configs:
        cells = []
        for _, keep in groups:
            people = [p for s in sequences if keep(s)
                      for r in results[config, s.dataset, s.name] for p in r.get('people', [])]
            for lo, hi in HEIGHT_BINS:
                value, count = recall(people, lo, hi)
                cells.append(f'{value:.2f} ({count})' if count else '-')
        print(f'| {config} | ' + ' | '.join(cells) + ' |')


#: (column, dataset, sequences, half) of the J-by-half table
HALF_COLUMNS = (
    ('DAVIS A (parkour, hike)', 'davis', None, 'A'), ('DAVIS B (lucia)', 'davis', None, 'B'),
    ('PF labelled A (PennPed)', 'pennfudan', ('labelled',), 'A'),
    ('PF labelled B (FudanPed)', 'pennfudan', ('labelled',), 'B'),
    ('PF all A', 'pennfudan', None, 'A'), ('PF all B', 'pennfudan', None, 'B'),
    ('CamVid A (0001TP, 0016E5)', 'camvid', None, 'A'),
    ('CamVid B (0006R0, Seq05VD)', 'camvid', None, 'B'),
    ('vtest A (0-397)', 'vtest', ('vtest',), 'A'), ('vtest B', 'vtest', ('vtest',), 'B'),
    ('vtest_far A (0-43)', 'vtest', ('vtest_far',), 'A'),
    ('vtest_far B', 'vtest', ('vtest_far',), 'B'))


def _print_halves(results, configs, sequences):
    """J per half of the split: mean of the half's sequences (Penn-Fudan: of its images)."""
    print('\n## J per half (A: choosing, B: confirming; eval_sets.half)')
    print('| config | ' + ' | '.join(column for column, *_ in HALF_COLUMNS) + ' |')
    print('|' + ' --- |' * (len(HALF_COLUMNS) + 1))
    for config in configs:
        cells = []
        for _, dataset, names, half in HALF_COLUMNS:
            means = []
            for s in sequences:
                if s.dataset != dataset or (names and s.name not in names):
                    continue
                js = [r['J'] for r in results[config, s.dataset, s.name]
                      if 'J' in r and r['half'] == half]
                if js:
                    means.append(js if dataset == 'pennfudan' else [np.mean(js)])
            pooled = [j for js in means for j in js]
            cells.append(f'{np.mean(pooled):.3f}' if pooled else '-')
        print(f'| {config} | ' + ' | '.join(cells) + ' |')


def _print_presence(results, configs, sequences):
    print('\n## presence: frames with a person flagged / people-free frames flagged / delay')
    print('| config | signal | ' + ' | '.join(f'{s.dataset}/{s.name}' for s in sequences) +
          ' | with people | people-free | entries raised within 2 frames | max delay |'
          ' people-free A | people-free B |')
    print('|' + ' --- |' * (len(sequences) + 8))
    for config in configs:
        for signal in ('present', 'detected'):
            cells, totals, delays = [], np.zeros(4, int), []
            by_half = {'A': np.zeros(2, int), 'B': np.zeros(2, int)}
            for s in sequences:
                # the share rule had no off delay; stills have no time to debounce over
                off_frames = 3 if s.video and not config.startswith('before') else 1
                records = results[config, s.dataset, s.name]
                stats = presence_stats(records, off_frames)
                tp, pos, fp, neg, d = stats[signal]
                totals += (tp, pos, fp, neg)
                for half in by_half:  # flags of that half's people-free frames
                    series = stats[signal + '_series']
                    by_half[half] += (
                        sum(f for f, r in zip(series, records)
                            if r['present'] is False and r['half'] == half),
                        sum(1 for r in records if r['present'] is False and r['half'] == half))
                delays += d if s.video else []  # stills have no 'coming into view'
                cells.append(' '.join(x for x in (f'{tp}/{pos}' if pos else '',
                                                  f'fp {fp}/{neg}' if neg else '') if x))
            within = f'{sum(d <= 2 for d in delays)}/{len(delays)}' if delays else '-'
            print(f'| {config} | {signal} | ' + ' | '.join(cells) +
                  f' | {totals[0] / max(totals[1], 1):.3f} | {totals[2] / max(totals[3], 1):.4f}'
                  f' | {within} | {max(delays) if delays else "-"} | ' +
                  ' | '.join(f'{a}/{b}' for a, b in by_half.values()) + ' |')


if __name__ == '__main__':
    sys.exit(main())
