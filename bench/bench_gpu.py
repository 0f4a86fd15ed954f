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

r"""
The GPU run in one command: Keras on the GPU, the node end to end, LiteRT as the reference; JSON.

Issue 20 asks, from one GPU run of at most 8 minutes: the node end to end with a camera in
another process (accurate at 1280x720, fast at 640x480, 30 Hz: fps, latency p50/p99, GPU
memory), ``Segmenter`` per frame and batched per model at 640x480 and 1280x720, the first
frame's time cold and with the compilation cache warm, and the agreement of the GPU's masks with
LiteRT's on DAVIS frames. The GPU machine has Python 3.12, JAX, numpy and OpenCV but neither
internet nor this project's other packages, and ../shared does not travel with the checkout, so:

1. Here (a machine with PyPI and ../shared), in the checkout the GPU run sends::

       .venv/bin/python -m bench.bench_gpu --prepare

   downloads the wheels it lacks into ``.whl/`` (cp312 manylinux x86_64, pins from
   requirements.txt) with::

       python -m pip download --no-deps --only-binary=:all: --python-version 3.12 \\
           --implementation cp --platform manylinux_2_28_x86_64 \\
           --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \\
           --platform manylinux2014_x86_64 -d .whl keras==3.15.1 namex==0.1.0 \\
           optree==0.20.0 ai-edge-litert==2.3.0 \\
           ros-rclpy==9.1.2 ...   # every ros-* pin of requirements.txt but the linters

   keeping of ai-edge-litert only its flatbuffer schema module, which reads the .tflite
   weights (the whole wheel, 22 MB, does not fit the 64 MiB a run carries beside the 45 MB of
   ROS wheels; LiteRT's masks are computed here instead), and puts into ``.gpu_payload/`` the
   .tflite models, 9 DAVIS frames and LiteRT's masks of them per model. Both folders are
   git-ignored; it prints what the run will carry.
2. On the GPU machine, carrying ``.whl`` and ``.gpu_payload``::

       python3 -m bench.bench_gpu --install --json $OUT/gpu.json

   ``--install`` makes a venv in the temporary directory that also sees the machine's own
   packages, installs the carried wheels (``--no-index --no-deps``) and runs the rest in it.

Sections, in this order; the JSON is rewritten after every row, and what has not started when
``--budget`` seconds (default 400) are spent is listed as skipped:

1. first frame: two fresh processes share an empty JAX compilation cache (the user's cache
   directory: ``XDG_CACHE_HOME``): cold, then warm; import, load, first and second frame (s);
2. the node (``bench.bench_node.run_case``; Fast DDS's large-image profile) with a reliable
   camera in this process at 30 Hz: fps out, latency p50/p99, the node's peak GPU memory
   (nvidia-smi) and its diagnostics' backend and device;
3. agreement: person IoU of the masks on the GPU (float16 there) with LiteRT's, DAVIS frames;
4. Segmenter per model and preset: model and end-to-end ms at batch 1, fps batched
   (``segment_batch``), GPU memory (JAX ``memory_stats``); LiteRT on the CPU in the same
   process where its interpreter is installed (not on the GPU machine);
5. ``segment_video`` fps at 640x480.

``--device cpu --quick`` rehearses it all on a CPU (Keras on JAX: ``KERAS_BACKEND=jax``; frames
of half the size, short runs).
"""

import argparse
import contextlib
import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

from bench.paths import engine_arguments, REPO_ROOT, SHARED
from bench.timing import median_ms
import cv2
import numpy as np

WHEELS = REPO_ROOT / '.whl'
PAYLOAD = REPO_ROOT / '.gpu_payload'
#: ai-edge-litert's schema module, outside the wheel (see the module docstring)
LITERT_SCHEMA = WHEELS / 'litert_schema'
CARRY_LIMIT = 64 * 2**20
#: pip download options for the GPU machine's Python
PLATFORM = ['--only-binary=:all:', '--python-version', '3.12', '--implementation', 'cp'] + [
    arg for tag in ('manylinux_2_28_x86_64', 'manylinux_2_27_x86_64', 'manylinux_2_17_x86_64',
                    'manylinux2014_x86_64') for arg in ('--platform', tag)]
