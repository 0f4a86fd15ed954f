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
video_to_bag: turn recorded footage (a video file or image sequence) into a rosbag2 bag.

Warehouse footage usually arrives as video files, while the node, ``ros2 bag play`` and the
bag_replay launch consume camera topics. This tool writes one sensor_msgs/Image (bgr8) per
decoded frame, or a sensor_msgs/CompressedImage (JPEG) with ``--compressed``, stamped from
the frame index and the video's frame rate, without needing a ROS installation.
"""

import argparse
from dataclasses import dataclass
import itertools
import pathlib
import sys
from typing import Optional

from person_segmentation import exit_codes
from person_segmentation.cli.bag_options import add_bag_options, bag_storage
from person_segmentation.media import bags
from person_segmentation.media.bag_formats import DEFAULT_ROS_DISTRO
from person_segmentation.media.frame_source import DEFAULT_FRAME_ID
from person_segmentation.media.video import default_start_time, VideoReadError, VideoSource
from tqdm import tqdm

DEFAULT_TOPIC = '/camera/image_raw'


@dataclass(frozen=True)
class Conversion:
    """What a conversion wrote."""

    bag: pathlib.Path
    topic: str
    msgtype: str
    frames: int
    fps: float
    start_ns: int
    end_ns: int
    size: tuple


def default_topic(compressed: bool) -> str:
    """Return the image topic used when none is given (image_transport naming)."""
    return DEFAULT_TOPIC + '/compressed' if compressed else DEFAULT_TOPIC


def convert(video, bag, topic: Optional[str] = None, frame_id: str = DEFAULT_FRAME_ID,
            storage: Optional[str] = None, compressed: bool = False, fps: Optional[float] = None,
            start_time: Optional[float] = None, force: bool = False, jpeg_quality: int = 90,
            progress: Optional[bool] = None, ros_distro: str = DEFAULT_ROS_DISTRO,
            limit: Optional[int] = None) -> Conversion:
    """
    Write every decoded frame of ``video`` into the new bag ``bag``; returns a summary.

    Stamps are ``start_time + index / fps`` (seconds); ``start_time`` defaults to the video
    file's modification time, ``fps`` to the video's own rate. Raises VideoReadError for an
    unreadable video, bags.BagError for an existing output (without ``force``) and
    ValueError for bad arguments. ``progress=None`` shows a bar only on a terminal.
    ``ros_distro`` is the oldest ROS 2 distribution that must read the bag (bag_formats).
    ``limit`` stops after that many frames (None: every frame).
    """
    topic = topic or default_topic(compressed)
    if not topic.startswith('/'):
        raise ValueError(f'topic {topic!r} must be absolute (start with /)')
    if fps is not None and not fps > 0:
        raise ValueError(f'--fps must be positive, got {fps}')
    if limit is not None and limit < 1:
        raise ValueError(f'--limit must be at least 1, got {limit}')
    bag = bags.check_output_path(bag, force)
    source = VideoSource(str(video), fps=fps)
    try:
        rate = float(source.fps)
        if start_time is None:
            start_time = default_start_time(video)
        if start_time < 0:
            raise ValueError(f'--start-time must not be negative, got {start_time}')
        start_ns = int(round(start_time * 1e9))
        msgtype = bags.COMPRESSED_IMAGE_TYPE if compressed else bags.IMAGE_TYPE
        frames, stamp_ns = 0, start_ns
        with bags.AtomicBagWriter(bag, storage=storage, force=force,
                                  ros_distro=ros_distro) as writer:
            connection = writer.add_topic(topic, msgtype)
            total = min(filter(None, (source.frame_count, limit)), default=None)
            bar = tqdm(itertools.islice(source, limit), total=total, unit='frame',
                       desc='video_to_bag', disable=(None if progress is None else not progress))
            for index, bgr in bar:
                stamp_ns = start_ns + int(round(index * 1e9 / rate))
                if compressed:
                    message = bags.compressed_image_message(bgr, stamp_ns, frame_id,
                                                            jpeg_quality)
                else:
                    message = bags.image_message(bgr, stamp_ns, frame_id, 'bgr8')
                writer.write(connection, stamp_ns, message)
                frames += 1
            bar.close()
            if frames == 0:
                raise VideoReadError(f'{video}: no frame could be decoded')
        return Conversion(bag, topic, msgtype, frames, rate, start_ns, stamp_ns,
                          tuple(source.size))
    finally:
        source.close()


def build_parser() -> argparse.ArgumentParser:
    """Command-line interface of video_to_bag."""
    parser = argparse.ArgumentParser(
        prog='video_to_bag',
        description='Convert a video file or image sequence (printf pattern such as '
                    'frames/%05d.jpg) into a rosbag2 bag with one image message per frame.')
    parser.add_argument('video', help='video file or image-sequence pattern')
    parser.add_argument('bag', help='output bag directory (must not exist unless --force)')
    parser.add_argument('--topic', default=None,
                        help=f'image topic (default {DEFAULT_TOPIC}, '
                             f'{DEFAULT_TOPIC}/compressed with --compressed)')
    parser.add_argument('--frame-id', default=DEFAULT_FRAME_ID,
                        help=f'header frame_id (default {DEFAULT_FRAME_ID})')
    add_bag_options(parser, 'the bag')
    parser.add_argument('--compressed', action='store_true',
                        help='write sensor_msgs/CompressedImage (JPEG) instead of raw bgr8')
    parser.add_argument('--jpeg-quality', type=int, default=90, metavar='Q',
                        help='JPEG quality 1-100 with --compressed (default 90)')
    parser.add_argument('--fps', type=float, default=None,
                        help="frame rate for the stamps (default: the video's own)")
    parser.add_argument('--start-time', type=float, default=None, metavar='S',
                        help='stamp of the first frame, seconds since the epoch '
                             "(default: the video file's modification time)")
    parser.add_argument('--limit', type=int, default=None, metavar='N',
                        help='convert only the first N frames')
    parser.add_argument('--force', action='store_true', help='replace an existing output')
    parser.add_argument('--quiet', action='store_true', help='no progress bar')
    return parser


def main(argv=None) -> int:
    """Entry point of the video_to_bag console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    if not 1 <= args.jpeg_quality <= 100:
        print('video_to_bag: error: --jpeg-quality must be within 1..100', file=sys.stderr)
        return exit_codes.USAGE
    try:
        result = convert(args.video, args.bag, topic=args.topic, frame_id=args.frame_id,
                         storage=bag_storage(args, 'video_to_bag'), compressed=args.compressed,
                         fps=args.fps, start_time=args.start_time, force=args.force,
                         jpeg_quality=args.jpeg_quality,
                         progress=False if args.quiet else None, ros_distro=args.ros_distro,
                         limit=args.limit)
    except (VideoReadError, bags.BagError, ValueError) as err:
        print(f'video_to_bag: error: {err}', file=sys.stderr)
        return exit_codes.ERROR
    except KeyboardInterrupt:
        print('video_to_bag: interrupted; no bag written', file=sys.stderr)
        return exit_codes.INTERRUPTED
    width, height = result.size
    print(f'wrote {result.frames} frames ({width}x{height}, {result.fps:g} fps) as '
          f'{result.msgtype} on {result.topic} to {result.bag}')
    return exit_codes.OK


if __name__ == '__main__':
    sys.exit(main())
