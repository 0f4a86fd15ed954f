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
Several cameras: one node serving them all against one node per camera, in the same run.

Publishes N cameras (default 4) of real 640x480 bgr8 frames at a fixed rate (default 10 Hz)
each, stamped with the time they are sent, and runs, one after the other (``--rounds``
alternates them), (a) one ``person_segmentation_node`` with ``images:=[...]`` and (b) N nodes
with one camera each, every node with the same preset and threads. For each arm it prints the
frames answered per camera (and their min/max ratio: fairness), the aggregate fps, the latency
(header stamp -> mask received here) p50/p99 over all cameras, and the peak memory of the
node processes together: RSS summed (shared library pages count once per process) and PSS
(each shared page split between the processes that map it: the fair total). Targets (issue
21): the one node answers at least as many frames in total as the N nodes, with <= 40 % of
their memory, and min/max per camera >= 0.8. ``--json PATH`` also writes the numbers.

    .venv/bin/python -m bench.bench_multicam                       # 4 cameras, 60 s per arm
    .venv/bin/python -m bench.bench_multicam --duration 15 --rounds 1   # a rehearsal
    .venv/bin/python -m bench.bench_multicam --shape-switching      # engine: mixed sizes

``--shape-switching`` measures instead what cameras of different frame sizes cost the engine:
the 'native' strategy re-shapes the LiteRT interpreter whenever the size changes, which
alternating cameras of two sizes do on every frame.

The machine's load changes the numbers: report ``uptime`` with them. Tests time nothing.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from typing import Dict, List

from bench.bench_node import (load_frame, node_executable, pss_mb, rss_mb, stop_peer,
                              stop_processes)
from bench.paths import REPO_ROOT, SHARED
import cv2
import numpy as np
from person_segmentation import names
from person_segmentation.media.image_conversion import array_to_fields
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image

RELIABLE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
ONE_NODE, NODE_PER_CAMERA = 'one node', 'one node per camera'


def camera_frames(count: int, width: int, height: int) -> List[np.ndarray]:
    """Return a different real frame for each camera (flips and shifts of one DAVIS frame)."""
    base = load_frame(width + 8 * count, height)
    frames = []
    for index in range(count):
        frame = base[:, 8 * index:8 * index + width]
        frames.append(np.ascontiguousarray(frame[:, ::-1] if index % 2 else frame))
    return frames


def _environment() -> Dict[str, str]:
    env = dict(os.environ)  # with main's model directory and Fast DDS profile
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get('PYTHONPATH')]))
    return env


