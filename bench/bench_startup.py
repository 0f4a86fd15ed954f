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
What starting a Segmenter costs: backends, weight reads, interpreters and networks, time, memory.

Why: issue 20 has the accurate preset build one backend per model and process instead of one
per view and crop (each re-reading and dequantising the weights, each Keras one holding its own
copy on the GPU), and no square network nobody uses. Each configuration runs in a fresh process
(``--code DIR`` runs another checkout's package, e.g. the start commit's, for before/after)::

    .venv/bin/python -m bench.bench_startup
    git archive <commit> person_segmentation | tar -x -C /tmp/before
    .venv/bin/python -m bench.bench_startup --code /tmp/before

Counted while the Segmenter is made and runs two 640x480 DAVIS frames: model loads
(``create_backend``), .tflite weight reads for Keras, LiteRT interpreters created, Keras
networks built; seconds to construct, for the first and the second frame; peak RSS.
"""

import argparse
import json
import os
import subprocess
import sys

from bench.paths import engine_arguments, REPO_ROOT

CONFIGS = (('preset:accurate', 'tflite'), ('preset:accurate', 'keras'),
           ('bodypix_mnv1_075', 'tflite'), ('bodypix_mnv1_075', 'keras'))

_CHILD = r"""
import json, resource, sys, time
name, backend, choice = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
counts = {'model loads': 0, 'weight reads': 0, 'interpreters': 0, 'networks': 0}


def counting(module, attribute, key):
    original = getattr(module, attribute)

    def wrapper(*args, **kwargs):
        counts[key] += 1
        return original(*args, **kwargs)
    setattr(module, attribute, wrapper)


import cv2
import numpy as np
from bench import davis
from person_segmentation import Segmenter
from person_segmentation.engine import segmenter as engine
from person_segmentation.models.backends import tflite_backend
counting(engine, 'create_backend', 'model loads')
counting(tflite_backend, 'load_interpreter', 'interpreters')
if backend == 'keras':
    import person_segmentation.models.keras_deeplab.weights_tflite as deeplab
    counting(deeplab._Reader, '__init__', 'weight reads')
    counting(deeplab, 'load_tflite_weights', 'networks')
    try:
        import person_segmentation.models.keras_bodypix as keras_bodypix
        counting(keras_bodypix.weights_tflite._Graph, '__init__', 'weight reads')
        counting(keras_bodypix, 'build_bodypix', 'networks')
    except ImportError:
        pass
davis.use_shared_models()
frame, _ = next(davis.frames('parkour', limit=1))
frame = np.ascontiguousarray(cv2.resize(frame, (640, 480), interpolation=cv2.INTER_AREA))
device = 'cpu' if backend == 'keras' else 'auto'
start = time.perf_counter()
segmenter = Segmenter(backend=backend, device=device, **choice)
made = time.perf_counter()
loads_at_start = dict(counts)
segmenter(frame)
first = time.perf_counter()
segmenter(frame)
second = time.perf_counter()
print(json.dumps({'config': f'{name} {backend}', 'at start': loads_at_start,
                  'after two frames': counts, 'construct_s': made - start,
                  'first_frame_s': first - made, 'second_frame_s': second - first,
                  'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  'code': __import__('person_segmentation').__file__}))
"""


def measure(name, backend, code=None):
    """Run one configuration in a fresh process; return its row."""
    env = dict(os.environ)
    paths = [str(REPO_ROOT)] + ([str(code)] if code else [])
    env['PYTHONPATH'] = os.pathsep.join(reversed(paths))  # another checkout's package first
    engine = json.dumps(engine_arguments(name))  # here: --code's checkout may predate it
    result = subprocess.run([sys.executable, '-c', _CHILD, name, backend, engine],
                            capture_output=True, text=True, env=env, cwd='/', timeout=900)
    if result.returncode != 0:
        return {'config': f'{name} {backend}', 'error': result.stderr[-1500:]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None):
    """Print one row per configuration (and --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0].strip())
    parser.add_argument('--code', help="another checkout's root holding person_segmentation/")
    parser.add_argument('--configs', nargs='+', default=[' '.join(c) for c in CONFIGS],
                        help="'MODEL_OR_preset:NAME BACKEND' ...")
    parser.add_argument('--json', help='also write the rows here')
    args = parser.parse_args(argv)
    rows = [measure(*config.split(), code=args.code) for config in args.configs]
    print(f'\n{args.code or REPO_ROOT}; load average {os.getloadavg()[0]:.1f}\n')
    print('| configuration | model loads | weight reads | interpreters | networks (at start / '
          'after 2 frames) | construct s | first frame s | second frame s | peak RSS MB |')
    print('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
    for row in rows:
        if 'error' in row:
            print(f"| {row['config']} | error: {row['error'].splitlines()[-1]} |")
            continue
        start, after = row['at start'], row['after two frames']
        print(f"| {row['config']} | {after['model loads']} | {after['weight reads']} | "
              f"{start['interpreters']} / {after['interpreters']} | {start['networks']} / "
              f"{after['networks']} | {row['construct_s']:.2f} | {row['first_frame_s']:.2f} | "
              f"{row['second_frame_s']:.2f} | {row['peak_rss_mb']:.0f} |")
    if args.json:
        with open(args.json, 'w') as handle:
            json.dump(rows, handle, indent=1)


if __name__ == '__main__':
    main()