#: wheels besides the ROS ones (pins from requirements.txt; empy and lark-parser, which the ROS
#: wheels name, come as sources only and serve the message generators, not a running node)
EXTRA_WHEELS = ('keras', 'namex', 'optree', 'ai-edge-litert')
#: ROS wheels a node does not need: the linters and their CMake glue
NOT_CARRIED = ('ros-ament-flake8', 'ros-ament-pep257', 'ros-ament-cmake-')
MODELS = ('deeplabv3_mnv2_257', 'deeplabv3_mnv2_513', 'deeplabv3_mnv2_dm05_513',
          'bodypix_mnv1_075')
PRESETS = ('preset:accurate', 'preset:fast')
#: (sequence, frame) of the DAVIS frames carried: the agreement's frames and the benches' input
DAVIS_FRAMES = tuple((sequence, index) for sequence in ('parkour', 'lucia', 'hike')
                     for index in (5, 35, 65))
SIZES = (('640x480', 640, 480), ('1280x720', 1280, 720))
FIRST_FRAME_CASES = (('preset:accurate', 1280, 720), ('bodypix_mnv1_075', 640, 480))
NODE_CASES = (('preset:accurate', 1280, 720), ('preset:fast', 640, 480))


# --- the preparation (here) and the install (there) ------------------------------------------

def _pins():
    pins = {}
    for line in (REPO_ROOT / 'requirements.txt').read_text().splitlines():
        match = re.fullmatch(r'([A-Za-z0-9_.\-]+)==(\S+)', line.split('#')[0].strip())
        if match:
            pins[match.group(1).lower().replace('_', '-')] = match.group(2)
    return pins


def wheel_requirements():
    """Return the ``name==version`` list ``--prepare`` downloads."""
    pins = _pins()
    names = [name for name in sorted(pins) if name.startswith('ros-')
             and not name.startswith(NOT_CARRIED)] + list(EXTRA_WHEELS)
    return [f'{name}=={pins[name]}' for name in names]


def _tree_size(path: pathlib.Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob('*') if f.is_file())


def prepare() -> int:
    """Fill .whl/ with the wheels and .gpu_payload/ with models, frames and LiteRT's masks."""
    from bench import davis
    from person_segmentation import Segmenter
    from person_segmentation.models.files import resolve_model_file
    from person_segmentation.models.registry import get_spec
    WHEELS.mkdir(exist_ok=True)
    subprocess.run([sys.executable, '-m', 'pip', 'download', '-q', '--no-deps', *PLATFORM,
                    '-d', str(WHEELS), *wheel_requirements()], check=True)
    litert = sorted(WHEELS.glob('ai_edge_litert-*.whl'))
    for wheel in litert:  # keep the schema module only
        with zipfile.ZipFile(wheel) as archive:
            for member in ('ai_edge_litert/__init__.py', 'ai_edge_litert/schema_py_generated.py'):
                archive.extract(member, LITERT_SCHEMA)
        wheel.unlink()
    davis.use_shared_models()
    models = PAYLOAD / 'models'
    frames = PAYLOAD / 'davis'
    models.mkdir(parents=True, exist_ok=True)
    frames.mkdir(parents=True, exist_ok=True)
    for name in MODELS:
        shutil.copy(resolve_model_file(get_spec(name)), models / get_spec(name).filename)
    images = {}
    for sequence, index in DAVIS_FRAMES:
        source = davis.davis_dir() / 'JPEGImages' / '480p' / sequence / f'{index:05d}.jpg'
        shutil.copy(source, frames / f'{sequence}_{index:05d}.jpg')
        images[f'{sequence}_{index:05d}'] = _rgb(frames / f'{sequence}_{index:05d}.jpg')
    reference = {}
    for name in MODELS:
        segmenter = Segmenter(name, backend='tflite', model_dir=models)
        for key, rgb in images.items():
            reference[f'{name}/{key}'] = np.packbits(segmenter(rgb).mask > 0)
        segmenter.close()
    np.savez_compressed(PAYLOAD / 'litert_masks.npz', **reference)
    checkout = sum(_tree_size(REPO_ROOT / line) for line in subprocess.run(
        ['git', 'ls-files'], cwd=REPO_ROOT, capture_output=True, text=True,
        check=True).stdout.splitlines() if (REPO_ROOT / line).is_file())
    carried = _tree_size(WHEELS) + _tree_size(PAYLOAD)
    print(f'.whl {_tree_size(WHEELS) / 2**20:.1f} MiB ({len(list(WHEELS.glob("*.whl")))} '
          f'wheels), .gpu_payload {_tree_size(PAYLOAD) / 2**20:.1f} MiB, tracked files '
          f'{checkout / 2**20:.1f} MiB: {(carried + checkout) / 2**20:.1f} of '
          f'{CARRY_LIMIT / 2**20:.0f} MiB')
    return 0 if carried + checkout < CARRY_LIMIT else 1


