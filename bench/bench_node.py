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
Benchmark the node as a camera would drive it: 640x480 bgr8 at 30 Hz, node in its own process.

For each model (or ``preset:NAME``) and publisher reliability it starts
``person_segmentation_node``, publishes a real frame (DAVIS, else scikit-image's astronaut) with
the current time as header stamp, and measures processed frames per second, drops, end-to-end
latency (header stamp -> mask received here) p50/p99, the node's own stamp-to-publish latency
from /diagnostics, and the node's peak RSS. Target: the fast preset with a reliable camera
>= 25 fps and p50 <= 30 ms. With ``--depth`` the camera is an RGB-D one: each frame also comes
with an aligned 16UC1 depth image (the person 1.5 m away before a wall at 4 m, from the frame's
own mask) and its camera_info, the node runs with ``use_depth``, and the frames answered on
~/nearest_person and the node's depth cost p50 (/diagnostics) are added.

    .venv/bin/python -m bench.bench_node --duration 60
    .venv/bin/python -m bench.bench_node --duration 10 --models preset:fast deeplabv3_mnv2_257 \
        --reliability reliable
    .venv/bin/python -m bench.bench_node --duration 30 --models preset:fast --reliability \
        reliable --depth

Tests do not time anything; numbers come from here. Report ``uptime`` load with them.
"""

import argparse
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

from bench.paths import engine_arguments, REPO_ROOT, SHARED
import cv2
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PointStamped
import numpy as np
from person_segmentation import names
from person_segmentation.media.camera_info import calibration_from_intrinsics
from person_segmentation.node import messages, qos
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, Image

MODELS = ('preset:fast', 'deeplabv3_mnv2_257', 'deeplabv3_mnv2_513')


def load_frame(width: int, height: int) -> np.ndarray:
    """Load a real RGB frame with a person, resized/cropped to width x height."""
    path = SHARED / 'eval' / 'davis2016' / 'JPEGImages' / '480p' / 'parkour' / '00040.jpg'
    bgr = cv2.imread(str(path)) if path.is_file() else None
    if bgr is not None:
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    else:
        from skimage import data
        rgb = data.astronaut()
    scale = max(width / rgb.shape[1], height / rgb.shape[0])
    rgb = cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)))
    top, left = (rgb.shape[0] - height) // 2, (rgb.shape[1] - width) // 2
    return np.ascontiguousarray(rgb[top:top + height, left:left + width])


def node_executable():
    """Return the node's executable next to this Python (the venv's), else its start module."""
    script = pathlib.Path(sys.executable).parent / names.NODE_EXECUTABLE
    return [str(script)] if script.exists() else [sys.executable, '-m',
                                                  'person_segmentation.node.main']


def node_command(model: str, threads: int, backend: str = 'auto', device: str = 'auto',
                 depth: bool = False):
    """
    Return the node command line (``node_executable`` with its parameters).

    ``model`` is a model name, or ``preset:NAME`` for the node's preset parameter; ``depth``
    gives the node its depth input (use_depth).
    """
    choice = [f'{name}:={value}' for name, value in engine_arguments(model).items()]
    return node_executable() + ['--ros-args', '-p', *choice, '-p', f'threads:={threads}',
                                '-p', f'backend:={backend}', '-p', f'device:={device}'] + \
        (['-p', 'use_depth:=true'] if depth else [])


def depth_messages(frame: np.ndarray):
    """
    Return an aligned 16UC1 depth Image of ``frame`` and its CameraInfo (fx = fy = 525).

    Their headers are set as each frame is sent; computed once per run (it runs a model).
    """
    from person_segmentation import Segmenter

    height, width = frame.shape[:2]
    models = SHARED / 'models'
    segmenter = Segmenter('deeplabv3_mnv2_257', threads=1,
                          model_dir=str(models) if models.is_dir() else None)
    try:
        person = segmenter(frame).mask > 0
    finally:
        segmenter.close()
    depth = messages.image(messages.header(0, ''),
                           np.where(person, 1500, 4000).astype(np.uint16), '16UC1')
    calibration = calibration_from_intrinsics(525.0, 525.0, width / 2, height / 2, width, height)
    info = CameraInfo(width=width, height=height, distortion_model=calibration.distortion_model,
                      d=list(calibration.d), k=list(calibration.k), r=list(calibration.r),
                      p=list(calibration.p))
    return depth, info


def _proc_mb(pid: int, name: str, key: str) -> float:
    """Read a size from /proc/<pid>/<name> (line ``key: N kB``) in MB, NaN once it is gone."""
    try:
        with open(f'/proc/{pid}/{name}') as lines:
            for line in lines:
                if line.startswith(key + ':'):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float('nan')


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` in MB, NaN once it is gone."""
    return _proc_mb(pid, 'status', 'VmRSS')


