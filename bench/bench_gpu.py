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
Speed of the shipped .tflite models on the Keras backend (GPU), against LiteRT; prints tables.

Why: issue 12 asks what the GPU path gives end to end (targets on an H100: ``Segmenter`` >= 200
fps for the 513 model at 640x480, batch 1; ``segment_video`` >= 500 fps; >= 30 fps at 1280x720
with the native strategy at zoom 2). One call measures, per model and frame size (640x480,
1280x720, and 1280x720 at zoom 2), with the engine's 'native' strategy:

- model: ``backend.predict`` on the frame's model input, ms and fps at batch 1 and batch N;
- end to end: ``Segmenter(frame)`` (resize, model, merge, mask, regions), ms and fps, batch 1,
  and ``Segmenter.segment_batch`` with N frames per call;
- ``segment_video`` on an MJPG clip (decode, batches of N, overlay, encode), its own fps;
- GPU memory in use and peak (JAX ``memory_stats``, TF ``get_memory_info``);
- agreement: person IoU of the masks against LiteRT's on DAVIS frames (float16 on a GPU).

LiteRT on the CPU (``--baseline``) runs the same rows in the same process as the ratio's
reference. Run it on a GPU machine with Keras on JAX::

    KERAS_BACKEND=jax python -m bench.bench_gpu --models-dir DIR [--davis-dir DIR] --json out.json

It needs numpy, opencv-python-headless, keras, jax[cuda12], ai-edge-litert (the .tflite reader;
its interpreter also gives the baseline) and tqdm: ``scripts/setup_venv --gpu``, or on a machine
without internet ``pip install --no-index --no-deps`` of wheels fetched elsewhere with ``pip
download --no-deps`` (versions from requirements.txt / requirements-gpu.txt). ``--device cpu
--quick`` is the dry run (all rows, few repeats) used to check the script on a CPU.
"""

import argparse
import contextlib
import io
import json
import os
import pathlib
import re
import tempfile
import time

from bench.paths import SHARED
from bench.timing import median_ms
import cv2
import numpy as np
from person_segmentation import Segmenter
from person_segmentation.cli import segment_video
from person_segmentation.engine.input_strategy import InputPlan
from person_segmentation.models.registry import TFLITE_MODELS

#: (label, width, height, zoom)
CASES = (('640x480', 640, 480, 1.0), ('1280x720', 1280, 720, 1.0),
         ('1280x720 zoom 2', 1280, 720, 2.0))


def _frames(davis_dir, width, height, count):
    """Real DAVIS frames resized to width x height, else seeded noise (speed is the same)."""
    images = sorted((davis_dir / 'JPEGImages' / '480p' / 'parkour').glob('*.jpg'))[:count]
    if images:
        return [cv2.resize(cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB), (width, height))
                for p in images]
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(count)]


def gpu_memory():
    """Return {'in_use_mb', 'peak_mb'} of GPU 0 for Keras' framework, or None."""
    import keras
    framework = keras.backend.backend()
    try:
        if framework == 'jax':
            import jax
            stats = jax.devices('gpu')[0].memory_stats() or {}
            return {'in_use_mb': stats.get('bytes_in_use', 0) / 2**20,
                    'peak_mb': stats.get('peak_bytes_in_use', 0) / 2**20}
        if framework == 'tensorflow':
            import tensorflow as tf
            info = tf.config.experimental.get_memory_info('GPU:0')
            return {'in_use_mb': info['current'] / 2**20, 'peak_mb': info['peak'] / 2**20}
    except (RuntimeError, ValueError, IndexError):
        return None
    return None


