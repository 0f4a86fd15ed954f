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
Speed of the Keras DeepLabV3+ backend against PixelLib's own pipeline; prints tables.

Why: the issue asks whether loading PixelLib's weights into our graph (batch norm folded, one
compiled function per shape, softmax on the device) beats PixelLib's per-frame
``segmentAsPascalvoc`` on the same frames and weights, and how fast the graph is on a GPU.

CPU (default): PixelLib runs as a subprocess in its own venv (setup.sh in
shared/baselines/pixellib) on the frames and weight file of a make_reference.py directory; ours
runs the same frames through ``Segmenter`` (strategy 'pad' = one 512 tile per frame, like
PixelLib) plus the overlay, and the bare network per 512 tile::

    .venv/bin/python -m bench.bench_keras    # reference: scripts/pixellib_reference (.cache/)

GPU (``--gpu``; any Keras 3 backend, e.g. KERAS_BACKEND=torch on a machine without TF): random
weights in the published layout, fps at batch 1 and 8 and the share of the GPU's peak::

    KERAS_BACKEND=torch python -m bench.bench_keras --gpu

Numbers on a shared machine are noisy: the load average is printed with them.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import types

from bench.timing import median_ms
import numpy as np


CONFIGS = (('xception', 8), ('xception', 16), ('mobilenetv2', 8))
#: dense peak TFLOPS (vendor datasheets): (float16 tensor core, float32)
GPU_PEAKS = {'H100 80GB HBM3': (989.4, 66.9), 'H100 PCIe': (756.0, 51.2),
             'H200': (989.4, 66.9), 'A100': (312.0, 19.5)}

_PIXELLIB_SCRIPT = r"""
import json, sys, time
from bench.timing import median_ms
import numpy as np
from pixellib.semantic import semantic_segmentation
weights, frames_path, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
frames = np.load(frames_path)
seg = semantic_segmentation()
seg.load_pascalvoc_model(weights)
seg.segmentAsPascalvoc(frames[0].copy(), overlay=True, process_frame=True)  # warm-up
times = []
for i in range(repeats):
    frame = frames[i % len(frames)].copy()
    t = time.perf_counter()
    seg.segmentAsPascalvoc(frame, overlay=True, process_frame=True)
    times.append(time.perf_counter() - t)
print(json.dumps({'median_ms': 1000 * float(np.median(times)),
                  'times_ms': [1000 * t for t in times]}))
"""


def _load():
    return os.getloadavg() if hasattr(os, 'getloadavg') else (float('nan'),) * 3


def flops(model):
    """Multiply-add FLOPs (x2) of the convolutions of a built model, per image."""
    total = 0
    for layer in model.layers:
        kind = layer.__class__.__name__
        if kind in ('Conv2D', 'DepthwiseConv2D'):
            h, w, c = layer.output.shape[1:]
            k = layer.kernel.shape
            total += h * w * k[0] * k[1] * (k[2] if kind == 'Conv2D' else 1) * c * 2
    return total


def random_weight_file(architecture, directory):
    """Write a seeded random-weight file in the published layout; return its path."""
    from person_segmentation.models.keras_deeplab import build_deeplab, write_h5_weights
    import keras
    keras.utils.set_random_seed(0)
    model, _ = build_deeplab(architecture, 64, 8, folded=False)
    return write_h5_weights(model, pathlib.Path(directory) / f'{architecture}_random.h5')


def _spec(architecture):
    from person_segmentation.models.registry import KERAS_MODELS
    return {s.options['architecture']: s for s in KERAS_MODELS}[architecture]


def run_pixellib(python, weights, frames, repeats):
    """Median ms per frame of PixelLib's segmentAsPascalvoc(overlay=True) in its venv."""
    with tempfile.TemporaryDirectory() as tmp:
        frames_path = os.path.join(tmp, 'frames.npy')
        np.save(frames_path, frames)
        proc = subprocess.run([python, '-c', _PIXELLIB_SCRIPT, str(weights), frames_path,
                               str(repeats)], capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f'PixelLib run failed:\n{proc.stderr[-2000:]}')
    return json.loads(proc.stdout.strip().splitlines()[-1])['median_ms']