def pss_mb(pid: int) -> float:
    """Proportional set size of ``pid`` in MB (shared pages split), NaN once it is gone."""
    return _proc_mb(pid, 'smaps_rollup', 'Pss')


def stop_processes(processes) -> None:
    """Stop node processes as Ctrl-C does (SIGINT); kill one still running after 15 s."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def stop_peer(executor, spinner, node, context) -> None:
    """Stop the bench's own ROS side: its executor and thread, node and context."""
    executor.shutdown(timeout_sec=5.0)
    spinner.join(5.0)
    node.destroy_node()
    rclpy.try_shutdown(context=context)


class Camera:
    """The bench side: publishes frames, receives masks and diagnostics."""

    def __init__(self, context, reliability: str, depth: bool = False):
        self.node = rclpy.create_node('bench_camera', context=context)
        policy = (ReliabilityPolicy.RELIABLE if reliability == qos.RELIABLE
                  else ReliabilityPolicy.BEST_EFFORT)
        self.publisher = self.node.create_publisher(
            Image, 'image', QoSProfile(depth=1, reliability=policy))
        self.depth_publishers = None
        self.nearest = 0
        if depth:
            self.depth_publishers = (
                self.node.create_publisher(Image, names.DEPTH_INPUT,
                                           QoSProfile(depth=1, reliability=policy)),
                self.node.create_publisher(CameraInfo, names.DEPTH_INFO_INPUT,
                                           QoSProfile(depth=1, reliability=policy)))
            self.node.create_subscription(
                PointStamped, f'/person_segmentation/{names.NEAREST_PERSON}', self._on_nearest,
                QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE))
        self.reliability = policy
        self.lock = threading.Lock()
        self.latencies = []
        self.mask_times = []
        self.diagnostics = None
        self.node.create_subscription(Image, '/person_segmentation/mask', self._on_mask,
                                      QoSProfile(depth=10,
                                                 reliability=ReliabilityPolicy.RELIABLE))
        self.node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diagnostics, 10)

    def _on_mask(self, msg):
        now = time.time()
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        with self.lock:
            self.latencies.append(now - stamp)
            self.mask_times.append(now)

    def _on_nearest(self, msg):
        with self.lock:
            self.nearest += 1

    def _on_diagnostics(self, msg):
        for status in msg.status:
            if status.name.startswith('person_segmentation'):
                self.diagnostics = {kv.key: kv.value for kv in status.values}

    def node_ready(self) -> bool:
        """Tell whether the node subscribed with the reliability this camera offers."""
        return any(info.node_name == 'person_segmentation'
                   and info.qos_profile.reliability == self.reliability
                   for info in self.node.get_subscriptions_info_by_topic('image'))


