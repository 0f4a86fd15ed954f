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
``segment_video``: segment people in a video file or image sequence, offline.

Writes the person overlay video at the input's size and fps and, with ``--mask-output``, a
grayscale 0/255 mask video (or lossless numbered frames for a pattern such as
``masks/%05d.png``) with the same size, fps and frame count. Outputs are written under temporary
names and only renamed into place when the whole input was processed; on an error or Ctrl-C
nothing is left behind.
"""

import argparse
import contextlib
import sys
import time
from typing import List, Optional

import cv2
import numpy as np
from person_segmentation import exit_codes
from person_segmentation.cli.engine_options import add_engine_options, offline_preset
from person_segmentation.engine.input_strategy import STRATEGIES
from person_segmentation.engine.rendering import render_overlay
from person_segmentation.engine.segmenter import Segmenter
from person_segmentation.media.video import (AtomicVideoWriter, VideoReadError, VideoSource,
                                             VideoWriteError)
from person_segmentation.models.files import ModelFileError
from tqdm import tqdm


def _color(text: str):
    parts = [int(p) for p in text.replace(' ', '').split(',')]
    if len(parts) != 3 or not all(0 <= p <= 255 for p in parts):
        raise argparse.ArgumentTypeError(f'colour must be R,G,B in 0..255, got {text!r}')
    return tuple(parts)


def _unit(text: str) -> float:
    value = float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f'must be in [0, 1), got {text}')
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    parser = argparse.ArgumentParser(
        prog='segment_video',
        description='Segment people in a video (anything OpenCV reads, or an image sequence '
                    'pattern such as frames/%05d.jpg) and write an overlay video.')
    parser.add_argument('input', help='input video file or image sequence pattern')
    parser.add_argument('output', help='overlay video to write (.mp4, .avi, .mkv, or a '
                                       'pattern such as overlay/%%05d.png)')
    parser.add_argument('--mask-output', metavar='MASK',
                        help='also write a 0/255 grayscale mask video or pattern (PNG frames '
                             'are lossless)')
    add_engine_options(parser, default='auto')
    parser.add_argument('--model-dir', help='directory holding/caching model files '
                                            '(default: $PERSON_SEGMENTATION_MODEL_DIR or the '
                                            'XDG cache)')
    parser.add_argument('--smoothing', type=_unit, default=0.3, metavar='A',
                        help='temporal EMA factor in [0, 1), weight of the past, gated by '
                             'agreement (default 0.3; 0 = off)')
    parser.add_argument('--threshold', type=float, default=None,
                        help='person probability threshold for the mask (default: the '
                             "preset's: accurate 0.5, fast 0.55; a model alone 0.5)")
    parser.add_argument('--strategy', choices=STRATEGIES,
                        help="input handling (default: the preset's, 'native' where the "
                             "backend can take rectangular inputs, else 'tiles')")
    parser.add_argument('--zoom', type=float, default=None,
                        help="a model alone: input short side = ZOOM x model size, for 'tiles' "
                             "and 'native' (default 1; 2 helps the 257 model and far people); "
                             "a preset: its views' input sizes ZOOM times")
    parser.add_argument('--threads', type=int, default=2, help='CPU threads (default 2)')
    parser.add_argument('--batch', type=int, default=None, metavar='N',
                        help='frames per model call (default: 8 on a GPU, 1 on the CPU)')
    parser.add_argument('--color', type=_color, default=(0, 255, 0), metavar='R,G,B',
                        help='overlay colour (default 0,255,0)')
    parser.add_argument('--alpha', type=float, default=0.5, help='overlay opacity (default 0.5)')
    parser.add_argument('--outline', type=int, default=0, help='outline thickness in px '
                                                               '(default 0: none)')
    parser.add_argument('--fps', type=float, help='frame rate for image-sequence input '
                                                  '(default: 30)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    return parser


def _batches(source, size: int):
    """Yield ``(timestamps, RGB frames)`` of up to ``size`` consecutive frames."""
    stamps, rgbs = [], []
    for index, bgr in source:
        stamps.append(index / source.fps)
        rgbs.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        if len(rgbs) == size:
            yield stamps, rgbs
            stamps, rgbs = [], []
    if rgbs:
        yield stamps, rgbs


def run(args) -> int:
    """Segment ``args.input``; return the process exit code."""
    # Exits in reverse order: the mask and overlay outputs commit (or, on an error or Ctrl-C,
    # are removed) before the model and the input are released.
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(VideoSource(args.input, fps=args.fps))
        segmenter = Segmenter(args.model, preset=offline_preset(args.preset, args.model),
                              threads=args.threads,
                              strategy=args.strategy, smoothing=args.smoothing,
                              threshold=args.threshold, model_dir=args.model_dir, zoom=args.zoom,
                              backend=args.backend, device=args.device)
        stack.callback(segmenter.close)
        batch = args.batch or segmenter.backend.preferred_batch
        width, height = source.size
        print(f'segment_video: {args.input} ({width}x{height}, {source.fps:g} fps, '
              f'{source.frame_count or "?"} frames) with {segmenter.describe()}, batch {batch}',
              file=sys.stderr)
        frames = person_pixels = frames_with_people = total_pixels = 0
        start = time.perf_counter()
        bar = stack.enter_context(tqdm(total=source.frame_count, unit='frame', file=sys.stderr,
                                       disable=args.no_progress, dynamic_ncols=True))
        overlay_out = stack.enter_context(
            AtomicVideoWriter(args.output, source.fps, source.size))
        mask_out = (stack.enter_context(AtomicVideoWriter(args.mask_output, source.fps,
                                                          source.size, is_color=False))
                    if args.mask_output else None)
        for stamps, rgbs in _batches(source, batch):
            for rgb, result in zip(rgbs, segmenter.segment_batch(rgbs, stamps)):
                overlay = render_overlay(rgb, result.mask, args.color, args.alpha, args.outline)
                overlay_out.write(cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR))
                if mask_out is not None:
                    mask_out.write(result.mask)
                frames += 1
                person_pixels += int(np.count_nonzero(result.mask))
                total_pixels += result.mask.size
                frames_with_people += result.person_present
                bar.update(1)
    elapsed = time.perf_counter() - start
    share = person_pixels / total_pixels if total_pixels else 0.0
    print(f'segment_video: {frames} frames in {elapsed:.1f} s ({frames / elapsed:.2f} fps); '
          f'person pixels {share:.1%}; frames with people {frames_with_people}/{frames}; '
          f'wrote {args.output}' + (f' and {args.mask_output}' if args.mask_output else ''),
          file=sys.stderr)
    return exit_codes.OK


def main(argv: Optional[List[str]] = None) -> int:
    """Console entry point."""
    args = build_parser().parse_args(argv)
    if args.threads < 1:
        print('segment_video: error: --threads must be at least 1', file=sys.stderr)
        return exit_codes.ERROR
    if not 0.0 <= args.alpha <= 1.0:
        print('segment_video: error: --alpha must be in [0, 1]', file=sys.stderr)
        return exit_codes.ERROR
    if args.batch is not None and args.batch < 1:
        print('segment_video: error: --batch must be at least 1', file=sys.stderr)
        return exit_codes.ERROR
    try:
        return run(args)
    except KeyboardInterrupt:
        print('segment_video: interrupted; partial outputs removed', file=sys.stderr)
        return exit_codes.INTERRUPTED
    except (VideoReadError, VideoWriteError, ModelFileError, ValueError, KeyError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f'segment_video: error: {message}', file=sys.stderr)
        return exit_codes.ERROR


if __name__ == '__main__':
    sys.exit(main())
