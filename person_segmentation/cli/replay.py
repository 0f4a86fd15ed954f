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
``--mode lossless`` waits for each frame's output, so every input frame has one.
"""

import argparse
import itertools
import os
import pathlib
import sys
from typing import Iterator, Optional, Tuple

import numpy as np
from person_segmentation import bag_io
from person_segmentation.cli.video_to_bag import default_start_time
from person_segmentation.model_files import ModelFileError
from person_segmentation.video_io import (AtomicVideoWriter, open_video, VideoReadError,
                                          VideoWriteError)
from tqdm import tqdm

BAG_SUFFIXES = ('.mcap', '.db3')
OUTPUT_TOPICS = {'mask': bag_io.IMAGE_TYPE, 'probability': bag_io.IMAGE_TYPE,
                 'person_detected': bag_io.BOOL_TYPE}


def is_bag(path) -> bool:
    """Whether ``path`` is a rosbag2 bag: a folder with metadata.yaml, or a .mcap/.db3 file."""
    path = pathlib.Path(path)
    if path.is_dir():
        return (path / 'metadata.yaml').is_file()
    return path.suffix in BAG_SUFFIXES


class FrameInput:
    """Frames to replay, from a bag or a video: ``(stamp_ns, bgr, frame_id)``, fps and size."""

    def __init__(self, path: str, topic: Optional[str] = None, fps: Optional[float] = None):
        self.path = path
        self.is_bag = is_bag(path)
        if os.path.isdir(path) and not self.is_bag:
            raise bag_io.BagError(f'{path} is a folder without metadata.yaml: not a rosbag2 bag')
        if self.is_bag:
            self._bag = bag_io.BagImageSource(path, topic)
            self.fps = fps or self._bag.fps
            self.size = self._bag.size
            self.frame_count = self._bag.frame_count
            self.description = f'{path} topic {self._bag.topic} ({self._bag.msgtype})'
            self.note = self._bag.chosen_because
        else:
            if topic:
                raise ValueError('--topic applies to bag input only')
            self._video = open_video(path, fps=fps)
            self.fps = self._video.fps
            self.size = tuple(self._video.size)
            self.frame_count = self._video.frame_count
            self._start_ns = int(round(default_start_time(path) * 1e9))
            self.description = f'{path} ({self.fps:g} fps)'
            self.note = ''

    def frames(self) -> Iterator[Tuple[int, np.ndarray, str]]:
        """Yield ``(stamp_ns, bgr, frame_id)`` in order."""
        if self.is_bag:
            for frame in self._bag:
                yield frame.stamp_ns, frame.bgr, frame.frame_id
        else:
            for index, bgr in self._video:
                yield self._start_ns + int(round(index * 1e9 / self.fps)), bgr, 'camera'

    def close(self) -> None:
        """Close the bag or video."""
        (self._bag if self.is_bag else self._video).close()


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
                        help='also write the mask, probability and person_detected topics '
                             'into this new bag')
    parser.add_argument('--storage', choices=bag_io.STORAGES, default='mcap',
                        help='storage of --output-bag (default mcap)')
    parser.add_argument('--mode', choices=('realtime', 'lossless'), default='lossless',
                        help='lossless: wait for the output of every frame (default); realtime: '
                             'play at the recorded rate and report drops')
    parser.add_argument('--rate', type=float, default=1.0,
                        help='realtime playback speed multiplier (default 1.0)')
    parser.add_argument('--model', default=None,
                        help="model name or file for the node (default: the node's default)")
    parser.add_argument('--topic', default=None,
                        help='image topic to read from a bag (default: the image topic with '
                             'most messages)')
    parser.add_argument('--fps', type=float, default=None,
                        help='frame rate of a video input (default: its own)')
    parser.add_argument('--node', choices=('subprocess', 'inprocess'), default='subprocess',
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
        bag_io.check_output_path(bag, force)


def run(args) -> int:
    """Replay as ``args`` say; return the exit status (raises on bad input)."""
    from person_segmentation.replay_runner import ReplayOptions, ReplaySession, serialized
    from std_msgs.msg import Bool

    if args.limit is not None and args.limit < 1:
        raise ValueError(f'--limit must be at least 1, got {args.limit}')
    options = ReplayOptions(mode=args.mode, rate=args.rate, model=args.model, node=args.node,
                            node_parameters=_parse_params(args.param),
                            startup_timeout=args.startup_timeout)
    if not os.path.exists(args.input) and '%' not in args.input:
        raise ValueError(f'input not found: {args.input}')
    video_path = None if args.no_video else pathlib.Path(
        args.output_video or default_output_video(args.input))
    if video_path is None and args.output_bag is None:
        raise ValueError('--no-video without --output-bag would write nothing')
    _check_outputs(video_path, args.output_bag, args.force)

    source = FrameInput(args.input, args.topic, args.fps)
    total = source.frame_count
    if args.limit is not None:
        total = min(args.limit, total or args.limit)
    print(f'replaying {source.description}: {total or "?"} frames {source.size[0]}x'
          f'{source.size[1]}, {args.mode}, node {args.node}', file=sys.stderr)
    if source.note:
        print(f'note: {source.note}', file=sys.stderr)
    video_writer = bag_writer = None
    try:
        if video_path is not None:
            video_writer = AtomicVideoWriter(str(video_path), source.fps, source.size)
            video_writer.__enter__()
        connections = {}
        if args.output_bag is not None:
            bag_writer = bag_io.AtomicBagWriter(args.output_bag, storage=args.storage,
                                                force=args.force)
            bag_writer.__enter__()
        with ReplaySession(options) as session:
            present = session.wait_ready()
            if bag_writer is not None:
                for name, msgtype in OUTPUT_TOPICS.items():
                    if name in present:
                        connections[name] = bag_writer.add_topic(
                            f'{session.outputs_prefix}/{name}', msgtype)
            bar = tqdm(total=total, unit='frame', desc='replay',
                       disable=True if args.quiet else None)
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
                    if name == 'person_detected':
                        msg = Bool(data=bool(msg))
                    bag_writer.write_raw(connection, result.stamp_ns, serialized(msg))

            frames = itertools.islice(source.frames(), args.limit)
            stats = session.play(frames, on_result)
            bar.close()
        if stats.frames_out == 0:
            raise RuntimeError('the node produced no output; nothing written')
        for writer in (video_writer, bag_writer):
            if writer is not None:
                writer.__exit__(None, None, None)
    except BaseException as err:
        for writer in (video_writer, bag_writer):
            if writer is not None:
                try:
                    writer.__exit__(type(err), err, err.__traceback__)
                except Exception:  # noqa: B902 the original error matters more
                    pass
        raise
    finally:
        source.close()
    print(stats.summary())
    written = [str(p) for p in (video_path, args.output_bag) if p is not None]
    print(f'wrote {" and ".join(written)}')
    return 0


def replay_errors() -> tuple:
    """Exceptions that end a replay with a one-line message (exit 1) instead of a traceback."""
    from person_segmentation.replay_runner import ReplayError  # imports rclpy: only when run
    return (ValueError, bag_io.BagError, VideoReadError, VideoWriteError, ReplayError,
            ModelFileError, RuntimeError, OSError)


def main(argv=None) -> int:
    """Entry point of the replay console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except replay_errors() as err:
        print(f'replay: error: {err}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print('replay: interrupted; partial outputs removed', file=sys.stderr)
        return 130


if __name__ == '__main__':
    sys.exit(main())