def install_and_rerun(argv, wheels_dir=WHEELS) -> None:
    """Make a venv that sees this Python's packages, install .whl/*.whl, rerun there."""
    import site
    venv = pathlib.Path(tempfile.gettempdir()) / 'bench_gpu_venv'
    started = time.monotonic()
    subprocess.run([sys.executable, '-m', 'venv', '--clear', str(venv)], check=True)
    python = venv / 'bin' / 'python'
    wheels = sorted(str(w) for w in pathlib.Path(wheels_dir).glob('*.whl'))
    subprocess.run([str(python), '-m', 'pip', 'install', '-q', '--no-index', '--no-deps',
                    '--no-compile', '--disable-pip-version-check', *wheels], check=True)
    purelib = subprocess.run([str(python), '-c', 'import sysconfig; '
                              'print(sysconfig.get_paths()["purelib"])'],
                             capture_output=True, text=True, check=True).stdout.strip()
    # after the venv's own packages: this Python's (JAX, numpy, OpenCV ...), then the schema
    seen = [p for p in site.getsitepackages() + [site.getusersitepackages()]
            if os.path.isdir(p)] + [str(LITERT_SCHEMA)]
    pathlib.Path(purelib, 'zz_bench_gpu_base.pth').write_text('\n'.join(seen) + '\n')
    env = dict(os.environ, BENCH_GPU_VENV=str(venv),
               BENCH_GPU_INSTALL_S=f'{time.monotonic() - started:.1f}',
               BENCH_GPU_WHEELS=str(len(wheels)))
    os.execve(str(python), [str(python), '-m', 'bench.bench_gpu', *argv], env)


# --- inputs ----------------------------------------------------------------------------------

def _rgb(path):
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def davis_images():
    """Return ``{'parkour_00005': RGB, ...}``: the carried frames, else ../shared's."""
    images = {}
    for sequence, index in DAVIS_FRAMES:
        key = f'{sequence}_{index:05d}'
        for path in (PAYLOAD / 'davis' / f'{key}.jpg',
                     SHARED / 'eval' / 'davis2016' / 'JPEGImages' / '480p' / sequence /
                     f'{index:05d}.jpg'):
            if path.is_file():
                images[key] = _rgb(path)
                break
    return images


def frames_of(images, width, height, count):
    """Real frames cropped to the aspect ratio and resized (seeded noise without any)."""
    if not images:
        rng = np.random.default_rng(0)
        return [rng.integers(0, 256, (height, width, 3), np.uint8) for _ in range(count)]
    out = []
    for rgb in list(images.values())[:count]:
        scale = max(width / rgb.shape[1], height / rgb.shape[0])
        resized = cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)),
                             interpolation=cv2.INTER_AREA)
        top, left = (resized.shape[0] - height) // 2, (resized.shape[1] - width) // 2
        out.append(np.ascontiguousarray(resized[top:top + height, left:left + width]))
    return [out[i % len(out)] for i in range(count)]


def make_segmenter(name, backend, device, **kwargs):
    """``name`` is a model or ``preset:NAME``."""
    from person_segmentation import Segmenter
    return Segmenter(backend=backend, device=device, **engine_arguments(name), **kwargs)


def litert_installed() -> bool:
    """Tell whether LiteRT's interpreter (not only its schema) can be imported."""
    import importlib.util
    try:
        return importlib.util.find_spec('ai_edge_litert.interpreter') is not None
    except ImportError:
        return False


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


class GpuMemorySampler:
    """Peak GPU memory of the other processes on the GPU (nvidia-smi), sampled twice a second."""

    def __init__(self):
        self.peak_mb = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        query = ['nvidia-smi', '--query-compute-apps=pid,used_memory',
                 '--format=csv,noheader,nounits']
        while not self._stop.is_set():
            try:
                lines = subprocess.run(query, capture_output=True, text=True,
                                       timeout=5).stdout.splitlines()
            except (OSError, subprocess.SubprocessError):
                return
            used = [float(mb) for pid, mb in (line.split(',') for line in lines if ',' in line)
                    if int(pid) != os.getpid()]
            if used:
                self.peak_mb = max(self.peak_mb or 0.0, sum(used))
            self._stop.wait(0.5)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(6)


# --- the sections ----------------------------------------------------------------------------