def run_case(model: str, reliability: str, args, frame: np.ndarray, depth=()) -> dict:
    """
    One node process, one publisher: returns the measured row.

    ``depth``: ``depth_messages(frame)`` for an RGB-D camera (the node gets use_depth).
    """
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get('PYTHONPATH')]))
    if 'PERSON_SEGMENTATION_MODEL_DIR' not in env and (SHARED / 'models').is_dir():
        env['PERSON_SEGMENTATION_MODEL_DIR'] = str(SHARED / 'models')
    command = node_command(model, args.threads, args.backend, args.device, bool(depth))
    process = subprocess.Popen(command, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    context = rclpy.Context()
    rclpy.init(context=context)
    camera = Camera(context, reliability, bool(depth))
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(camera.node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    peak = [0.0]
    stop = threading.Event()

    def sample_rss():
        while not stop.is_set():
            peak[0] = max(peak[0], np.nan_to_num(rss_mb(process.pid)))
            time.sleep(0.2)
    sampler = threading.Thread(target=sample_rss, daemon=True)
    sampler.start()
    try:
        deadline = time.monotonic() + 60.0
        while not camera.node_ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f'node did not start: {process.stderr.read()[-2000:]}')
            time.sleep(0.1)
        time.sleep(1.0)  # let matching settle
        msg = messages.image(messages.header(0, 'bench_camera'),
                             cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), 'bgr8')

        def publish_for(seconds):
            sent, start = 0, time.monotonic()
            while time.monotonic() - start < seconds:
                stamp = time.time()
                msg.header.stamp.sec = int(stamp)
                msg.header.stamp.nanosec = int((stamp - int(stamp)) * 1e9)
                if camera.depth_publishers is not None:  # as an RGB-D driver: same stamp
                    for message, publisher in zip(depth, camera.depth_publishers):
                        message.header = msg.header
                        publisher.publish(message)
                camera.publisher.publish(msg)
                sent += 1
                time.sleep(max(0.0, start + sent / args.rate - time.monotonic()))
            return sent, time.monotonic() - start

        # warm-up (e.g. a GPU's first frames compile): published, not measured
        warmup_sent = publish_for(getattr(args, 'warmup', 0.0))[0]
        with camera.lock:
            camera.latencies.clear()
            camera.nearest = 0
        sent, elapsed = publish_for(args.duration)
        time.sleep(2.0)  # last masks and one more diagnostics message
        with camera.lock:
            latencies = np.array(camera.latencies) * 1e3
        diagnostics = camera.diagnostics or {}
    finally:
        stop.set()
        stop_processes([process])
        stop_peer(executor, spinner, camera.node, context)
    received = int(diagnostics.get('received frames', -1))
    return {
        'model': model, 'publisher': reliability, 'warm-up sent': warmup_sent, 'sent': sent,
        'node received': received, 'processed': len(latencies),
        'fps': len(latencies) / elapsed,
        'dropped (node)': diagnostics.get('dropped frames', '?'),
        'not delivered': sent + warmup_sent - received if received >= 0 else '?',
        'p50 ms': float(np.percentile(latencies, 50)) if len(latencies) else float('nan'),
        'p99 ms': float(np.percentile(latencies, 99)) if len(latencies) else float('nan'),
        'node p50 ms': diagnostics.get('latency p50 (ms)', '?'),
        'node p95 ms': diagnostics.get('latency p95 (ms)', '?'),
        'peak RSS MB': peak[0],
        'exit': process.returncode,
        **({'with nearest_person': camera.nearest,
            'depth cost p50 ms': diagnostics.get('depth cost p50 (ms)', '?')}
           if depth else {}),
    }


def main(argv=None) -> int:
    """Run every model x reliability case and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.strip().split('\n\n')[0])
    parser.add_argument('--duration', type=float, default=60.0, help='seconds per case')
    parser.add_argument('--warmup', type=float, default=0.0,
                        help='seconds published before the measured ones (not counted)')
    parser.add_argument('--rate', type=float, default=30.0, help='frames per second sent')
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument('--height', type=int, default=480)
    parser.add_argument('--threads', type=int, default=2, help='inference threads')
    parser.add_argument('--backend', default='auto', help='node parameter backend (e.g. keras)')
    parser.add_argument('--device', default='auto', help='node parameter device (e.g. gpu)')
    parser.add_argument('--models', nargs='+', default=list(MODELS))
    parser.add_argument('--reliability', nargs='+', default=['reliable', 'best_effort'],
                        choices=[qos.RELIABLE, qos.BEST_EFFORT])
    parser.add_argument('--depth', action='store_true',
                        help='an RGB-D camera: aligned depth and camera_info with each frame')
    args = parser.parse_args(argv)
    os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
    frame = load_frame(args.width, args.height)
    depth = depth_messages(frame) if args.depth else ()
    rows = []
    for model in args.models:
        for reliability in args.reliability:
            print(f'running {model} with a {reliability} publisher for {args.duration:g} s ...',
                  file=sys.stderr, flush=True)
            rows.append(run_case(model, reliability, args, frame, depth))
    print(f'\n{args.width}x{args.height} bgr8 at {args.rate:g} Hz for {args.duration:g} s per '
          f'case, {args.threads} inference threads; load: {os.getloadavg()[0]:.2f} '
          f'(1-min) on {os.cpu_count()} CPUs; FASTDDS_BUILTIN_TRANSPORTS='
          f'{os.environ.get("FASTDDS_BUILTIN_TRANSPORTS", "(default)")}, '
          f'FASTDDS_DEFAULT_PROFILES_FILE='
          f'{os.environ.get("FASTDDS_DEFAULT_PROFILES_FILE", "(none)")}\n')
    keys = list(rows[0])
    print('| ' + ' | '.join(keys) + ' |')
    print('|' + ' --- |' * len(keys))
    for row in rows:
        print('| ' + ' | '.join(f'{row[k]:.1f}' if isinstance(row[k], float) else str(row[k])
                                for k in keys) + ' |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