def bench_case(model, backend, device, case, frames, args):
    """Model and end-to-end rows for one model, backend and frame size."""
    label, _, _, zoom = case
    start = time.perf_counter()
    segmenter = Segmenter(model, backend=backend, device=device, strategy='native', zoom=zoom,
                          threads=args.threads, **({'batch_size': args.batch}
                                                   if backend == 'keras' else {}))
    segmenter(frames[0])  # builds the network for this input shape and compiles it
    ready_s = time.perf_counter() - start
    network = segmenter.backend
    plan = InputPlan(frames[0].shape[0], frames[0].shape[1], network.input_size, 'native',
                     network.output_stride, zoom)
    tile = plan.tiles(frames[0]).copy()
    state = {'i': 0}

    def one_frame():
        segmenter(frames[state['i'] % len(frames)])
        state['i'] += 1

    row = {'model': model, 'case': label, 'backend': segmenter.backend.name,
           'device': segmenter.backend.device, 'input': 'x'.join(map(str, tile.shape[1:3])),
           'load_and_compile_s': ready_s,
           'model_ms': median_ms(lambda: segmenter.backend.predict(tile), args.repeats),
           'e2e_ms': median_ms(one_frame, args.repeats)}
    row['model_fps'] = 1e3 / row['model_ms']
    row['e2e_fps'] = 1e3 / row['e2e_ms']
    if segmenter.backend.batches_frames and args.batch > 1:
        batch = [frames[i % len(frames)] for i in range(args.batch)]
        tiles = np.concatenate([tile] * args.batch)
        row['model_batch_fps'] = args.batch * 1e3 / median_ms(
            lambda: segmenter.backend.predict(tiles), args.repeats)
        row['e2e_batch_fps'] = args.batch * 1e3 / median_ms(
            lambda: segmenter.segment_batch(batch), max(2, args.repeats // 4))
    if backend == 'keras':
        row['gpu_memory'] = gpu_memory()
    segmenter.close()
    return row


def bench_segment_video(model, backend, device, frames, args, directory):
    """Run segment_video on an MJPG clip of ``frames``; return its own fps and the wall time."""
    height, width = frames[0].shape[:2]
    clip = pathlib.Path(directory) / f'clip_{width}x{height}.avi'
    if not clip.exists():
        writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*'MJPG'), 30.0,
                                 (width, height))
        for i in range(args.video_frames):
            writer.write(cv2.cvtColor(frames[i % len(frames)], cv2.COLOR_RGB2BGR))
        writer.release()
    out = pathlib.Path(directory) / f'{model}_{backend}.avi'
    argv = [str(clip), str(out), '--model', model, '--backend', backend, '--device', device,
            '--strategy', 'native', '--no-progress', '--threads', str(args.threads)]
    if backend == 'keras':
        argv += ['--batch', str(args.batch)]
    captured = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stderr(captured):
        code = segment_video.main(argv)
    wall = time.perf_counter() - start
    found = re.search(r'\(([\d.]+) fps\)', captured.getvalue())
    if code != 0 or not found:
        raise RuntimeError(f'segment_video failed ({code}): {captured.getvalue()[-1000:]}')
    return {'model': model, 'backend': backend, 'frames': args.video_frames,
            'size': f'{width}x{height}', 'tool_fps': float(found.group(1)),
            'wall_fps_with_load': args.video_frames / wall}