def bench_cpu(args):
    """Ours vs PixelLib on this CPU; returns the result rows."""
    import cv2
    from person_segmentation import Segmenter
    from person_segmentation.engine.rendering import render_overlay

    ref = pathlib.Path(args.reference) if args.reference else None
    if ref and (ref / 'reference.npz').is_file():
        frames = np.load(ref / 'reference.npz')['frames_bgr'][:args.frames]
        xception_weights = sorted(ref.glob('xception_pascal_seed*.h5'))[0]
    else:
        print('no PixelLib reference (--reference): synthetic frames, random weights, '
              'no PixelLib column')
        rng = np.random.default_rng(0)
        frames = rng.integers(0, 256, (args.frames, 480, 640, 3), dtype=np.uint8)
        xception_weights = None
    rows = []
    pixellib_ms = None
    if xception_weights and not args.no_pixellib and os.path.exists(args.pixellib_python):
        print(f'PixelLib ({args.pixellib_python}) on {len(frames)} frames ...', flush=True)
        pixellib_ms = run_pixellib(args.pixellib_python, xception_weights, frames,
                                   args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        for architecture, stride in args.configs:
            weights = (xception_weights if architecture == 'xception' and xception_weights
                       else random_weight_file(architecture, tmp))
            seg = Segmenter(str(weights), threads=args.threads, strategy='pad',
                            output_stride=stride, precision=args.precision)
            rgb = [cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in frames]
            state = {'i': 0}

            def pipeline():
                frame = rgb[state['i'] % len(rgb)]
                state['i'] += 1
                render_overlay(frame, seg(frame).mask)

            pipe_ms = median_ms(pipeline, args.repeats)
            tile = np.zeros((1, 512, 512, 3), np.uint8)
            net_ms = median_ms(lambda: seg.backend.predict(tile), args.repeats)
            row = {'model': f'{architecture} OS{stride}', 'ours_pipeline_ms': pipe_ms,
                   'ours_network_ms': net_ms, 'gflop': flops(seg.backend.model) / 1e9,
                   'device': seg.backend.device}
            if pixellib_ms:
                row['pixellib_ms'] = pixellib_ms
                row['speedup'] = pixellib_ms / pipe_ms
            rows.append(row)
            print(json.dumps(row), flush=True)
            seg.backend.close()
    print(f'\nCPU, 512x512, {len(frames)} frames {frames.shape[2]}x{frames.shape[1]}, '
          f'{args.threads} threads, load average {_load()[0]:.2f}')
    print('| model | GFLOP | ours ms/frame (pipeline) | ours ms (network) '
          '| PixelLib ms/frame (OS8) | speed-up |')
    print('|---|---|---|---|---|---|')
    for r in rows:
        pl = f"{r['pixellib_ms']:.0f}" if 'pixellib_ms' in r else 'n/a'
        sp = f"{r['speedup']:.2f}x" if 'speedup' in r else 'n/a'
        print(f"| {r['model']} | {r['gflop']:.0f} | {r['ours_pipeline_ms']:.0f} "
              f"| {r['ours_network_ms']:.0f} | {pl} | {sp} |")
    return rows


def bench_gpu(args):
    """Fps at each batch size on the GPU the Keras backend sees; returns the result rows."""
    import keras
    from person_segmentation.models.backends.keras_backend import KerasBackend

    name = _gpu_name()
    peak = next((v for k, v in GPU_PEAKS.items() if k in name), (float('nan'),) * 2)
    print(f'Keras {keras.__version__} on {keras.backend.backend()}, GPU: {name}, '
          f'peak dense TFLOPS fp16 {peak[0]}, fp32 {peak[1]}', flush=True)
    rows = []
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for precision in args.gpu_precisions:
            for architecture, stride in args.configs:
                if time.monotonic() - start > args.budget:
                    print('time budget spent; stopping')
                    return rows
                if architecture not in files:
                    files[architecture] = random_weight_file(architecture, tmp)
                backend = KerasBackend(_spec(architecture), files[architecture],
                                       batch_size=max(args.batches), output_stride=stride,
                                       precision=precision, device=args.device)
                gflop = flops(backend.model) / 1e9
                for batch in args.batches:
                    tiles = np.random.default_rng(0).integers(
                        0, 256, (batch, 512, 512, 3), dtype=np.uint8)
                    ms = median_ms(lambda: backend.predict(tiles), args.repeats, warmup=3)
                    fps = 1000 * batch / ms
                    row = {'model': f'{architecture} OS{stride}', 'precision': precision,
                           'batch': batch, 'ms_per_batch': ms, 'fps': fps,
                           'tflops': fps * gflop / 1000, 'peak_tflops': peak[
                               0 if precision == 'float16' else 1],
                           'device': backend.device, 'backend': backend.name}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                backend.close()
    print(f'\nGPU {name}, 512x512 uint8 in, person probability out (host copies included)')
    print('| model | precision | batch | ms/batch | fps | TFLOPS | % of peak |')
    print('|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['model']} | {r['precision']} | {r['batch']} | {r['ms_per_batch']:.1f} "
              f"| {r['fps']:.1f} | {r['tflops']:.1f} "
              f"| {100 * r['tflops'] / r['peak_tflops']:.1f} % |")
    return rows


def _gpu_name():
    try:
        out = subprocess.run(['nvidia-smi', '--query-gpu=name', '--format=csv,noheader'],
                             capture_output=True, text=True, timeout=30).stdout.strip()
        return out.splitlines()[0] if out else 'no GPU'
    except (OSError, subprocess.SubprocessError):
        return 'no GPU'


def _configs(text):
    result = []
    for item in text.split(','):
        architecture, _, stride = item.partition(':')
        result.append((architecture, int(stride or 8)))
    return result


def main(argv=None):
    """Parse arguments, run the CPU or GPU benchmark, print tables (and write --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--gpu', action='store_true', help='GPU fps table instead of CPU')
    parser.add_argument('--configs', type=_configs,
                        default=list(CONFIGS), help='e.g. xception:8,xception:16,mobilenetv2')
    cache = pathlib.Path(__file__).resolve().parents[1] / '.cache'  # scripts/pixellib_reference
    parser.add_argument('--reference', default=os.environ.get('PIXELLIB_REFERENCE',
                                                              str(cache / 'pixellib-ref')))
    parser.add_argument('--pixellib-python', default=str(cache / 'pixellib-venv' / 'bin' /
                                                         'python'))
    parser.add_argument('--no-pixellib', action='store_true')
    parser.add_argument('--frames', type=int, default=4)
    parser.add_argument('--repeats', type=int, default=4)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--precision', default='auto')
    parser.add_argument('--gpu-precisions', type=lambda s: s.split(','), default=['float16'])
    parser.add_argument('--batches', type=lambda s: [int(b) for b in s.split(',')],
                        default=[1, 8])
    parser.add_argument('--device', default='gpu', help="--gpu mode: 'gpu' or 'cpu' (a dry run)")
    parser.add_argument('--budget', type=float, default=1e9, help='GPU: seconds to spend')
    parser.add_argument('--json', help='also write the rows here')
    args = parser.parse_args(argv)
    if args.gpu:
        try:
            import cv2  # noqa: F401
        except ImportError:  # GPU boxes without OpenCV: the network path never calls it
            sys.modules['cv2'] = types.ModuleType('cv2')
        rows = bench_gpu(args)
    else:
        rows = bench_cpu(args)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == '__main__':
    main()
