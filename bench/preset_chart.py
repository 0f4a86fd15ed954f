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
The quality-vs-speed chart of the presets and named models, from one bench_presets run.

Choosing a preset or model is a trade of J against time per frame; a chart shows it at a glance
where the README's tables need reading. One panel per visible dataset (DAVIS, Penn-Fudan
labelled, CamVid): x = ms per 640x480 frame on this CPU (log scale), y = J, one marker per
configuration. The numbers plotted are written beside the PNG as CSV. Drawn with matplotlib's
Agg canvas (no display needed); written whole or not at all.

    .venv/bin/python -m bench.bench_presets --json run.json --plot docs/images/presets_chart.png
    .venv/bin/python -m bench.preset_chart run.json --output docs/images/presets_chart.png
"""

import argparse
import csv
import io
import pathlib
import sys
from typing import List, Tuple

from bench import preset_results
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
from person_segmentation.media.image_files import write_bytes_atomic
from PIL import Image

#: chart size in pixels (width, height) at ``DPI``
SIZE, DPI = (1200, 420), 100
#: colours of the written PNG (``palette_png``)
PALETTE = 128
PRESET_MARKER, MODEL_MARKER = '*', 'o'


def label(config: str, settings: dict) -> str:
    """Name a configuration by what runs: 'preset fast', a model's name (plainly), else itself."""
    if set(settings) == {'preset'}:
        return f'preset {settings["preset"]}'
    if set(settings) == {'model'}:
        return settings['model']
    return config


def chart_rows(summary: dict) -> List[dict]:
    """One row per measured configuration: label, ms per 640x480 frame and J per dataset."""
    rows = []
    for config, entry in summary['configs'].items():
        if entry.get('skipped'):
            continue
        row = {'config': config, 'label': label(config, entry['settings']),
               'ms_per_640x480': entry.get('ms_per_640x480')}
        row.update({f'J {name}': entry['J'].get(name) for name, _, _ in preset_results.DATASETS})
        rows.append(row)
    return rows


def csv_text(rows: List[dict], summary: dict) -> str:
    """Return the plotted numbers as CSV (commit and machine in a first, commented line)."""
    out = io.StringIO()
    out.write(f'# bench_presets run: commit {summary["commit"]}, {summary["date"]}, '
              f'{summary["machine"]}, {summary["threads"]} threads, stride '
              f'{summary["stride"]}, load average {summary["load_average_end"]} at the end\n')
    writer = csv.writer(out, lineterminator='\n')
    columns = ['config', 'label', 'ms_per_640x480'] + [f'J {name}' for name, _, _ in
                                                       preset_results.DATASETS]
    writer.writerow(columns)
    for row in rows:
        writer.writerow(['' if row[c] is None else
                         (f'{row[c]:.3f}' if isinstance(row[c], float) else row[c])
                         for c in columns])
    return out.getvalue()


def table(summary: dict) -> str:
    """Return the plotted numbers in markdown, as the README's tables quote them."""
    names = [name for name, _, _ in preset_results.DATASETS]
    lines = ['\n## chart: ms per 640x480 frame and J per dataset',
             '| config | ms per 640x480 frame | ' + ' | '.join(f'J {n}' for n in names) + ' |',
             '|' + ' --- |' * (len(names) + 2)]
    for row in chart_rows(summary):
        cells = [row['label'], _number(row['ms_per_640x480'], '.0f')] + [
            _number(row[f'J {n}'], '.3f') for n in names]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def _number(value, spec: str) -> str:
    return '-' if value is None else format(value, spec)


def _limits(values, log: bool) -> Tuple[float, float]:
    """Axis limits with a margin around ``values`` (a factor on a log axis)."""
    low, high = min(values), max(values)
    if log:
        return low / 1.5, high * 1.5
    margin = max(0.03, 0.12 * (high - low))
    return max(0.0, low - margin), min(1.0, high + margin)