def first_frame_child(name, width, height, device) -> None:
    """In a fresh process: import, load, first and second frame; print one JSON line."""
    start = time.perf_counter()
    import keras  # noqa: F401 - what a starting node pays too
    imported = time.perf_counter()
    segmenter = make_segmenter(name, 'keras', device)
    loaded = time.perf_counter()
    frame = frames_of(davis_images(), width, height, 1)[0]
    segmenter(frame)
    first = time.perf_counter()
    segmenter(frame)
    second = time.perf_counter()
    cache = None
    if 'jax' in sys.modules:
        cache = sys.modules['jax'].config.jax_compilation_cache_dir
    print(json.dumps({'import_s': imported - start, 'load_s': loaded - imported,
                      'first_frame_s': first - loaded, 'second_frame_s': second - first,
                      'backend': segmenter.backend.name, 'device': segmenter.backend.device,
                      'cache': cache}))


def first_frame(name, width, height, args, cache_home):
    """Cold (empty cache) and warm (a second process) first frames of one case."""
    rows = []
    env = dict(os.environ, XDG_CACHE_HOME=str(cache_home))
    env.pop('JAX_COMPILATION_CACHE_DIR', None)
    for run in ('cold', 'warm'):
        result = subprocess.run(
            [sys.executable, '-m', 'bench.bench_gpu', '--first-frame', name, '--size',
             f'{width}x{height}', '--device', args.device], capture_output=True, text=True,
            env=env, cwd=REPO_ROOT, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f'first frame of {name} failed: {result.stderr[-2000:]}')
        row = json.loads(result.stdout.strip().splitlines()[-1])
        rows.append(dict(row, model=name, size=f'{width}x{height}', run=run))
    return rows


def node_case(name, width, height, args, images):
    """Run the node in its own process, a reliable camera here at 30 Hz (bench.bench_node)."""
    from bench import bench_node
    from person_segmentation.launch_support.fastdds import choose_profile
    os.environ.update(choose_profile(os.environ).env)  # before this process's rclpy.init
    os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
    options = argparse.Namespace(duration=args.node_seconds, warmup=args.node_warmup,
                                 rate=30.0, threads=args.threads, backend='keras',
                                 device=args.device)
    frame = frames_of(images, width, height, 1)[0]
    with GpuMemorySampler() as memory:
        row = bench_node.run_case(name, 'reliable', options, frame)
    return dict(row, size=f'{width}x{height}', node_gpu_peak_mb=memory.peak_mb)


def agreement(name, args, images, reference):
    """Person IoU of the masks on ``args.device`` with LiteRT's, on the DAVIS frames."""
    keras = make_segmenter(name, 'keras', args.device)
    litert = None
    if reference is None and litert_installed():
        litert = make_segmenter(name, 'tflite', 'cpu')
    scores = []
    for key, rgb in images.items():
        mask = keras(rgb).mask > 0
        if reference is not None and f'{name}/{key}' in reference:
            packed = reference[f'{name}/{key}']
            want = np.unpackbits(packed)[:mask.size].reshape(mask.shape).astype(bool)
        elif litert is not None:
            want = litert(rgb).mask > 0
        else:
            continue
        union = np.count_nonzero(mask | want)
        scores.append(np.count_nonzero(mask & want) / union if union else 1.0)
    row = {'model': name, 'device': keras.backend.device, 'frames': len(scores),
           'reference': 'LiteRT masks from --prepare' if reference is not None else 'LiteRT',
           'iou_mean': float(np.mean(scores)) if scores else None,
           'iou_min': float(np.min(scores)) if scores else None}
    keras.close()
    if litert is not None:
        litert.close()
    return row


