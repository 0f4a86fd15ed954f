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
The README's main command: real footage -> rosbag2 bag -> the node over ROS -> segmented video.

One command should show the whole pipeline working on real pedestrian footage on a fresh
Debian/Ubuntu machine, with nothing but the pip environment: with no input it fetches OpenCV's
vtest.avi (see person_segmentation.media.sample_footage), converts the video into a bag as a camera
recording would be, replays the bag through person_segmentation_node over real DDS topics and
writes the overlay video and a contact sheet of it (3 x 3 frames spread over the clip, PNG), so
the result can be seen without a video player. Any video or bag can be given instead.
"""

import argparse
import pathlib
import sys

from person_segmentation import exit_codes
from person_segmentation.cli import replay, video_to_bag
from person_segmentation.cli.engine_options import add_engine_options, engine_argv
from person_segmentation.media import sample_footage
from person_segmentation.media.bag_storage import is_bag
from person_segmentation.media.contact_sheet import write_contact_sheet
from person_segmentation.media.image_files import ImageWriteError
from person_segmentation.replay.options import LOSSLESS, MODES, NODE_MODES, SUBPROCESS


def build_parser() -> argparse.ArgumentParser:
    """Command-line interface of the demo."""
    parser = argparse.ArgumentParser(
        prog='demo',
        description='Segment people in recorded footage through the ROS node: fetch '
                    'vtest.avi (when no input is given), convert it to a rosbag2 bag, replay '
                    'it through person_segmentation_node and write the overlay video and a '
                    'contact sheet of it (PNG).')
    parser.add_argument('input', nargs='?', default=None,
                        help='video or bag to use instead of vtest.avi')
    parser.add_argument('--output-dir', default='output',
                        help='where the bag and the results go (default ./output)')
    parser.add_argument('--data-dir', default=None,
                        help='where vtest.avi is cached (default $PERSON_SEGMENTATION_DATA_DIR '
                             'or ./data)')
    parser.add_argument('--mode', choices=MODES, default=LOSSLESS,
                        help='lossless: every frame segmented (default); realtime: recorded '
                             'rate, drops reported')
    parser.add_argument('--rate', type=float, default=1.0, help='realtime speed multiplier')
    add_engine_options(parser)
    parser.add_argument('--node', choices=NODE_MODES, default=SUBPROCESS,
                        help='run the node as its own process (default) or in this one')
    parser.add_argument('--limit', type=int, default=None, metavar='N',
                        help='replay only the first N frames')
    parser.add_argument('--output-bag', action='store_true',
                        help='also record mask, probability and person_detected into a bag')
    parser.add_argument('--quiet', action='store_true', help='no progress bars')
    return parser


def _stem(path: str) -> str:
    path = pathlib.Path(path.rstrip('/'))
    return (path.name if path.is_dir() else path.stem).replace('%', '') or 'input'


def run(args) -> int:
    """Run the demo pipeline; return the exit status (raises on errors)."""
    output_dir = pathlib.Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    source = args.input
    if source is None:
        source = str(sample_footage.ensure_vtest(args.data_dir))
    stem = _stem(source)
    if is_bag(source):
        bag = pathlib.Path(source)
    else:
        bag = output_dir / f'{stem}_bag'
        if (bag / 'metadata.yaml').is_file():
            print(f'using the bag converted before: {bag} (delete it to convert again)')
        else:
            result = video_to_bag.convert(source, bag, compressed=True, force=bag.exists(),
                                          progress=False if args.quiet else None)
            print(f'converted {source} to {bag}: {result.frames} frames as {result.msgtype} '
                  f'on {result.topic}')
    video = output_dir / f'{stem}_segmented.mp4'
    replay_argv = [str(bag), '--output-video', str(video),
                   '--mode', args.mode, '--rate', str(args.rate), '--node', args.node,
                   '--force']
    if args.output_bag:
        replay_argv += ['--output-bag', str(output_dir / f'{stem}_segmented_bag')]
    replay_argv += engine_argv(args)
    if args.limit is not None:
        replay_argv += ['--limit', str(args.limit)]
    if args.quiet:
        replay_argv.append('--quiet')
    status = replay.run(replay.build_parser().parse_args(replay_argv))
    if status == exit_codes.OK:
        sheet = write_contact_sheet(video, output_dir / f'{stem}_contact_sheet.png')
        print(f'contact sheet: {sheet.path} ({len(sheet.frames)} of {sheet.frame_count} '
              f'frames, {sheet.size[0]}x{sheet.size[1]})')
    return status


def main(argv=None) -> int:
    """Entry point (``python -m person_segmentation.cli.demo``); returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except sample_footage.FootageError as err:
        print(f'demo: cannot get the sample footage: {err}', file=sys.stderr)
        return exit_codes.ERROR
    except replay.replay_errors() + (ImageWriteError,) as err:
        print(f'demo: error: {err}', file=sys.stderr)
        return exit_codes.ERROR
    except KeyboardInterrupt:
        print('demo: interrupted; partial outputs removed', file=sys.stderr)
        return exit_codes.INTERRUPTED


if __name__ == '__main__':
    sys.exit(main())