def render(summary: dict, size=SIZE) -> bytes:
    """Return the chart as PNG bytes."""
    rows = [r for r in chart_rows(summary) if r['ms_per_640x480']]
    if not rows:
        raise ValueError('the run has no configuration with a time per 640x480 frame')
    figure = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(preset_results.DATASETS), sharex=True)
    handles = {}
    for ax, (name, _, _) in zip(axes, preset_results.DATASETS):
        points = [(r, f'C{i % 10}') for i, r in enumerate(rows) if r[f'J {name}'] is not None]
        for row, colour in points:
            preset = row['label'].startswith('preset ')
            handles[row['label']] = ax.scatter(
                row['ms_per_640x480'], row[f'J {name}'], s=180 if preset else 60,
                color=colour, marker=PRESET_MARKER if preset else MODEL_MARKER,
                edgecolors='black', linewidths=0.5, zorder=3)
        ax.set_xscale('log')
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f'{value:g}'))
        ax.xaxis.set_minor_formatter(NullFormatter())
        if points:
            ax.set_ylim(*_limits([r[f'J {name}'] for r, _ in points], log=False))
        ax.set_title(name, fontsize=11)
        ax.grid(True, which='major', alpha=0.35)
        ax.set_xlabel('ms per 640x480 frame (log scale)', fontsize=9)
    axes[0].set_xlim(*_limits([r['ms_per_640x480'] for r in rows], log=True))
    axes[0].set_ylabel('person J (IoU with the ground truth)', fontsize=9)
    figure.legend(list(handles.values()), list(handles), loc='lower center',
                  ncol=min(len(handles), 5), fontsize=9, frameon=False,
                  markerscale=0.8, handletextpad=0.3, columnspacing=1.5)
    skipped = [c for c, e in summary['configs'].items() if e.get('skipped')]
    note = (f'Quality against speed: bench_presets, commit {summary["commit"]}, LiteRT on '
            f'{summary["machine"]}, {summary["threads"]} threads')
    if skipped:
        note += '; not measured (no weights file here): ' + ', '.join(skipped)
    figure.suptitle(note, fontsize=9, y=0.985)
    figure.subplots_adjust(left=0.055, right=0.99, top=0.87, bottom=0.27, wspace=0.17)
    stream = io.BytesIO()
    figure.savefig(stream, format='png', dpi=DPI, metadata={'Software': None})
    return palette_png(Image.open(stream), PALETTE)


def palette_png(image: Image.Image, colours: int) -> bytes:
    """
    Return ``image`` as a PNG of at most ``colours`` colours (octree, no dithering).

    Anti-aliased text and markers give a chart thousands of near-identical colours; 128 keep it
    unchanged to the eye at a quarter of the bytes (72 KB -> 17 KB). Deterministic.
    """
    stream = io.BytesIO()
    image.convert('RGB').quantize(colors=colours, method=Image.Quantize.FASTOCTREE,
                                  dither=Image.Dither.NONE).save(stream, 'PNG', optimize=True)
    return stream.getvalue()


def write(summary: dict, path) -> Tuple[pathlib.Path, pathlib.Path]:
    """Write the chart PNG at ``path`` and its numbers as CSV beside it; return both paths."""
    path = pathlib.Path(path)
    if path.suffix.lower() != '.png':
        raise ValueError(f'the chart is a PNG; got {path}')
    png = render(summary)
    numbers = write_bytes_atomic(path.with_suffix('.csv'),
                                 csv_text(chart_rows(summary), summary).encode())
    return write_bytes_atomic(path, png), numbers


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('run', help='JSON written by python -m bench.bench_presets --json')
    parser.add_argument('--output', default='docs/images/presets_chart.png',
                        help='PNG to write (its numbers go beside it as .csv)')
    args = parser.parse_args(argv)
    summary = preset_results.load(args.run)
    png, numbers = write(summary, args.output)
    print(table(summary))
    print(f'wrote {png} and {numbers}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
