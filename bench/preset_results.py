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
One ``bench_presets`` run kept as JSON, so the README's tables, its chart and its picture quote it.

A full run over every set takes hours on the 2-core machine; the figures in the README tables,
the quality/speed chart (``preset_chart``) and the README picture's caption (``readme_picture``)
must come from the same run. ``summarize`` reduces the run's per-frame records to what those
need, per configuration and sequence: J, people found by height, presence counts, median ms,
and the ms per 640x480 frame that the chart's x axis shows (``ms_per_640x480``: the frame and the
method of ``bench_speed``, which gives the README's model table). Written whole or not at all.
"""

import datetime
import json
import os
import pathlib
import platform
import subprocess
from typing import Dict, List, Optional

from bench.bench_speed import test_frames
from bench.paths import REPO_ROOT
from bench.timing import median_ms
import numpy as np
from person_segmentation.media.image_files import write_bytes_atomic

#: the visible datasets the chart plots: (label, dataset, sequences averaged; None = all)
DATASETS = (('DAVIS', 'davis', None), ('Penn-Fudan labelled', 'pennfudan', ('labelled',)),
            ('CamVid', 'camvid', None))
#: JSON layout version (readers check it)
VERSION = 1


def commit() -> str:
    """Return the checkout's short commit, with '-dirty' when tracked files differ from it."""
    try:
        return subprocess.run(['git', 'describe', '--always', '--dirty', '--abbrev=7'],
                              cwd=REPO_ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def ms_per_640x480(segmenter, repeats: int = 10) -> float:
    """Median ms of ``segmenter`` on bench_speed's real 640x480 frame (one untimed call first)."""
    rgb = test_frames()['640x480']
    segmenter.reset()
    return median_ms(lambda: segmenter(rgb), repeats)


def _mean(values) -> Optional[float]:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def _sequence_summary(records: List[dict], dataset: str, video: bool, config: str) -> dict:
    from bench import bench_presets as rules  # the run's own rules (found, presence)
    scored = [r['J'] for r in records if 'J' in r]
    people = [p for r in records for p in r.get('people', [])]
    found = {}
    for low, high in rules.HEIGHT_BINS:
        share, count = rules.recall(people, low, high)
        found[f'{low}-{high if high < 100000 else "max"}'] = (
            [int(round(share * count)), count] if count else [0, 0])
    off_frames = 3 if video and not config.startswith('before') else 1
    presence = rules.presence_stats(records, off_frames)
    return {'frames': len(records), 'video': video,
            'J': float(np.mean(scored)) if scored else None,
            'people_found': found,
            'present': [int(n) for n in presence['present'][:4]],
            'detected': [int(n) for n in presence['detected'][:4]],
            'entry_delays': [int(n) for n in presence['present'][4]] if video else [],
            'ms_median': float(np.median([r['ms'] for r in records])) if records else None}


def dataset_means(sequences: Dict[str, dict]) -> Dict[str, Optional[float]]:
    """J per chart dataset: the mean of its sequences' J (None where none was run)."""
    means = {}
    for label, dataset, names in DATASETS:
        means[label] = _mean(s['J'] for key, s in sequences.items()
                             if key.split('/')[0] == dataset
                             and (names is None or key.split('/', 1)[1] in names))
    return means


def summarize(results, configs, sequences, settings: Dict[str, dict],
              speeds: Dict[str, float], skipped: Dict[str, str], stride: int,
              threads: int) -> dict:
    """
    Return the run as a JSON-ready dict.

    ``results``: bench_presets' {(config, dataset, sequence): per-frame records};
    ``settings``: each configuration's Segmenter arguments; ``speeds``: ms per 640x480 frame;
    ``skipped``: configurations that could not run, with the reason (e.g. no weights file).
    """
    out = {'version': VERSION, 'commit': commit(),
           'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
           'machine': f'{platform.machine()}, {os.cpu_count()} cores',
           'load_average_end': round(os.getloadavg()[0], 1), 'stride': stride,
           'threads': threads, 'configs': {}}
    for config in configs:
        entry = {'settings': settings[config], 'skipped': skipped.get(config)}
        if config not in skipped:
            per_sequence = {f'{s.dataset}/{s.name}': _sequence_summary(
                results[config, s.dataset, s.name], s.dataset, s.video, config)
                for s in sequences}
            all_ms = [r['ms'] for s in sequences for r in results[config, s.dataset, s.name]]
            entry.update({'ms_per_640x480': speeds.get(config),
                          'ms_median_sets': float(np.median(all_ms)) if all_ms else None,
                          'J': dataset_means(per_sequence), 'sequences': per_sequence})
        out['configs'][config] = entry
    return out


def write(path, summary: dict) -> pathlib.Path:
    """Write the summary as indented JSON, atomically."""
    return write_bytes_atomic(path, (json.dumps(summary, indent=1) + '\n').encode())


def load(path) -> dict:
    """Read a summary ``write`` wrote; ValueError names a file of another kind or version."""
    with open(path) as stream:
        summary = json.load(stream)
    if not isinstance(summary, dict) or summary.get('version') != VERSION:
        raise ValueError(f'{path} is not a bench_presets run (version {VERSION}); write one '
                         'with python -m bench.bench_presets --json PATH')
    return summary