def agreement(model, device, davis_dir, count):
    """Mean/min person-mask IoU of Keras on ``device`` vs LiteRT on DAVIS frames."""
    images = []
    for sequence in ('parkour', 'lucia', 'hike'):
        paths = sorted((davis_dir / 'JPEGImages' / '480p' / sequence).glob('*.jpg'))
        images += paths[::max(1, len(paths) // count)][:count]
    if not images:
        return None
    keras = Segmenter(model, backend='keras', device=device)
    litert = Segmenter(model, backend='tflite')
    scores = []
    for path in images:
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        a, b = keras(rgb).mask > 0, litert(rgb).mask > 0
        union = np.count_nonzero(a | b)
        scores.append(np.count_nonzero(a & b) / union if union else 1.0)
    row = {'model': model, 'device': keras.backend.device, 'frames': len(scores),
           'iou_mean': float(np.mean(scores)), 'iou_min': float(np.min(scores))}
    keras.close()
    litert.close()
    return row


def _print_tables(rows, videos, agreements, device_name, batch):
    print(f'\n## {device_name}; native strategy; batch {batch} where batched; '
          f'load average {os.getloadavg()[0]:.1f}')
    print('| model | frame | backend | input | model ms (fps) | end to end ms (fps) '
          '| model fps, batch | end to end fps, batch | GPU MB in use / peak |')
    print('|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        memory = r.get('gpu_memory')
        mem = f"{memory['in_use_mb']:.0f} / {memory['peak_mb']:.0f}" if memory else ''
        print(f"| {r['model']} | {r['case']} | {r['backend']} | {r['input']} "
              f"| {r['model_ms']:.2f} ({r['model_fps']:.1f}) "
              f"| {r['e2e_ms']:.2f} ({r['e2e_fps']:.1f}) "
              f"| {r.get('model_batch_fps', float('nan')):.1f} "
              f"| {r.get('e2e_batch_fps', float('nan')):.1f} | {mem} |")
    if videos:
        print('\n| segment_video | size | backend | frames | fps (tool) | fps incl. load |')
        print('|---|---|---|---|---|---|')
        for v in videos:
            print(f"| {v['model']} | {v['size']} | {v['backend']} | {v['frames']} "
                  f"| {v['tool_fps']:.1f} | {v['wall_fps_with_load']:.1f} |")
    if agreements:
        print('\n| agreement with LiteRT | device | frames | person IoU mean | min |')
        print('|---|---|---|---|---|')
        for a in agreements:
            print(f"| {a['model']} | {a['device']} | {a['frames']} | {a['iou_mean']:.4f} "
                  f"| {a['iou_min']:.4f} |")


def main(argv=None):
    """Parse arguments, run every row within the budget, print the tables (and --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('--models', nargs='+', default=[s.name for s in TFLITE_MODELS])
    parser.add_argument('--device', default='gpu', help="'gpu' (default), 'gpu:N' or 'cpu'")
    parser.add_argument('--models-dir', default=None,
                        help='directory of the .tflite files (default: '
                             '$PERSON_SEGMENTATION_MODEL_DIR, else ../shared/models)')
    parser.add_argument('--davis-dir', default=str(SHARED / 'eval' / 'davis2016'))
    parser.add_argument('--batch', type=int, default=8, help='frames per batched call')
    parser.add_argument('--repeats', type=int, default=50)
    parser.add_argument('--video-frames', type=int, default=600)
    parser.add_argument('--agreement-frames', type=int, default=5, help='per DAVIS sequence')
    parser.add_argument('--threads', type=int, default=2, help='CPU threads (LiteRT)')
    parser.add_argument('--no-baseline', action='store_true', help='skip the LiteRT rows')
    parser.add_argument('--quick', action='store_true',
                        help='dry run: 2 repeats, batch 2, 8-frame clip, 1 agreement frame')
    parser.add_argument('--budget', type=float, default=540.0,
                        help='seconds; rows not started by then are skipped')
    parser.add_argument('--json', help='also write every row here')
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.video_frames, args.agreement_frames, args.batch = 2, 8, 1, 2
    models_dir = args.models_dir or os.environ.get('PERSON_SEGMENTATION_MODEL_DIR') or str(
        SHARED / 'models')
    os.environ['PERSON_SEGMENTATION_MODEL_DIR'] = models_dir
    davis_dir = pathlib.Path(args.davis_dir)
    import keras
    print(f'Keras {keras.__version__} on {keras.backend.backend()}; models from {models_dir}; '
          f'DAVIS {"found" if davis_dir.is_dir() else "absent (noise frames)"}', flush=True)
    started = time.monotonic()
    rows, videos, agreements = [], [], []
    backends = [('keras', args.device)] + ([] if args.no_baseline else [('tflite', 'cpu')])
    device_name = ''
    with tempfile.TemporaryDirectory() as directory:
        for model in args.models:
            for case in CASES:
                frames = _frames(davis_dir, case[1], case[2], 16)
                for backend, device in backends:
                    if time.monotonic() - started > args.budget:
                        print(f'budget spent: skipping {model} {case[0]} {backend}')
                        continue
                    row = bench_case(model, backend, device, case, frames, args)
                    device_name = device_name or row['device']
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                    if case[0] == '640x480' and time.monotonic() - started < args.budget:
                        videos.append(bench_segment_video(model, backend, device, frames,
                                                          args, directory))
                        print(json.dumps(videos[-1]), flush=True)
            if davis_dir.is_dir() and time.monotonic() - started < args.budget:
                agreements.append(agreement(model, args.device, davis_dir,
                                            args.agreement_frames))
                print(json.dumps(agreements[-1]), flush=True)
    _print_tables(rows, videos, agreements, device_name, args.batch)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(
            {'rows': rows, 'segment_video': videos, 'agreement': agreements}, indent=1))


if __name__ == '__main__':
    main()
