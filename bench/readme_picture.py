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
The README's first picture: one real vtest.avi frame through each preset, side by side.

A reader should see what the node publishes before reading about it: per preset one row with
the overlay (``~/overlay``, the node's default colour and opacity), the mask (``~/mask``) and
the body parts (``result.parts``, 24 BodyPix parts; where the engine gives none, a stand-in
panel colours each person blob), and above it the preset's person count and ms per frame.
The frame goes through ``Segmenter``, the engine the node runs, with the node's rendering:
the same pixels as the node's topics, without DDS transport in the time or run-to-run jitter
in the picture. The ms per frame are those of a ``bench_presets --json`` run (``--run``: the
run the README's tables and chart quote) or, without one, measured here on this frame.

The picture is deterministic given the commit, the frame and the run (no timing from this
process enters it with ``--run``); it is written whole or not at all. JPEG: three of the six
panels are photographs, which PNG, even with a reduced palette, stores at several times the
size (``--output x.png`` writes a 256-colour PNG instead).

    .venv/bin/python -m bench.readme_picture [--run RUN.json] [--frame 620]
        [--configs fast accurate] [--output docs/images/readme_vtest.jpg]

vtest.avi: OpenCV's sample video, from Debian's ``opencv-doc`` package (``scripts/demo``
fetches it); its copyright file puts it under the OpenCV licence, Apache-2.0 AND BSD-3-Clause.
"""

import argparse
from dataclasses import dataclass
import inspect
import io
import pathlib
import sys
import time
from typing import List, Optional, Sequence

from bench import preset_results
from bench.bench_presets import CONFIGS
from bench.eval_sets import use_shared_models
from bench.preset_chart import label, palette_png
import cv2
import matplotlib
import numpy as np
from person_segmentation import Segmenter
from person_segmentation.engine.rendering import render_overlay
from person_segmentation.media import sample_footage
from person_segmentation.media.image_files import write_bytes_atomic
from person_segmentation.models.spec import BODY_PARTS
from PIL import Image, ImageDraw, ImageFont

#: the frame shown: people near and far, walking both ways (vtest.avi has 795)
FRAME = 620
PANEL_WIDTH = 320
GAP = 4
#: heights of the text bands (pixels): column titles, a row's caption, the footer
TITLE_H, CAPTION_H, FOOTER_H = 24, 24, 40
FONT_SIZE = 14
JPEG_QUALITY = 85
LICENCE = 'OpenCV sample, Apache-2.0 AND BSD-3-Clause'
#: one colour per body part id 1..24 (BodyPix's order runs head, arms, hands, torso, legs, feet,
#: so a rainbow keeps each limb's front and back, left and right, close in hue)
PART_COLOURS = (np.array([matplotlib.colormaps['rainbow'](i / (len(BODY_PARTS) - 1))[:3]
                          for i in range(len(BODY_PARTS))]) * 255).round().astype(np.uint8)
#: the legend's groups of parts: (shown name, word of the part names it gathers)
PART_GROUPS = (('head', 'face'), ('arms', 'arm'), ('hands', 'hand'), ('torso', 'torso'),
               ('legs', 'leg'), ('feet', 'feet'))
#: engines that give body parts are asked for them per call (``Segmenter(...)(rgb, parts=True)``)
ASKS_FOR_PARTS = 'parts' in inspect.signature(Segmenter.__call__).parameters
BLOB_COLOURS = (np.array([matplotlib.colormaps['tab10'](i)[:3] for i in range(10)])
                * 255).round().astype(np.uint8)


@dataclass
class Row:
    """One configuration's panels and caption."""

    config: str
    people: int
    ms: float
    panels: List[np.ndarray]  # RGB, overlay / mask / parts
    has_parts: bool


def read_frame(video, index: int) -> np.ndarray:
    """Return frame ``index`` of ``video`` as RGB (ValueError when the video is shorter)."""
    capture = cv2.VideoCapture(str(video))
    try:
        for _ in range(index):
            if not capture.grab():
                break
        ok, bgr = capture.read()
    finally:
        capture.release()
    if not ok:
        raise ValueError(f'{video} has no frame {index}')
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _dimmed(rgb: np.ndarray) -> np.ndarray:
    """Return the frame in grey at a third of its brightness: context under coloured labels."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) // 3
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)


def parts_panel(rgb: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """Colour body part ids (1..24; 0 = none) with ``PART_COLOURS`` over the dimmed frame."""
    out = _dimmed(rgb)
    labelled = (parts > 0) & (parts <= len(BODY_PARTS))
    out[labelled] = PART_COLOURS[parts[labelled].astype(np.intp) - 1]
    return out


def blobs_panel(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Stand-in for parts: each person blob of ``mask`` in its own colour over the dimmed frame."""
    out = _dimmed(rgb)
    count, labels = cv2.connectedComponents((mask > 0).astype(np.uint8), connectivity=8)
    on = labels > 0
    out[on] = BLOB_COLOURS[(labels[on] - 1) % len(BLOB_COLOURS)]
    return out


def panels(rgb: np.ndarray, result) -> tuple:
    """Return ([overlay, mask, parts or stand-in] as RGB, has_parts) for one result."""
    parts = getattr(result, 'parts', None)
    mask_rgb = cv2.cvtColor(result.mask, cv2.COLOR_GRAY2RGB)
    third = parts_panel(rgb, parts) if parts is not None else blobs_panel(rgb, result.mask)
    return [render_overlay(rgb, result.mask), mask_rgb, third], parts is not None


def segment(rgb: np.ndarray, config: str, run: Optional[dict], repeats: int,
            threads: int = 2) -> Row:
    """Run one configuration on the frame; ms from ``run`` when given, else timed here."""
    segmenter = Segmenter(threads=threads, **CONFIGS[config])
    options = {'parts': True} if ASKS_FOR_PARTS else {}
    try:
        result = segmenter(rgb, **options)
        if run is not None:
            ms = run['configs'][config]['ms_per_640x480']
        else:
            times = []
            for _ in range(repeats):
                segmenter.reset()
                start = time.perf_counter()
                segmenter(rgb, **options)
                times.append((time.perf_counter() - start) * 1e3)
            ms = float(np.median(times))
    finally:
        segmenter.close()
    shown, has_parts = panels(rgb, result)
    return Row(config, len(result.regions), ms, shown, has_parts)


def _font(size: int = FONT_SIZE):
    return ImageFont.load_default(size=size)


def caption(row: Row, timed_here: bool) -> str:
    """Return one row's caption: what ran, people found and ms per frame."""
    what = 'ms on this frame' if timed_here else 'ms per 640x480 frame'
    people = f'{row.people} {"person" if row.people == 1 else "people"}'
    return f'{label(row.config, CONFIGS[row.config])}: {people}, {row.ms:.0f} {what}'


def compose(rows: Sequence[Row], footer: Sequence[str], timed_here: bool) -> np.ndarray:
    """Lay out the rows' panels under column titles, each row under its caption; RGB."""
    height, width = rows[0].panels[0].shape[:2]
    panel_size = (PANEL_WIDTH, round(height * PANEL_WIDTH / width))
    columns = len(rows[0].panels)
    canvas = Image.new('RGB', (columns * PANEL_WIDTH + (columns - 1) * GAP,
                               TITLE_H + len(rows) * (CAPTION_H + panel_size[1]) + FOOTER_H),
                       (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    font, small = _font(), _font(FONT_SIZE - 2)
    parts_title = ('body parts (result.parts)' if all(r.has_parts for r in rows) else
                   'person blobs (stand-in: no body parts)')
    for column, title in enumerate(('overlay (~/overlay)', 'mask (~/mask)', parts_title)):
        centre = column * (PANEL_WIDTH + GAP) + PANEL_WIDTH // 2
        draw.text((centre, TITLE_H // 2), title, fill=(0, 0, 0), font=font, anchor='mm')
    top = TITLE_H
    for row in rows:
        draw.text((4, top + CAPTION_H // 2), caption(row, timed_here), fill=(0, 0, 0),
                  font=font, anchor='lm')
        top += CAPTION_H
        for column, panel in enumerate(row.panels):
            scaled = cv2.resize(panel, panel_size, interpolation=cv2.INTER_AREA)
            canvas.paste(Image.fromarray(scaled), (column * (PANEL_WIDTH + GAP), top))
        top += panel_size[1]
    for line, text in enumerate(footer):
        draw.text((4, top + 4 + line * (FONT_SIZE + 2)), text, fill=(60, 60, 60), font=small)
    if all(r.has_parts for r in rows):
        _legend(draw, (columns - 1) * (PANEL_WIDTH + GAP), TITLE_H + CAPTION_H // 2, small)
    return np.asarray(canvas)


def _legend(draw, left: int, y: int, font) -> None:
    """Draw the part groups as colour chips with names above the parts column's first panel."""
    step = PANEL_WIDTH // len(PART_GROUPS)
    for index, (name, word) in enumerate(PART_GROUPS):
        ids = [i for i, part in enumerate(BODY_PARTS) if word in part.split('_')]
        colour = tuple(int(c) for c in PART_COLOURS[ids[len(ids) // 2]])
        x = left + index * step + 4
        draw.rectangle((x, y - 5, x + 10, y + 5), fill=colour)
        draw.text((x + 14, y), name, fill=(0, 0, 0), font=font, anchor='lm')


def encode(rgb: np.ndarray, suffix: str) -> bytes:
    """JPEG (quality ``JPEG_QUALITY``) or 256-colour PNG bytes of an RGB picture."""
    image = Image.fromarray(rgb)
    if suffix == '.png':
        return palette_png(image, 256)
    if suffix not in ('.jpg', '.jpeg'):
        raise ValueError(f'the picture is .jpg or .png, not {suffix!r}')
    stream = io.BytesIO()
    image.save(stream, 'JPEG', quality=JPEG_QUALITY, optimize=True)
    return stream.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--run', help='bench_presets --json run to take the ms per frame from')
    parser.add_argument('--frame', type=int, default=FRAME, help='vtest.avi frame index')
    parser.add_argument('--configs', nargs='+', default=['fast', 'accurate'],
                        choices=list(CONFIGS), help='one row each (bench_presets names)')
    parser.add_argument('--output', default='docs/images/readme_vtest.jpg')
    parser.add_argument('--data-dir', default=None, help='where vtest.avi is (or is fetched to)')
    parser.add_argument('--video', default=None,
                        help='another video to take the frame from (default: vtest.avi)')
    parser.add_argument('--repeats', type=int, default=5,
                        help='timed calls per configuration without --run')
    args = parser.parse_args(argv)
    output = pathlib.Path(args.output)
    suffix = output.suffix.lower()
    if suffix not in ('.jpg', '.jpeg', '.png'):
        parser.error(f'--output must end in .jpg or .png, got {args.output}')
    run = preset_results.load(args.run) if args.run else None
    if run is not None:
        missing = [c for c in args.configs if not (run['configs'].get(c) or {}).get(
            'ms_per_640x480')]
        if missing:
            parser.error(f'{args.run} has no ms per 640x480 frame for {", ".join(missing)}')
    use_shared_models()
    video = pathlib.Path(args.video or sample_footage.ensure_vtest(args.data_dir))
    rgb = read_frame(video, args.frame)
    rows = [segment(rgb, config, run, args.repeats) for config in args.configs]
    source = (f'ms from bench_presets run {run["commit"]} ({run["machine"]})' if run else
              f'ms: median of {args.repeats} on this frame here')
    licence = f' ({LICENCE})' if video.name == sample_footage.VTEST_NAME else ''
    footer = (f'{video.name} frame {args.frame}{licence}, {rgb.shape[1]}x{rgb.shape[0]}; '
              "Segmenter, the node's engine and overlay",
              f'person_segmentation {preset_results.commit()}; {source}; '
              'python -m bench.readme_picture')
    picture = compose(rows, footer, timed_here=run is None)
    path = write_bytes_atomic(output, encode(picture, suffix))
    print(f'wrote {path}: {picture.shape[1]}x{picture.shape[0]}, {path.stat().st_size} bytes')
    print('caption: ' + '; '.join(caption(r, run is None) for r in rows))
    return 0


if __name__ == '__main__':
    sys.exit(main())
