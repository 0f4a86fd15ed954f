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
Soak the node as a robot runs it: a camera at camera rate for minutes, one row per minute.

Starts ``person_segmentation_node`` with its defaults in its own process (the console script
setup.py declares), publishes a real frame (DAVIS, resized) from this process at --rate as raw
``bgr8`` or, with --compressed, as a JPEG ``CompressedImage`` (the node then runs with
``input_compressed:=true``), with the Fast DDS profile config/fastdds_large_images.xml in both
processes (--profile, the default) or Fast DDS's defaults (--no-profile). Issue 24: with the
defaults a 30 Hz 640x480 camera reached the node at 9 Hz from minute 5 on, while the node's
own diagnostics looked healthy.

Each row (a minute; --row-seconds for rehearsals): frames published; received by the node
(its /diagnostics 'received frames', up to one diagnostics period late); dropped inside the
node (newest-frame policy); answered (masks received here) and answered fps; latency p50/p99
(header stamp -> mask received here, ms); the node's RSS (MB), open file descriptors and
threads at the end of the row; and, once the node reports it, its own estimate of the frames
lost before it. Ends with a summary and the checks of the soak target (every row >= 29.5 fps
answered at 30 Hz, i.e. 98.3 % of the rate; RSS growth from the first row to the last
<= 20 MB; p99 flat: no row above 1.5 x the median row), also at Ctrl-C (or SIGTERM) and when
the node dies (its exit status and last lines are shown). --json writes everything, rewritten
after every row.

    .venv/bin/python -m bench.bench_soak --minutes 10
    .venv/bin/python -m bench.bench_soak --minutes 10 --no-profile --size 1280x720 --compressed
    .venv/bin/python -m bench.bench_soak --minutes 60 --json soak_60min.json

