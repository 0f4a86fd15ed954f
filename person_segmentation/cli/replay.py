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
replay: run recorded footage (a bag or a video) through the real node, with no ROS install.

Checking the node on recorded warehouse footage should need nothing but the pip environment:
this tool reads a rosbag2 bag (or a video), publishes its frames over real ROS topics into
``person_segmentation_node``, collects the node's outputs and writes the segmented overlay
as a video and, optionally, the mask, probability and person_detected topics as a new bag.
``--mode realtime`` plays at the recorded rate and reports what the node dropped;
``--mode lossless`` waits for each frame's output, so every input frame has one. A bag recorded
from an RGB-D camera plays its depth too: each depth image and its camera_info is published
with the colour frame nearest to it in stamp, as recorded.
"""

import argparse
import contextlib
import itertools
import os
import pathlib
import sys
from typing import Optional

from person_segmentation import exit_codes, names
from person_segmentation.cli.bag_options import add_bag_options, bag_storage
from person_segmentation.cli.engine_options import (add_engine_options, NAMES as ENGINE_OPTIONS,
                                                    offline_preset)
from person_segmentation.launch_support import fastdds
from person_segmentation.launch_support.arguments import ConfigError
from person_segmentation.media import bags
from person_segmentation.media.frame_source import FrameSource
from person_segmentation.media.video import AtomicVideoWriter, VideoReadError, VideoWriteError
from person_segmentation.models.files import ModelFileError
from person_segmentation.replay import ReplayError
from person_segmentation.replay.options import (LOSSLESS, MODES, NODE_MODES, ReplayOptions,
                                                SUBPROCESS)
from tqdm import tqdm


def default_output_video(input_path: str) -> pathlib.Path:
    """``<input without suffix>_segmented.mp4`` beside the input."""
    path = pathlib.Path(input_path.rstrip('/'))
    stem = path.name if path.is_dir() else path.stem
    stem = stem.replace('%', '')
    return path.with_name(f'{stem}_segmented.mp4')


def build_parser() -> argparse.ArgumentParser:
    """Command-line interface of replay."""
    parser = argparse.ArgumentParser(
        prog='replay',
        description='Replay a rosbag2 bag or a video through person_segmentation_node over '
                    'real ROS topics (no ROS install needed) and write the segmented result.')
    parser.add_argument('input', help='bag (folder with metadata.yaml, .mcap or .db3) or '
                                      'video file / image-sequence pattern')
    parser.add_argument('--output-video', default=None, metavar='V',
                        help='overlay video to write (default: <input>_segmented.mp4 beside '
                             'the input)')
    parser.add_argument('--no-video', action='store_true', help='write no overlay video')
    parser.add_argument('--output-bag', default=None, metavar='B',
                        help='also write the mask, probability and person_detected topics, '
                             'and the other outputs the node publishes (e.g. persons), into '
                             'this new bag')
    add_bag_options(parser, '--output-bag')
    parser.add_argument('--mode', choices=MODES, default=LOSSLESS,
                        help='lossless: wait for the output of every frame (default); realtime: '
                             'play at the recorded rate and report drops')
    parser.add_argument('--rate', type=float, default=1.0,
                        help='realtime playback speed multiplier (default 1.0)')
    add_engine_options(parser)
    parser.add_argument('--topic', default=None,
                        help='image topic to read from a bag (default: a raw Image topic '
                             'before a CompressedImage one, then the one with most messages)')
    depth = parser.add_mutually_exclusive_group()
    depth.add_argument('--depth-topic', default=None, metavar='T',
                       help='depth image topic to play from a bag with the frames (default: a '
                            'depth topic of the same camera, aligned to colour if any)')
    depth.add_argument('--no-depth', action='store_true',
                       help="play a bag's colour frames only, without its depth")
    parser.add_argument('--fps', type=float, default=None,
                        help='frame rate of a video input (default: its own)')
    parser.add_argument('--node', choices=NODE_MODES, default=SUBPROCESS,
                        help='run the node as its own process (default) or in this one')
    parser.add_argument('--param', action='append', default=[], metavar='NAME:=VALUE',
                        help='extra node parameter, repeatable (e.g. threshold:=0.6)')
    parser.add_argument('--limit', type=int, default=None, metavar='N',
                        help='replay only the first N frames')
    parser.add_argument('--startup-timeout', type=float, default=120.0, metavar='S',
                        help='seconds to wait for the node to start (default 120)')
    parser.add_argument('--force', action='store_true', help='replace existing outputs')
    parser.add_argument('--quiet', action='store_true', help='no progress bar')
    return parser


def node_parameters(args) -> dict:
    """
    Return the node parameters the command line sets: --param, then the engine options.

    An offline tool's preset unless one is given (``engine_options.offline_preset``): the
    node's own default is 'auto', fast on a CPU.
    """
    params = _parse_params(args.param)
    params.update({name: getattr(args, name) for name in ENGINE_OPTIONS if getattr(args, name)})
    params['preset'] = offline_preset(params.get('preset'), params.get('model'))
    return params


def _parse_params(items):
    params = {}
    for item in items:
        name, sep, value = item.partition(':=')
        if not sep or not name:
            raise ValueError(f'--param {item!r} is not NAME:=VALUE')
        params[name] = value
    return params


def _check_outputs(video: Optional[pathlib.Path], bag: Optional[str], force: bool) -> None:
    if video is not None and video.exists() and not force:
        raise ValueError(f'{video} exists already; remove it or pass --force to replace it')
    if bag is not None:
        bags.check_output_path(bag, force)


def run(args) -> int:
    """Replay as ``args`` say; return the exit status (raises on bad input)."""
    from person_segmentation.replay.runner import ReplaySession, serialized  # imports rclpy
    from std_msgs.msg import Bool

    if args.limit is not None and args.limit < 1:
        raise ValueError(f'--limit must be at least 1, got {args.limit}')
    # Images over 512 KB (768x576 bgr8 is 1.3 MB) cross Fast DDS's default transports as UDP
    # fragments that wait for resends: the demo ran at 11 fps with a p99 latency of 2.2 s.
    try:
        profile = fastdds.choose_profile(os.environ)
    except ConfigError as err:  # an install without config/: slower, but it runs
        profile = fastdds.ProfileChoice({}, f'none ({err})')
    options = ReplayOptions(mode=args.mode, rate=args.rate, node=args.node,
                            node_parameters=node_parameters(args), environment=profile.env,
                            startup_timeout=args.startup_timeout,
                            on_demand_outputs=args.output_bag is not None)
    if not os.path.exists(args.input) and '%' not in args.input:
        raise ValueError(f'input not found: {args.input}')
    video_path = None if args.no_video else pathlib.Path(
        args.output_video or default_output_video(args.input))
    if video_path is None and args.output_bag is None:
        raise ValueError('--no-video without --output-bag would write nothing')
    _check_outputs(video_path, args.output_bag, args.force)

    # Exits in reverse order: the session stops before the writers commit (or discard, on an
    # error or Ctrl-C) their outputs, and the input closes last.
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(FrameSource(args.input, args.topic, args.fps,
                                                 depth_topic=args.depth_topic,
                                                 use_depth=not args.no_depth))
        options.depth = source.depth is not None
        total = source.frame_count
        if args.limit is not None:
            total = min(args.limit, total or args.limit)
        print(f'replaying {source.description}: {total or "?"} frames {source.size[0]}x'
              f'{source.size[1]}, {args.mode}, node {args.node}', file=sys.stderr)
        print(f'Fast DDS profile of the replay and the node: {profile.description}',
              file=sys.stderr)
        if source.note:
            print(f'note: {source.note}', file=sys.stderr)
        video_writer = bag_writer = None
        if video_path is not None:
            video_writer = stack.enter_context(
                AtomicVideoWriter(str(video_path), source.fps, source.size))
        if args.output_bag is not None:
            bag_writer = stack.enter_context(
                bags.AtomicBagWriter(args.output_bag, storage=bag_storage(args, 'replay'),
                                     force=args.force, ros_distro=args.ros_distro))
        session = stack.enter_context(ReplaySession(options))
        present = session.wait_ready()
        connections = {}  # of the frame's outputs; extras' are added at their first message
        extra_connections = {}
        if bag_writer is not None:
            for name in present:
                if name != names.OVERLAY:  # the video
                    connections[name] = bag_writer.add_topic(
                        f'{session.outputs_prefix}/{name}', names.OUTPUT_TYPES[name])
        bar = stack.enter_context(tqdm(total=total, unit='frame', desc='replay',
                                       disable=True if args.quiet else None))
        last_written = [-1]

        def on_result(result):
            bar.update(1)
            if result.stamp_ns <= last_written[0]:
                return  # out of order: the video would go backwards
            last_written[0] = result.stamp_ns
            if video_writer is not None:
                video_writer.write(result.overlay_bgr())
            for name, connection in connections.items():
                msg = getattr(result, name)
                if name == names.PERSON_DETECTED:
                    msg = Bool(data=bool(msg))
                bag_writer.write_raw(connection, result.stamp_ns, serialized(msg))

        def on_extra(extra):
            if bag_writer is None:
                return
            if extra.name not in extra_connections:  # its first message
                msgtype = names.OUTPUT_TYPES[extra.name]
                extra_connections[extra.name] = bags.can_write(msgtype) and \
                    bag_writer.add_topic(f'{session.outputs_prefix}/{extra.name}', msgtype)
                if not extra_connections[extra.name]:
                    print(f'note: ~/{extra.name} is not recorded: rosbags has no definition '
                          f'of {msgtype}', file=sys.stderr)
            if extra_connections[extra.name]:
                bag_writer.write_raw(extra_connections[extra.name], extra.stamp_ns,
                                     serialized(extra.message))

        stats = session.play(itertools.islice(source.frames(), args.limit), on_result,
                             on_extra)
        if stats.frames_out == 0:
            raise RuntimeError('the node produced no output; nothing written')
    print(stats.summary())
    written = [str(p) for p in (video_path, args.output_bag) if p is not None]
    print(f'wrote {" and ".join(written)}')
    return exit_codes.OK


def replay_errors() -> tuple:
    """Exceptions that end a replay with a one-line message (exit 1) instead of a traceback."""
    return (ValueError, bags.BagError, VideoReadError, VideoWriteError, ReplayError,
            ModelFileError, RuntimeError, OSError)


def main(argv=None) -> int:
    """Entry point of the replay console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except replay_errors() as err:
        print(f'replay: error: {err}', file=sys.stderr)
        return exit_codes.ERROR
    except KeyboardInterrupt:
        print('replay: interrupted; partial outputs removed', file=sys.stderr)
        return exit_codes.INTERRUPTED


if __name__ == '__main__':
    sys.exit(main())