def start_nodes(arm: str, cameras: int, args) -> List[subprocess.Popen]:
    """Start the arm's node processes; return them."""
    common = ['-p', f'preset:={args.preset}', '-p', f'threads:={args.threads}',
              '-p', 'max_age:=0.0']
    topics = [f'/bench_cam_{index}/image_raw' for index in range(cameras)]
    if arm == ONE_NODE:
        commands = [node_executable() + ['--ros-args', '-r', '__ns:=/bench_one'] + common
                    + ['-p', f'images:=[{", ".join(topics)}]']]
    else:
        commands = [node_executable() + ['--ros-args', '-r', f'__ns:=/bench_single_{index}',
                                         '-r', f'image:={topic}'] + common
                    for index, topic in enumerate(topics)]
    return [subprocess.Popen(command, env=_environment(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True) for command in commands]


def mask_topics(arm: str, cameras: int) -> List[str]:
    """Each camera's mask topic in the arm."""
    if arm == ONE_NODE:
        return [f'/bench_one/{names.NODE_NAME}/camera_{i}/{names.MASK}' for i in range(cameras)]
    return [f'/bench_single_{i}/{names.NODE_NAME}/{names.MASK}' for i in range(cameras)]


class Rig:
    """The bench side: N camera publishers and every camera's masks."""

    def __init__(self, context, arm: str, cameras: int):
        self.node = rclpy.create_node('bench_multicam', context=context)
        self.publishers = [self.node.create_publisher(
            Image, f'/bench_cam_{index}/image_raw', RELIABLE) for index in range(cameras)]
        self.lock = threading.Lock()
        self.latencies: List[List[float]] = [[] for _ in range(cameras)]
        for index, topic in enumerate(mask_topics(arm, cameras)):
            self.node.create_subscription(
                Image, topic, lambda msg, index=index: self._on_mask(index, msg), RELIABLE)

    def _on_mask(self, index: int, msg) -> None:
        now = time.time()
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        if msg.header.frame_id.startswith('bench'):
            with self.lock:
                self.latencies[index].append(now - stamp)

    def subscribed(self) -> bool:
        """Tell whether the node of every camera has subscribed to it."""
        return all(publisher.get_subscription_count() > 0 for publisher in self.publishers)


def run_arm(arm: str, args, frames: List[np.ndarray]) -> dict:
    """One arm: its node processes, N cameras for ``args.duration`` s; the measured row."""
    cameras = len(frames)
    processes = start_nodes(arm, cameras, args)
    context = rclpy.Context()
    rclpy.init(context=context)
    rig = Rig(context, arm, cameras)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(rig.node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    peaks = {'rss': 0.0, 'pss': 0.0}
    stop = threading.Event()

    def sample_memory():
        while not stop.is_set():
            peaks['rss'] = max(peaks['rss'], sum(np.nan_to_num(rss_mb(p.pid))
                                                 for p in processes))
            peaks['pss'] = max(peaks['pss'], sum(np.nan_to_num(pss_mb(p.pid))
                                                 for p in processes))
            time.sleep(0.2)
    sampler = threading.Thread(target=sample_memory, daemon=True)
    sampler.start()
    messages = []
    for index, frame in enumerate(frames):
        msg = Image(**array_to_fields(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), 'bgr8'))
        msg.header.frame_id = f'bench_cam_{index}'
        messages.append(msg)
    try:
        deadline = time.monotonic() + 120.0
        while not rig.subscribed():
            if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
                failed = next((p for p in processes if p.poll() is not None), processes[0])
                raise RuntimeError(f'{arm}: a node did not start: '
                                   f'{failed.stderr.read()[-2000:] if failed.poll() else ""}')
            time.sleep(0.1)
        time.sleep(2.0)  # matching settles; the first frames load nothing more
        with rig.lock:
            for latencies in rig.latencies:
                latencies.clear()
        sent, start = 0, time.monotonic()
        period = 1.0 / args.rate
        while time.monotonic() - start < args.duration:
            # the cameras are not synchronised: each sends a quarter period after the other
            for index, (publisher, msg) in enumerate(zip(rig.publishers, messages)):
                due = start + sent * period + index * period / cameras
                time.sleep(max(0.0, due - time.monotonic()))
                stamp = time.time()
                msg.header.stamp.sec = int(stamp)
                msg.header.stamp.nanosec = int((stamp - int(stamp)) * 1e9)
                publisher.publish(msg)
            sent += 1
        elapsed = time.monotonic() - start
        time.sleep(2.0)  # the last masks
    finally:
        stop.set()
        stop_processes(processes)
        stop_peer(executor, spinner, rig.node, context)
    with rig.lock:
        per_camera = [len(latencies) for latencies in rig.latencies]
        every = np.array([v for latencies in rig.latencies for v in latencies]) * 1e3
    return {
        'arm': arm, 'processes': len(processes), 'sent per camera': sent,
        'answered per camera': per_camera,
        'min/max': min(per_camera) / max(per_camera) if max(per_camera) else 0.0,
        'aggregate fps': sum(per_camera) / elapsed,
        'p50 ms': float(np.percentile(every, 50)) if every.size else float('nan'),
        'p99 ms': float(np.percentile(every, 99)) if every.size else float('nan'),
        'peak RSS MB (sum)': peaks['rss'], 'peak PSS MB (sum)': peaks['pss'],
        'exit codes': [p.returncode for p in processes],
    }


def shape_switching(args) -> List[dict]:
    """Time the engine alone (ms per frame): one size, against two sizes alternating."""
    from bench.timing import median_ms
    from person_segmentation import Segmenter

    segmenter = Segmenter(preset=args.preset, threads=args.threads)
    small = load_frame(args.width, args.height)
    large = load_frame(1280, 720)
    rows = []
    try:
        for label, sequence in (('640x480 only', [small, small]),
                                ('1280x720 only', [large, large]),
                                ('640x480 and 1280x720 alternating', [small, large])):
            ms = median_ms(lambda: [segmenter(frame) for frame in sequence], repeats=40) / 2
            rows.append({'frames': label, 'ms per frame': ms})
    finally:
        segmenter.close()
    rows.append({'frames': 'cost of a size change (alternating - mean of the two)',
                 'ms per frame': rows[2]['ms per frame']
                 - (rows[0]['ms per frame'] + rows[1]['ms per frame']) / 2})
    return rows


def print_table(rows: List[dict]) -> None:
    keys = list(rows[0])
    print('| ' + ' | '.join(keys) + ' |')
    print('|' + ' --- |' * len(keys))
    for row in rows:
        print('| ' + ' | '.join(f'{row[k]:.2f}' if isinstance(row[k], float) else str(row[k])
                                for k in keys) + ' |')


def main(argv=None) -> int:
    """Run the arms (or the shape-switching measurement) and print tables and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.strip().split('\n\n')[0])
    parser.add_argument('--cameras', type=int, default=4)
    parser.add_argument('--rate', type=float, default=10.0, help='frames per second per camera')
    parser.add_argument('--duration', type=float, default=60.0, help='seconds per arm')
    parser.add_argument('--rounds', type=int, default=1,
                        help='times each arm runs, alternating (one node first)')
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument('--height', type=int, default=480)
    parser.add_argument('--preset', default='fast')
    parser.add_argument('--threads', type=int, default=2, help='inference threads per node')
    parser.add_argument('--no-profile', action='store_true',
                        help="leave Fast DDS's defaults (the launch files give the nodes "
                             'config/fastdds_large_images.xml; so does this bench)')
    parser.add_argument('--shape-switching', action='store_true',
                        help='measure the engine with frames of two sizes instead')
    parser.add_argument('--json', help='also write the numbers to this file')
    args = parser.parse_args(argv)
    os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
    if 'PERSON_SEGMENTATION_MODEL_DIR' not in os.environ and (SHARED / 'models').is_dir():
        os.environ['PERSON_SEGMENTATION_MODEL_DIR'] = str(SHARED / 'models')
    if not args.no_profile and 'FASTDDS_DEFAULT_PROFILES_FILE' not in os.environ:
        os.environ['FASTDDS_DEFAULT_PROFILES_FILE'] = str(
            REPO_ROOT / 'config' / names.FASTDDS_PROFILE_FILE)
    load = os.getloadavg()[0]
    if args.shape_switching:
        rows = shape_switching(args)
        print(f'\nengine alone, preset {args.preset}, {args.threads} threads; load {load:.2f} '
              f'(1-min) on {os.cpu_count()} CPUs\n')
        print_table(rows)
        report = {'shape_switching': rows, 'load': load}
    else:
        frames = camera_frames(args.cameras, args.width, args.height)
        rows = []
        for _ in range(args.rounds):
            for arm in (ONE_NODE, NODE_PER_CAMERA):
                print(f'running {arm} ({args.cameras} cameras at {args.rate:g} Hz, '
                      f'{args.duration:g} s) ...', file=sys.stderr, flush=True)
                rows.append(run_arm(arm, args, frames))
        print(f'\n{args.cameras} cameras, {args.width}x{args.height} bgr8 at {args.rate:g} Hz '
              f'each, preset {args.preset}, {args.threads} threads per node, {args.duration:g} s '
              f'per arm; load {load:.2f} (1-min) at the start, {os.getloadavg()[0]:.2f} at the '
              f'end, on {os.cpu_count()} CPUs; FASTDDS_DEFAULT_PROFILES_FILE='
              f'{os.environ.get("FASTDDS_DEFAULT_PROFILES_FILE") or "(none)"}\n')
        print_table(rows)
        one = [r for r in rows if r['arm'] == ONE_NODE]
        many = [r for r in rows if r['arm'] == NODE_PER_CAMERA]
        summary = {
            'answered, one node / node per camera': sum(r['aggregate fps'] for r in one)
            / max(1e-9, sum(r['aggregate fps'] for r in many)),
            'peak PSS, one node / node per camera': sum(r['peak PSS MB (sum)'] for r in one)
            / max(1e-9, sum(r['peak PSS MB (sum)'] for r in many)),
            'peak RSS, one node / node per camera': sum(r['peak RSS MB (sum)'] for r in one)
            / max(1e-9, sum(r['peak RSS MB (sum)'] for r in many)),
            'worst min/max of the one node': min(r['min/max'] for r in one),
        }
        print('\ntargets: answered >= 1.0, memory <= 0.40, min/max >= 0.8')
        for key, value in summary.items():
            print(f'- {key}: {value:.2f}')
        report = {'rows': rows, 'summary': summary, 'load_start': load,
                  'arguments': vars(args)}
    text = json.dumps(report, indent=2, default=str)
    print('\n' + text)
    if args.json:
        with open(args.json, 'w') as out:
            out.write(text + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