Numbers are printed, never asserted. Report the load average (printed) with them.
"""

import argparse
import bisect
import json
import os
import random
import signal
import sys
import threading
import time
from typing import List, Optional, Tuple

from bench.bench_node import load_frame, node_executable, rss_mb
from bench.paths import load_test_helper, REPO_ROOT, SHARED
import cv2
from diagnostic_msgs.msg import DiagnosticArray
import numpy as np
from person_segmentation import names
from person_segmentation.media.image_conversion import array_to_fields
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.signals import SignalHandlerOptions
from sensor_msgs.msg import CompressedImage, Image

NodeProcess = load_test_helper('node_output').NodeProcess

PROFILE = REPO_ROOT / 'config' / names.FASTDDS_PROFILE_FILE
MIN_FPS_SHARE = 29.5 / 30.0  # every row answers at least this share of the camera rate
MAX_RSS_GROWTH_MB = 20.0
P99_FLAT = 1.5  # no row's p99 above this many times the median row's


def process_counts(pid: int) -> dict:
    """RSS (MB), open file descriptors and threads of ``pid`` (NaN, None once it is gone)."""
    counts = {'rss_mb': rss_mb(pid), 'fds': None, 'threads': None}
    try:
        counts['fds'] = len(os.listdir(f'/proc/{pid}/fd'))
        with open(f'/proc/{pid}/status') as status:
            for line in status:
                if line.startswith('Threads:'):
                    counts['threads'] = int(line.split()[1])
    except OSError:
        pass
    return counts


class Camera:
    """This process's side: publishes frames, collects masks and the node's diagnostics."""

    def __init__(self, context, compressed: bool, reliability: str, depth: int):
        self.node = rclpy.create_node('soak_camera', context=context)
        self.reliability = (ReliabilityPolicy.RELIABLE if reliability == 'reliable'
                            else ReliabilityPolicy.BEST_EFFORT)
        self.topic = 'image/compressed' if compressed else 'image'
        self.publisher = self.node.create_publisher(
            CompressedImage if compressed else Image, self.topic,
            QoSProfile(depth=depth, reliability=self.reliability))
        self.lock = threading.Lock()
        self.latencies: List[float] = []  # seconds, since the last take()
        self.diagnostics = (None, {})  # (its stamp, seconds; the node's key-values)
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.node.create_subscription(Image, f'/{names.NODE_NAME}/{names.MASK}', self._on_mask,
                                      reliable)
        self.node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diagnostics,
                                      10)

    def _on_mask(self, msg) -> None:
        now = time.time()
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        with self.lock:
            self.latencies.append(now - stamp)

    def _on_diagnostics(self, msg) -> None:
        for status in msg.status:
            if status.name.startswith(names.NODE_NAME):
                values = {kv.key: kv.value for kv in status.values}
                stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
                with self.lock:
                    self.diagnostics = (stamp, values)

    def take(self):
        """Return (latencies since the last take, (stamp, values) of the latest diagnostics)."""
        with self.lock:
            latencies, self.latencies = self.latencies, []
            return latencies, self.diagnostics

    def node_ready(self) -> bool:
        """Tell whether the node subscribed with the reliability this camera offers."""
        return any(info.node_name == names.NODE_NAME
                   and info.qos_profile.reliability == self.reliability
                   for info in self.node.get_subscriptions_info_by_topic(self.topic))


def frame_message(rgb: np.ndarray, compressed: bool, quality: int):
    """Build the message published every period (only its stamp changes)."""
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    if compressed:
        ok, jpeg = cv2.imencode('.jpg', bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
        assert ok
        msg = CompressedImage(format='bgr8; jpeg compressed bgr8')
        msg.data = jpeg.tobytes()
    else:
        msg = Image()
        for key, value in array_to_fields(bgr, 'bgr8').items():
            setattr(msg, key, value)
    msg.header.frame_id = 'soak_camera'
    return msg


def _counts(diagnostics) -> Tuple[Optional[float], Optional[int], Optional[int]]:
    """(stamp, received, dropped) of a diagnostics message; None where unknown."""
    stamp, values = diagnostics
    try:
        return stamp, int(values['received frames']), int(values['dropped frames'])
    except (KeyError, ValueError):
        return None, None, None


def _delta(now: Optional[int], before: Optional[int]) -> Optional[int]:
    return None if now is None or before is None else now - before


class Soak:
    """The publishing loop, the rows and the summary of one configuration."""

    def __init__(self, args, camera: Camera, node: NodeProcess, msg):
        self.args, self.camera, self.node, self.msg = args, camera, node, msg
        self.rows: List[dict] = []
        self.all_latencies: List[float] = []
        self.ended = 'running'
        self.published = 0  # in the current row
        self.total_published = 0
        self.stamps: List[float] = []  # of every frame published (to compare with the node's)
        self.late = 0  # publish slots skipped because this process fell behind
        self.start: Optional[float] = None
        self.row_start: Optional[float] = None
        self.counts_before = (None, None, None)

    def publish(self) -> None:
        """Publish the frame stamped now."""
        stamp = time.time()
        self.msg.header.stamp.sec = int(stamp)
        self.msg.header.stamp.nanosec = int((stamp - int(stamp)) * 1e9)
        self.camera.publisher.publish(self.msg)
        self.stamps.append(stamp)
        self.published += 1
        self.total_published += 1

    def warm_up(self, timeout: float = 180.0) -> None:
        """Wait for the node's subscription, then publish until its first mask comes back."""
        deadline = time.monotonic() + timeout
        while not self.camera.node_ready():
            self._check_node(deadline, 'subscribe')
            time.sleep(0.1)
        time.sleep(1.0)  # let matching settle
        while not self.camera.latencies:
            self._check_node(deadline, 'answer')
            self.publish()
            time.sleep(1.0 / self.args.rate)
        time.sleep(2.0)  # a diagnostics message with the counts so far
        self.camera.take()
        self.published = 0
        self.total_published = 0

    def _check_node(self, deadline: float, what: str) -> None:
        if not self.node.alive():
            raise RuntimeError(f'the node exited (status {self.node.process.returncode}) '
                               f'before it could {what}:\n' + '\n'.join(self.node.lines[-20:]))
        if time.monotonic() > deadline:
            raise RuntimeError(f'the node did not {what} in time:\n'
                               + '\n'.join(self.node.lines[-20:]))

    def run(self) -> None:
        """Publish at the rate for --minutes; a row every --row-seconds; progress on stderr."""
        args = self.args
        period = 1.0 / args.rate
        self.start = start = time.monotonic()
        end = start + args.minutes * 60.0
        self._begin_row(start)
        next_row = start + args.row_seconds
        next_progress = start + 10.0
        next_frame = start
        while True:
            now = time.monotonic()
            if now >= next_row or now >= end:
                self._end_row(now)
                next_row += args.row_seconds
                if now >= end:
                    self.ended = 'completed'
                    return
            if not self.node.alive():
                self._end_row(now)
                self.ended = f'node died (exit status {self.node.process.returncode})'
                return
            if now >= next_progress:
                answered = sum(r['answered'] for r in self.rows) + len(self.camera.latencies)
                print(f'  {(now - start) / 60.0:5.1f} min: {self.total_published} published, '
                      f'{answered} answered, node RSS {rss_mb(self.node.process.pid):.0f} MB',
                      file=sys.stderr, flush=True)
                next_progress += 10.0
            if now >= next_frame:
                self.publish()
                next_frame += period
                if now - next_frame > period:  # fell behind: skip, as a camera would
                    skipped = int((now - next_frame) / period)
                    self.late += skipped
                    next_frame += skipped * period
            time.sleep(max(0.0, min(next_frame, next_row) - time.monotonic()))

    def _begin_row(self, now: float) -> None:
        self.row_start = now
        self.published = 0
        self.late = 0
        self.counts_before = _counts(self.camera.take()[1])

    def _end_row(self, now: float) -> None:
        """Close the current row (also a partial one at the end)."""
        if self.row_start is None or now - self.row_start < 1.0:
            return
        seconds = now - self.row_start
        latencies, diagnostics = self.camera.take()
        self.all_latencies.extend(latencies)
        counts = _counts(diagnostics)
        (since, received_before, dropped_before), (until, received, dropped) = \
            self.counts_before, counts
        received = _delta(received, received_before)
        # published between the same two diagnostics messages (their stamps are on this
        # host's clock), so what never reached the node is not blurred by their period
        not_received = None if received is None else (
            bisect.bisect_right(self.stamps, until) - bisect.bisect_right(self.stamps, since)
            - received)
        ms = np.array(latencies) * 1e3
        row = {
            'row': len(self.rows) + 1,
            'at min': (now - self.start) / 60.0,
            'seconds': round(seconds, 1),
            'published': self.published,
            'late slots': self.late,
            'received by node': received,
            'not received': not_received,
            'dropped in node': _delta(dropped, dropped_before),
            'answered': len(latencies),
            'answered fps': len(latencies) / seconds,
            'p50 ms': float(np.percentile(ms, 50)) if ms.size else float('nan'),
            'p99 ms': float(np.percentile(ms, 99)) if ms.size else float('nan'),
            **process_counts(self.node.process.pid),
            'node: lost before it %': diagnostics[1].get('frames lost before the node (%)', '-'),
        }
        self.rows.append(row)
        print_row(row)
        self.counts_before = counts
        self.row_start = now
        self.published = 0
        self.late = 0
        write_json(self.args.json, self.report())

    def summary(self) -> dict:
        """Totals and the soak target's checks over the rows so far."""
        rows = self.rows
        if not rows:
            return {}
        ms = np.array(self.all_latencies) * 1e3
        fps = [r['answered fps'] for r in rows]
        p99 = [r['p99 ms'] for r in rows if r['p99 ms'] == r['p99 ms']]
        full = [r for r in rows if r['seconds'] >= 0.9 * self.args.row_seconds] or rows
        alive = [r for r in rows if r['threads'] is not None] or rows  # measured, node running
        growth = alive[-1]['rss_mb'] - alive[0]['rss_mb']
        received = [r['received by node'] for r in rows]
        not_received = [r['not received'] for r in rows]
        summary = {
            'rows': len(rows),
            'published': sum(r['published'] for r in rows),
            'late slots': sum(r['late slots'] for r in rows),
            'received by node': (None if None in received else sum(received)),
            'not received': (None if None in not_received else sum(not_received)),
            'answered': sum(r['answered'] for r in rows),
            'answered fps min': min(fps),
            'answered fps mean': float(np.mean(fps)),
            'p50 ms': float(np.percentile(ms, 50)) if ms.size else float('nan'),
            'p99 ms': float(np.percentile(ms, 99)) if ms.size else float('nan'),
            'row p99 ms min/median/max': ([min(p99), float(np.median(p99)), max(p99)]
                                          if p99 else None),
            'rss mb first/last': [alive[0]['rss_mb'], alive[-1]['rss_mb']],
            'fds first/last': [alive[0]['fds'], alive[-1]['fds']],
            'threads first/last': [alive[0]['threads'], alive[-1]['threads']],
        }
        summary['checks'] = {
            f'every full row >= {MIN_FPS_SHARE * self.args.rate:.1f} fps answered':
                all(r['answered fps'] >= MIN_FPS_SHARE * self.args.rate for r in full),
            f'RSS growth {growth:+.1f} MB <= {MAX_RSS_GROWTH_MB:g} MB':
                bool(growth <= MAX_RSS_GROWTH_MB),
            f'p99 flat (no row above {P99_FLAT:g} x the median row)':
                bool(p99) and max(p99) <= P99_FLAT * float(np.median(p99)),
        }
        return summary

    def report(self) -> dict:
        """Everything measured, for --json."""
        args = self.args
        return {
            'config': {'minutes': args.minutes, 'row_seconds': args.row_seconds,
                       'rate': args.rate, 'size': args.size, 'compressed': args.compressed,
                       'profile': str(PROFILE) if args.profile else None,
                       'reliability': args.reliability, 'depth': args.depth,
                       'jpeg_quality': args.jpeg_quality if args.compressed else None,
                       'ros_domain_id': os.environ.get('ROS_DOMAIN_ID'),
                       'cpus': os.cpu_count()},
            'load_average': os.getloadavg(),
            'ended': self.ended,
            'rows': self.rows,
            'summary': self.summary(),
        }


