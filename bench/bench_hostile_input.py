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
Benchmark the node against a hostile camera: memory, time and log lines per bad message.

A broken or malicious camera driver must not be able to hurt the node (issue 10). This starts
``person_segmentation_node`` twice, in its own processes (raw ``image`` input and
``image/compressed`` input, 640x480 real frames, ~/overlay subscribed so it is rendered too),
and measures:

1. single messages: each named hostile message (the issue's reproductions), then a real frame;
   the node's peak RSS while handling them (VmHWM reset before each), its growth over the RSS
   before, and the seconds until the real frame is answered;
2. a stream: for --seconds, real frames at --fps with --hostile messages from
   test/hostile_images.py (seeded) between any two; the node's peak RSS, real frames answered
   (a newer message may replace one that waits: the newest-frame policy), and the node's log
   lines per kind of problem per 5 s, plus any line written outside its logger.

Targets: peak RSS never above 600 MB; no single message of <= 1 MB costs more than +200 MB.

    .venv/bin/python -m bench.bench_hostile_input                 # both inputs, 30 s streams
    .venv/bin/python -m bench.bench_hostile_input --inputs raw --seconds 10

Numbers are printed, never asserted (test/test_node_fuzz.py asserts the limits). Report the
load (``uptime``) with them.
"""

import argparse
import array
import os
import sys
import threading
import time

from bench.bench_node import load_frame, node_command, SHARED
from bench.paths import load_test_helper, REPO_ROOT
import cv2
import numpy as np
from person_segmentation.node.parameters import BY_NAME
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image

# the fuzz test's hostile messages and node helpers
hostile_images = load_test_helper('hostile_images')
node_output = load_test_helper('node_output')

RELIABLE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)


def _raw(encoding, height, width, step, data, big_endian=0):
    return {'encoding': encoding, 'height': height, 'width': width, 'step': step,
            'is_bigendian': big_endian, 'data': data}


def single_messages(photo: np.ndarray, compressed: bool):
    """(name, message fields or (format, bytes)) of the issue's hostile messages."""
    if not compressed:
        return [
            ('rgb8 1x256 (768 B)', _raw('rgb8', 1, 256, 768, bytes(768))),
            ('rgb8 256x1 (768 B)', _raw('rgb8', 256, 1, 3, bytes(768))),
            ('mono8 1x16384 (16 KB)', _raw('mono8', 1, 16384, 16384, bytes(16384))),
            ('mono8 60x16384 (983 KB)', _raw('mono8', 60, 16384, 16384, bytes(60 * 16384))),
            ('bayer_rggb8 1x4096', _raw('bayer_rggb8', 1, 4096, 4096, bytes(4096))),
            ('rgb8 577x577 (999 KB, valid)', _raw('rgb8', 577, 577, 1731, bytes(577 * 1731))),
            ('rgb8 declaring 70000x70000', _raw('rgb8', 70000, 70000, 210000, bytes(100))),
            ('step smaller than a row', _raw('rgb8', 480, 640, 100, bytes(1000))),
            ('data shorter than step x height', _raw('rgb8', 480, 640, 1920, bytes(1000))),
            ('unknown encoding', _raw('32SC4', 2, 2, 32, bytes(128))),
        ]
    bgr = np.ascontiguousarray(photo[..., ::-1])
    jpeg = cv2.imencode('.jpg', bgr)[1].tobytes()
    # the largest image the node accepts by default, 4:3, as a real JPEG
    height = int((BY_NAME['max_image_pixels'].default * 3 / 4) ** 0.5)
    width = height * 4 // 3
    largest = cv2.imencode('.jpg', cv2.resize(bgr, (width, height)),
                           [cv2.IMWRITE_JPEG_QUALITY, 50])[1].tobytes()
    thin = cv2.imencode('.png', np.zeros((1, 16384, 3), np.uint8))[1].tobytes()
    return [
        ('png 1x16384 (128 B)', ('png', thin)),
        ('jpeg declaring 16384x16384 (629 B)',
         ('jpeg', hostile_images.jpeg_declaring(16384, 16384))),
        ('jpeg 20000x20000 behind a 64 KB APP1',
         ('jpeg', hostile_images.jpeg_declaring(20000, 20000, 1))),
        ('png declaring 20000x20000', ('png', hostile_images.png_declaring(20000, 20000))),
        ('truncated jpeg', ('jpeg', jpeg[:len(jpeg) // 2])),
        ('tiff (not jpeg/png)', ('tiff', cv2.imencode('.tiff', bgr[:64, :64])[1].tobytes())),
        ('random bytes', ('jpeg', np.random.default_rng(0).bytes(3000))),
        (f'jpeg {width}x{height} ({len(largest) // 1024} KB, valid)', ('jpeg', largest)),
        ('png 16384x512 grey (valid, letterboxed)',
         ('png', cv2.imencode('.png', np.full((512, 16384, 3), 90, np.uint8))[1].tobytes())),
    ]


class Camera:
    """Publishes to the node and collects the frame ids it answered."""

    def __init__(self, context, namespace: str, compressed: bool):
        self.node = rclpy.create_node('hostile_camera', context=context)
        self.compressed = compressed
        self.publisher = self.node.create_publisher(
            CompressedImage if compressed else Image,
            f'{namespace}/image' + ('/compressed' if compressed else ''), RELIABLE)
        self.condition = threading.Condition()
        self.answered = set()
        self.node.create_subscription(Image, f'{namespace}/person_segmentation/mask',
                                      self._on_mask, RELIABLE)
        self.node.create_subscription(Image, f'{namespace}/person_segmentation/overlay',
                                      lambda msg: None, RELIABLE)

    def _on_mask(self, msg):
        with self.condition:
            self.answered.add(msg.header.frame_id)
            self.condition.notify_all()

    def wait(self, frame_id: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.condition:
            while frame_id not in self.answered:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.condition.wait(min(left, 0.1))
        return True

    def send(self, message, frame_id: str):
        if self.compressed:
            image_format, data = message
            msg = CompressedImage(format=image_format, data=array.array('B', data))
        else:
            msg = Image(**{k: v for k, v in message.items() if k != 'data'})
            msg.data = array.array('B', bytes(message['data']))
        now = time.time()
        msg.header.frame_id = frame_id
        msg.header.stamp.sec, msg.header.stamp.nanosec = int(now), int(now % 1 * 1e9)
        self.publisher.publish(msg)


def start_node(namespace: str, compressed: bool, args) -> node_output.NodeProcess:
    """Start the node on ``namespace`` in its own process."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get('PYTHONPATH')]))
    env['PYTHONUNBUFFERED'] = '1'
    if 'PERSON_SEGMENTATION_MODEL_DIR' not in env and (SHARED / 'models').is_dir():
        env['PERSON_SEGMENTATION_MODEL_DIR'] = str(SHARED / 'models')
    return node_output.NodeProcess(node_command(args.model, args.threads) + [
        '-r', f'__ns:={namespace}', '-p', f'input_compressed:={str(compressed).lower()}'], env)


def run_input(compressed: bool, args, photo: np.ndarray):
    """Measure one node process: single hostile messages, then a hostile stream."""
    name = 'compressed' if compressed else 'raw'
    namespace = f'/hostile_bench_{os.getpid()}_{name}'
    node = start_node(namespace, compressed, args)
    context = rclpy.Context()
    rclpy.init(context=context)
    camera = Camera(context, namespace, compressed)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(camera.node)
    threading.Thread(target=executor.spin, daemon=True).start()
    bgr = np.ascontiguousarray(photo[..., ::-1])
    valid = (('jpeg', cv2.imencode('.jpg', bgr)[1].tobytes()) if compressed else
             _raw('bgr8', 480, 640, 1920, bgr.tobytes()))
    try:
        for attempt in range(120):
            camera.send(valid, f'sync_{attempt}')
            if camera.wait(f'sync_{attempt}', 1.0):
                break
            if not node.alive():
                raise RuntimeError('the node exited:\n' + '\n'.join(node.lines[-20:]))
        else:
            raise RuntimeError('the node never answered')
        print(f'\n== {name} input ({args.model}, {args.threads} threads): node RSS '
              f'{node.rss_mb():.0f} MB after warm-up')
        print(f'{"message, then real frames (1/s) until one is answered":42s} {"bytes":>9s} '
              f'{"peak MB":>8s} {"+MB":>6s} {"s":>6s} answered')
        for index, (label, message) in enumerate(single_messages(photo, compressed)):
            size = len(message[1] if compressed else message['data'])
            before = node.rss_mb()
            node.reset_peak()
            started = time.monotonic()
            camera.send(message, f'hostile_{index}')
            time.sleep(0.2)  # the worker takes it before the real frame arrives
            answered = False  # a real frame every second until one is answered
            while not answered and time.monotonic() - started < args.timeout:
                camera.send(valid, f'real_{index}')
                answered = camera.wait(f'real_{index}', 1.0)
            seconds = time.monotonic() - started
            if not node.alive():
                print(f'{label:42s} the node died')
                return
            peak = node.peak_mb()
            print(f'{label:42s} {size:9d} {peak:8.0f} {peak - before:+6.0f} {seconds:6.2f} '
                  f'{answered}')
        stream(node, camera, valid, compressed, args)
    finally:
        executor.shutdown(timeout_sec=2.0)
        camera.node.destroy_node()
        rclpy.try_shutdown(context=context)
        node.stop()


def stream(node, camera, valid, compressed: bool, args):
    """Real frames at --fps with --hostile seeded hostile messages between any two."""
    hostile = hostile_images.HostileImages(args.seed, load_frame(640, 480))
    node.reset_peak()
    start_wall, start = time.time(), time.monotonic()
    sent = real = 0
    ids = []
    while time.monotonic() - start < args.seconds:
        for _ in range(args.hostile):
            if compressed:
                _, image_format, data = hostile.compressed()
                camera.send((image_format, data), f'stream_hostile_{sent}')
            else:
                camera.send(hostile.raw()[1], f'stream_hostile_{sent}')
            sent += 1
        frame_id = f'stream_real_{real}'
        camera.send(valid, frame_id)
        ids.append(frame_id)
        real += 1
        time.sleep(max(0.0, start + real / args.fps - time.monotonic()))
    camera.wait(ids[-1], args.timeout)
    end_wall = time.time()
    answered = sum(frame_id in camera.answered for frame_id in ids)
    problems, outside = node_output.problems_by_kind(node.lines, start_wall, end_wall)
    print(f'stream: {args.seconds:g} s, {real} real frames at {args.fps:g} Hz with '
          f'{sent} hostile messages between them (seed {args.seed}): {answered}/{real} real '
          f'frames answered, peak RSS {node.peak_mb():.0f} MB, node '
          f'{"alive" if node.alive() else "DEAD"}')
    print(f'{"log lines (warnings and errors)":60s} {"max per 5 s":>11s} {"total":>6s}')
    for kind in sorted(problems):
        print(f'{kind[:60]:60s} {node_output.most_in_a_window(problems[kind]):11d} '
              f'{len(problems[kind]):6d}')
    print(f'lines outside the logger: {len(outside)}' +
          ''.join(f'\n    {line[:120]}' for line in outside[:5]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('--inputs', nargs='+', choices=('raw', 'compressed'),
                        default=['raw', 'compressed'])
    parser.add_argument('--model', default='deeplabv3_mnv2_257')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--seconds', type=float, default=30.0, help='stream length')
    parser.add_argument('--fps', type=float, default=15.0, help='real frames per second')
    parser.add_argument('--hostile', type=int, default=3,
                        help='hostile messages between two real frames')
    parser.add_argument('--seed', type=int, default=10)
    parser.add_argument('--timeout', type=float, default=30.0)
    args = parser.parse_args(argv)
    photo = load_frame(640, 480)
    print(f'load: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} '
          f'{os.getloadavg()[2]:.1f} (1/5/15 min)')
    for name in args.inputs:
        run_input(name == 'compressed', args, photo)
    return 0


if __name__ == '__main__':
    sys.exit(main())