def segmenter_case(name, backend, device, width, height, images, args):
    """Model and end-to-end ms at batch 1, fps batched, memory, for one model and size."""
    start = time.perf_counter()
    segmenter = make_segmenter(name, backend, device, threads=args.threads,
                               **({'batch_size': args.batch} if backend == 'keras' else {}))
    frames = frames_of(images, width, height, max(2, args.batch))
    segmenter(frames[0])  # builds the networks for these input shapes and compiles them
    ready_s = time.perf_counter() - start
    plan = segmenter._plans[0]
    tile = plan.tiles(frames[0]).copy()
    state = {'i': 0}

    def one_frame():
        segmenter(frames[state['i'] % len(frames)])
        state['i'] += 1

    row = {'model': name, 'size': f'{width}x{height}', 'backend': segmenter.backend.name,
           'device': segmenter.backend.device, 'input': 'x'.join(map(str, tile.shape[1:3])),
           'load_and_first_frame_s': ready_s,
           'model_ms': median_ms(lambda: segmenter.backend.predict(tile), args.repeats),
           'e2e_ms': median_ms(one_frame, args.repeats)}
    row['e2e_fps'] = 1e3 / row['e2e_ms']
    if segmenter.backend.batches_frames and args.batch > 1:
        batch = frames[:args.batch]
        tiles = np.concatenate([tile] * args.batch)
        row['model_batch_fps'] = args.batch * 1e3 / median_ms(
            lambda: segmenter.backend.predict(tiles), args.repeats)
        row['e2e_batch_fps'] = args.batch * 1e3 / median_ms(
            lambda: segmenter.segment_batch(batch), max(2, args.repeats // 4))
    if backend == 'keras':
        row['gpu_memory'] = gpu_memory()
    segmenter.close()
    return row


def segment_video_case(name, device, images, args, directory):
    """Run segment_video on an MJPG clip; return its own fps and the wall time's."""
    from person_segmentation.cli import segment_video
    width, height = (320, 240) if args.quick else (640, 480)
    clip = pathlib.Path(directory) / f'clip_{width}x{height}.avi'
    if not clip.exists():
        writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*'MJPG'), 30.0,
                                 (width, height))
        for rgb in frames_of(images, width, height, args.video_frames):
            writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        writer.release()
    out = pathlib.Path(directory) / f'{name}.avi'
    argv = [str(clip), str(out), '--model', name, '--backend', 'keras', '--device', device,
            '--strategy', 'native', '--no-progress', '--threads', str(args.threads),
            '--batch', str(args.batch)]
    captured = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stderr(captured):
        code = segment_video.main(argv)
    wall = time.perf_counter() - start
    found = re.search(r'\(([\d.]+) fps\)', captured.getvalue())
    if code != 0 or not found:
        raise RuntimeError(f'segment_video failed ({code}): {captured.getvalue()[-1000:]}')
    return {'model': name, 'size': f'{width}x{height}', 'frames': args.video_frames,
            'tool_fps': float(found.group(1)), 'wall_fps_with_load': args.video_frames / wall}


# --- the run ---------------------------------------------------------------------------------

class Run:
    """The results, written to ``--json`` after every row, and the time budget."""

    def __init__(self, args):
        self.args = args
        self.started = time.monotonic()
        self.results = {'sections': {}, 'skipped': [], 'errors': []}

    def left(self) -> float:
        return self.args.budget - (time.monotonic() - self.started)

    def row(self, section, label, measure):
        """Keep and print what ``measure()`` returns (a row or a list), unless out of time."""
        if self.left() <= 0:
            self.results['skipped'].append(f'{section}: {label}')
            print(f'budget spent: skipping {section} {label}', flush=True)
            return
        began = time.monotonic()
        try:
            rows = measure()
        except Exception as error:  # noqa: B902 - one failed row must not lose the others
            self.results['errors'].append(f'{section} {label}: {type(error).__name__}: {error}')
            print(f'{section} {label} FAILED: {error}', flush=True)
            rows = []
        for row in rows if isinstance(rows, list) else [rows]:
            row['section_s'] = round(time.monotonic() - began, 1)
            self.results['sections'].setdefault(section, []).append(row)
            print(json.dumps(row, default=str), flush=True)
        self.save()

    def save(self):
        self.results['elapsed_s'] = round(time.monotonic() - self.started, 1)
        if self.args.json:
            pathlib.Path(self.args.json).write_text(json.dumps(self.results, indent=1,
                                                               default=str))