COLUMNS = ('at min', 'seconds', 'published', 'received by node', 'not received',
           'dropped in node', 'answered', 'answered fps', 'p50 ms', 'p99 ms', 'rss_mb', 'fds',
           'threads', 'node: lost before it %')


def _cell(value) -> str:
    if isinstance(value, float):
        return 'nan' if value != value else f'{value:.1f}'
    return '?' if value is None else str(value)


def print_row(row: dict) -> None:
    """Print one table row (the header comes with the first)."""
    if row['row'] == 1:
        print('| ' + ' | '.join(COLUMNS) + ' |')
        print('|' + ' --- |' * len(COLUMNS))
    print('| ' + ' | '.join(_cell(row[key]) for key in COLUMNS) + ' |', flush=True)


def write_json(path: Optional[str], report: dict) -> None:
    """Write ``report`` to ``path`` whole or not at all (a temporary file, then renamed)."""
    if not path:
        return
    partial = f'{path}.partial'
    with open(partial, 'w') as out:
        json.dump(report, out, indent=1, default=float)
    os.replace(partial, path)


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.strip().split('\n\n')[0])
    parser.add_argument('--minutes', type=float, default=10.0)
    parser.add_argument('--rate', type=float, default=30.0, help='frames per second published')
    parser.add_argument('--size', default='640x480', help='WIDTHxHEIGHT of the frames')
    parser.add_argument('--compressed', action='store_true',
                        help='publish JPEG sensor_msgs/CompressedImage (node: input_compressed)')
    parser.add_argument('--jpeg-quality', type=int, default=90)
    parser.add_argument('--profile', action=argparse.BooleanOptionalAction, default=True,
                        help=f'Fast DDS profile {PROFILE.name} in both processes (default) or '
                             "Fast DDS's defaults")
    parser.add_argument('--reliability', choices=('reliable', 'best_effort'),
                        default='reliable', help='of the camera publisher')
    parser.add_argument('--depth', type=int, default=1, help='keep-last depth of the camera')
    parser.add_argument('--row-seconds', type=float, default=60.0,
                        help='seconds per row (60: a row per minute)')
    parser.add_argument('--json', help='write the rows and the summary to this file')
    args = parser.parse_args(argv)
    try:
        args.width, args.height = (int(v) for v in args.size.lower().split('x'))
    except ValueError:
        parser.error(f'--size must be WIDTHxHEIGHT, got {args.size!r}')
    return args


