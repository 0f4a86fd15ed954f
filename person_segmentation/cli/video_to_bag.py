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

RGB-D footage (a colour sequence and, beside it, one 16-bit depth PNG per frame, as RGB-D
datasets store it) becomes what an RGB-D driver publishes: with ``--depth``, each frame also
gets its depth as a 16UC1 Image (millimetres) and a CameraInfo for colour and for depth (from
``--camera-info FILE.yaml`` or ``--intrinsics fx,fy,cx,cy``), all with the colour frame's stamp
and frame_id (depth aligned to colour shares the colour optical frame). The default topics and
frame_id are those of realsense2_camera (ROS 2 wrapper 4.x, ``rs_launch.py
align_depth.enable:=true``, default namespace and name ``camera``), the most common RGB-D
driver, so the README's RealSense launch line and tools written for it work on the bag as they
are; each camera_info is the sibling of its image topic, as image_transport expects.
"""

import argparse
from dataclasses import dataclass
import itertools
import pathlib
import sys
from typing import Optional, Tuple

import numpy as np
from person_segmentation import exit_codes
from person_segmentation.cli.bag_options import add_bag_options, bag_storage
from person_segmentation.media import bags
from person_segmentation.media.bag_formats import DEFAULT_ROS_DISTRO
from person_segmentation.media.bag_topics import camera_info_topic, CAMERA_INFO_TYPE
from person_segmentation.media.camera_info import (calibration_from_intrinsics,
                                                   CameraCalibration, parse_intrinsics,
                                                   read_calibration_yaml)
from person_segmentation.media.depth_sequence import DepthSequence
from person_segmentation.media.frame_source import DEFAULT_FRAME_ID
from person_segmentation.media.video import default_start_time, VideoReadError, VideoSource
from tqdm import tqdm

DEFAULT_TOPIC = '/camera/image_raw'
# realsense2_camera 4.x with align_depth.enable:=true (camera_namespace and camera_name 'camera')
RGBD_COLOUR_TOPIC = '/camera/camera/color/image_raw'
RGBD_DEPTH_TOPIC = '/camera/camera/aligned_depth_to_color/image_raw'
RGBD_FRAME_ID = 'camera_color_optical_frame'


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
    depth_topic: Optional[str] = None
    camera_info_topics: Tuple[str, ...] = ()


def default_topic(compressed: bool, depth: bool = False) -> str:
    """Return the image topic used when none is given (image_transport naming)."""
    topic = RGBD_COLOUR_TOPIC if depth else DEFAULT_TOPIC
    return topic + '/compressed' if compressed else topic


def _check_topic(topic: str, option: str) -> None:
    if not topic.startswith('/'):
        raise ValueError(f'{option} {topic!r} must be absolute (start with /)')


def _aligned_depth(depth_frames: DepthSequence, index: int, bgr: np.ndarray) -> np.ndarray:
    depth = depth_frames.read(index)
    if depth.shape != bgr.shape[:2]:
        raise ValueError(
            f'depth image {depth_frames.files[index]} is {depth.shape[1]}x{depth.shape[0]} but '
            f'colour frame {index} is {bgr.shape[1]}x{bgr.shape[0]}: depth must be aligned to '
            f'the colour image, pixel for pixel (RealSense: align_depth.enable)')
    return depth


def convert(video, bag, topic: Optional[str] = None, frame_id: Optional[str] = None,
            storage: Optional[str] = None, compressed: bool = False, fps: Optional[float] = None,
            start_time: Optional[float] = None, force: bool = False, jpeg_quality: int = 90,
            progress: Optional[bool] = None, ros_distro: str = DEFAULT_ROS_DISTRO,
            limit: Optional[int] = None, depth=None, depth_scale: float = 1.0,
            depth_topic: Optional[str] = None, camera_info: Optional[CameraCalibration] = None,
            intrinsics: Optional[Tuple[float, float, float, float]] = None) -> Conversion:
    """
    Write every decoded frame of ``video`` into the new bag ``bag``; returns a summary.

    Stamps are ``start_time + index / fps`` (seconds); ``start_time`` defaults to the video
    file's modification time, ``fps`` to the video's own rate. Raises VideoReadError for an
    unreadable video, bags.BagError for an existing output (without ``force``) and
    ValueError for bad arguments. ``progress=None`` shows a bar only on a terminal.
    ``ros_distro`` is the oldest ROS 2 distribution that must read the bag (bag_formats).
    ``limit`` stops after that many frames (None: every frame).

    ``depth`` (a folder or printf pattern of 16-bit PNGs, one per colour frame, the colour
    frames' size; values times ``depth_scale`` are millimetres) adds a 16UC1 Image per frame on
    ``depth_topic``; ``camera_info`` (a calibration) or ``intrinsics`` (fx, fy, cx, cy) adds a
    CameraInfo beside the colour topic and the depth topic. Depth needs one of them. With depth,
    ``topic``, ``depth_topic`` and ``frame_id`` default to realsense2_camera's names.
    """
    has_depth = depth is not None
    topic = topic or default_topic(compressed, has_depth)
    frame_id = frame_id or (RGBD_FRAME_ID if has_depth else DEFAULT_FRAME_ID)
    _check_topic(topic, 'topic')
    if fps is not None and not fps > 0:
        raise ValueError(f'--fps must be positive, got {fps}')
    if limit is not None and limit < 1:
        raise ValueError(f'--limit must be at least 1, got {limit}')
    if camera_info is not None and intrinsics is not None:
        raise ValueError('give --camera-info or --intrinsics, not both: the same numbers from '
                         'two places, and which one holds would be a guess')
    depth_frames = None
    if has_depth:
        depth_topic = depth_topic or RGBD_DEPTH_TOPIC
        _check_topic(depth_topic, '--depth-topic')
        if camera_info_topic(depth_topic) == camera_info_topic(topic):
            raise ValueError(f'--depth-topic {depth_topic} must be in another namespace than the '
                             f'colour topic {topic}: each image has its camera_info beside it')
        if camera_info is None and intrinsics is None:
            raise ValueError('--depth needs the camera intrinsics (--camera-info FILE.yaml or '
                             '--intrinsics fx,fy,cx,cy): without them no consumer can place '
                             'a depth pixel in 3D')
        depth_frames = DepthSequence(depth, depth_scale)
    elif depth_topic is not None or depth_scale != 1.0:
        raise ValueError('--depth-topic and --depth-scale need --depth')
    bag = bags.check_output_path(bag, force)
    source = VideoSource(str(video), fps=fps)
    try:
        rate = float(source.fps)
        if start_time is None:
            start_time = default_start_time(video)
        if start_time < 0:
            raise ValueError(f'--start-time must not be negative, got {start_time}')
        start_ns = int(round(start_time * 1e9))
        calibration = camera_info  # of one image size: the video's, known from its first frame
        if calibration is not None:
            calibration.check_size(*source.size, 'the video frames')
        elif intrinsics is not None:
            calibration = calibration_from_intrinsics(*intrinsics, *source.size)
        msgtype = bags.COMPRESSED_IMAGE_TYPE if compressed else bags.IMAGE_TYPE
        frames, stamp_ns = 0, start_ns
        with bags.AtomicBagWriter(bag, storage=storage, force=force,
                                  ros_distro=ros_distro) as writer:
            depth_connection = depth_topic and writer.add_topic(depth_topic, bags.IMAGE_TYPE)
            connection = writer.add_topic(topic, msgtype)
            info_connections = {
                image_topic: writer.add_topic(camera_info_topic(image_topic), CAMERA_INFO_TYPE)
                for image_topic in filter(None, (depth_topic, topic))
                if calibration is not None}

            def write_camera_info(image_topic: str, stamp_ns: int) -> None:
                if image_topic in info_connections:
                    writer.write(info_connections[image_topic], stamp_ns,
                                 bags.camera_info_message(calibration, stamp_ns, frame_id))
            total = min(filter(None, (source.frame_count, limit)), default=None)
            bar = tqdm(itertools.islice(source, limit), total=total, unit='frame',
                       desc='video_to_bag', disable=(None if progress is None else not progress))
            for index, bgr in bar:
                stamp_ns = start_ns + int(round(index * 1e9 / rate))
                if depth_frames is not None:  # before colour, so a consumer has it first
                    write_camera_info(depth_topic, stamp_ns)
                    writer.write(depth_connection, stamp_ns, bags.image_message(
                        _aligned_depth(depth_frames, index, bgr), stamp_ns, frame_id, '16UC1'))
                write_camera_info(topic, stamp_ns)
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
            if depth_frames is not None and limit is None and len(depth_frames) > frames:
                raise ValueError(f'{depth} has {len(depth_frames)} depth images but {video} '
                                 f'{frames} frames: one depth image per colour frame is needed '
                                 f'(or --limit {frames})')
        return Conversion(bag, topic, msgtype, frames, rate, start_ns, stamp_ns,
                          tuple(source.size), depth_topic,
                          tuple(camera_info_topic(t) for t in info_connections))
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
                        help=f'image topic (default {DEFAULT_TOPIC}, with --depth '
                             f'{RGBD_COLOUR_TOPIC}; + /compressed with --compressed)')
    parser.add_argument('--frame-id', default=None,
                        help=f'header frame_id (default {DEFAULT_FRAME_ID}, with --depth '
                             f'{RGBD_FRAME_ID})')
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
    depth = parser.add_argument_group(
        'depth (RGB-D footage)', 'Depth aligned to the colour frames, written as a realsense2_'
        'camera driver publishes it: 16UC1 millimetres, with the colour stamps and frame_id, '
        'and a CameraInfo beside each image topic.')
    depth.add_argument('--depth', default=None, metavar='DIR',
                       help='folder (or printf pattern, depth/%%05d.png) of single-channel '
                            '16-bit PNG depth images in millimetres, one per colour frame in '
                            'name order, the size of the colour frames')
    depth.add_argument('--depth-scale', type=float, default=1.0, metavar='MM',
                       help='millimetres per stored depth unit (default 1; TUM RGB-D: 0.2)')
    depth.add_argument('--depth-topic', default=None, metavar='T',
                       help=f'depth image topic (default {RGBD_DEPTH_TOPIC})')
    calibration = depth.add_mutually_exclusive_group()
    calibration.add_argument('--camera-info', default=None, metavar='FILE.yaml',
                             help='calibration of the colour camera in the camera_calibration '
                                  '/ camera_info_manager YAML format')
    calibration.add_argument('--intrinsics', default=None, metavar='FX,FY,CX,CY',
                             help='pinhole intrinsics in pixels of the (undistorted) colour '
                                  'image, instead of --camera-info')
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
                         limit=args.limit, depth=args.depth, depth_scale=args.depth_scale,
                         depth_topic=args.depth_topic,
                         camera_info=args.camera_info and read_calibration_yaml(args.camera_info),
                         intrinsics=args.intrinsics and parse_intrinsics(args.intrinsics))
    except (VideoReadError, bags.BagError, ValueError) as err:
        print(f'video_to_bag: error: {err}', file=sys.stderr)
        return exit_codes.ERROR
    except KeyboardInterrupt:
        print('video_to_bag: interrupted; no bag written', file=sys.stderr)
        return exit_codes.INTERRUPTED
    width, height = result.size
    extras = ''
    if result.depth_topic:
        extras += f', 16UC1 depth on {result.depth_topic}'
    if result.camera_info_topics:
        extras += f', sensor_msgs/msg/CameraInfo on {" and ".join(result.camera_info_topics)}'
    print(f'wrote {result.frames} frames ({width}x{height}, {result.fps:g} fps) as '
          f'{result.msgtype} on {result.topic}{extras} to {result.bag}')
    return exit_codes.OK


if __name__ == '__main__':
    sys.exit(main())