def _machine(args):
    info = {'python': sys.version.split()[0], 'device_asked': args.device,
            'load_average': os.getloadavg()[0], 'cpus': os.cpu_count(),
            'venv': os.environ.get('BENCH_GPU_VENV'),
            'install_s': os.environ.get('BENCH_GPU_INSTALL_S'),
            'wheels_installed': os.environ.get('BENCH_GPU_WHEELS'),
            'litert_interpreter': litert_installed()}
    try:
        info['gpu'] = subprocess.run(['nvidia-smi', '--query-gpu=name,memory.total,driver_version',
                                      '--format=csv,noheader'], capture_output=True, text=True,
                                     timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        info['gpu'] = None
    import keras
    info['keras'] = f'{keras.__version__} on {keras.backend.backend()}'
    if keras.backend.backend() == 'jax':
        import jax
        info['jax'] = f'{jax.__version__}: {[d.device_kind for d in jax.devices()]}'
    return info


def run(args) -> int:
    """Run every section within the budget; write the JSON."""
    if args.quick:
        args.repeats, args.video_frames, args.batch = 2, 8, 2
        args.node_seconds = min(args.node_seconds, 6.0)
    half = 2 if args.quick else 1
    models_dir = PAYLOAD / 'models' if (PAYLOAD / 'models').is_dir() else SHARED / 'models'
    os.environ.setdefault('PERSON_SEGMENTATION_MODEL_DIR', str(models_dir))
    reference_file = PAYLOAD / 'litert_masks.npz'
    reference = dict(np.load(reference_file)) if reference_file.is_file() else None
    images = davis_images()
    bench = Run(args)
    bench.results['machine'] = _machine(args)
    bench.results['inputs'] = {'models': os.environ['PERSON_SEGMENTATION_MODEL_DIR'],
                               'davis_frames': len(images),
                               'litert_reference': reference is not None}
    print(json.dumps(bench.results['machine']), flush=True)
    with tempfile.TemporaryDirectory() as directory:
        cache_home = pathlib.Path(directory) / 'cache'
        for name, width, height in FIRST_FRAME_CASES:
            bench.row('first_frame', name, lambda: first_frame(
                name, width // half, height // half, args, cache_home))
        # the rest with the cache the first frames filled (as a restarted node has it)
        os.environ['XDG_CACHE_HOME'] = str(cache_home)
        for name, width, height in NODE_CASES:
            bench.row('node', name, lambda: node_case(
                name, width // half, height // half, args, images))
        for name in MODELS:
            bench.row('agreement', name, lambda: agreement(name, args, images, reference))
        backends = [('keras', args.device)] + (
            [('tflite', 'cpu')] if litert_installed() and not args.no_baseline else [])
        for name in args.models:
            for label, width, height in SIZES:
                for backend, device in backends:
                    bench.row('segmenter', f'{name} {label} {backend}', lambda: segmenter_case(
                        name, backend, device, width // half, height // half, images, args))
        for name in MODELS:
            bench.row('segment_video', name, lambda: segment_video_case(
                name, args.device, images, args, directory))
    bench.save()
    print(f'done in {time.monotonic() - bench.started:.0f} s; skipped: '
          f'{bench.results["skipped"] or "none"}; errors: {bench.results["errors"] or "none"}')
    return 1 if bench.results['errors'] else 0


def main(argv=None) -> int:
    """Prepare, install, or run the sections (see the module docstring)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0].strip())
    parser.add_argument('--prepare', action='store_true',
                        help='here: fill .whl/ and .gpu_payload/ for the GPU run')
    parser.add_argument('--install', action='store_true',
                        help='there: install .whl/ into a venv first, then run')
    parser.add_argument('--wheels', default=str(WHEELS), help='wheels for --install')
    parser.add_argument('--device', default='gpu', help="'gpu' (default), 'gpu:N' or 'cpu'")
    parser.add_argument('--models', nargs='+', default=list(MODELS + PRESETS))
    parser.add_argument('--batch', type=int, default=8, help='frames per batched call')
    parser.add_argument('--repeats', type=int, default=30)
    parser.add_argument('--node-seconds', type=float, default=20.0, help='per node case')
    parser.add_argument('--node-warmup', type=float, default=5.0,
                        help='seconds of frames before each node case is measured')
    parser.add_argument('--video-frames', type=int, default=300)
    parser.add_argument('--threads', type=int, default=4, help='CPU threads (LiteRT)')
    parser.add_argument('--no-baseline', action='store_true', help='skip the LiteRT rows')
    parser.add_argument('--quick', action='store_true',
                        help='rehearsal: frames of half the size, 2 repeats, batch 2, short runs')
    parser.add_argument('--budget', type=float, default=400.0,
                        help='seconds; sections not started by then are skipped')
    parser.add_argument('--json', help='write every row here (rewritten after each)')
    parser.add_argument('--first-frame', help=argparse.SUPPRESS)  # the child of section 1
    parser.add_argument('--size', default='640x480', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare:
        return prepare()
    if args.install and not os.environ.get('BENCH_GPU_VENV'):
        install_and_rerun([a for a in argv if a != '--install'], args.wheels)
    if args.first_frame:
        width, height = (int(v) for v in args.size.split('x'))
        first_frame_child(args.first_frame, width, height, args.device)
        return 0
    return run(args)


if __name__ == '__main__':
    sys.exit(main())