def main(argv=None) -> int:
    """Run one configuration; print the rows as they come and the summary at the end."""
    args = parse_args(argv)
    os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
    os.environ.setdefault('ROS_DOMAIN_ID', str(random.Random().randint(1, 100)))  # private
    if args.profile:  # Fast DDS reads it when this process's participant is created
        os.environ['FASTDDS_DEFAULT_PROFILES_FILE'] = str(PROFILE)
    else:
        os.environ.pop('FASTDDS_DEFAULT_PROFILES_FILE', None)
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get('PYTHONPATH')]))
    env['PYTHONUNBUFFERED'] = '1'
    if 'PERSON_SEGMENTATION_MODEL_DIR' not in env and (SHARED / 'models').is_dir():
        env['PERSON_SEGMENTATION_MODEL_DIR'] = str(SHARED / 'models')
    command = node_executable() + ['--ros-args', '-p',
                                   f'input_compressed:={str(args.compressed).lower()}']
    msg = frame_message(load_frame(args.width, args.height), args.compressed, args.jpeg_quality)
    payload = len(msg.data)
    print(f'soak: {args.width}x{args.height} {"JPEG" if args.compressed else "bgr8"} '
          f'({payload / 1024:.0f} KB) at {args.rate:g} Hz, {args.reliability} depth {args.depth}, '
          f'{args.minutes:g} min; Fast DDS profile: {PROFILE if args.profile else "none"}; '
          f'ROS_DOMAIN_ID={env["ROS_DOMAIN_ID"]}; load average at start '
          f'{" ".join(f"{v:.2f}" for v in os.getloadavg())} on {os.cpu_count()} CPUs; '
          f'node: {" ".join(command)}', flush=True)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also as a background job
    node = NodeProcess(command, env, new_session=True)  # a Ctrl-C here stops it through us
    context = rclpy.Context()
    rclpy.init(context=context, signal_handler_options=SignalHandlerOptions.NO)
    camera = Camera(context, args.compressed, args.reliability, args.depth)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(camera.node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    soak = Soak(args, camera, node, msg)
    status = 0
    try:
        soak.warm_up()
        print(f'node answering; RSS {rss_mb(node.process.pid):.0f} MB; rows follow',
              file=sys.stderr, flush=True)
        soak.run()
    except KeyboardInterrupt:
        soak._end_row(time.monotonic())
        soak.ended = 'interrupted'
    except RuntimeError as error:
        soak.ended = f'failed: {error}'
        status = 1
    finally:
        node.stop()
        executor.shutdown(timeout_sec=5.0)
        spinner.join(5.0)  # before the node and the context go (else an abort at exit)
        camera.node.destroy_node()
        rclpy.try_shutdown(context=context)
    if soak.ended.startswith('node died'):
        status = 1
        print(f'\n{soak.ended}; its last lines:\n' + '\n'.join(node.lines[-20:]))
    report = soak.report()
    write_json(args.json, report)
    print(f'\nended: {soak.ended}; load average at the end '
          f'{" ".join(f"{v:.2f}" for v in report["load_average"])}')
    for key, value in report['summary'].items():
        if key != 'checks':
            cells = [_cell(v) for v in value] if isinstance(value, list) else [_cell(value)]
            print(f'{key}: {" / ".join(cells)}')
    for check, passed in report['summary'].get('checks', {}).items():
        print(f'{"PASS" if passed else "FAIL"} {check}')
    return status


if __name__ == '__main__':
    sys.exit(main())
