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
Speed benchmark: ms per frame by stage for each model, and segment_video against PixelLib.

Part 1 times ``Segmenter`` on real 640x480 and 854x480 frames (a person filling most of the
frame's height), split into pre-processing (lift, resize, tiling, mirror averaging, fusing
views), model (LiteRT invoke and softmax or sigmoid), the second model of the ``accurate`` preset
(it runs on frames with a person >= 25 % of the short side tall, as here), post-processing
(weak blobs, smoothing, threshold, regions, presence), body parts (with ``--parts``) and rendering
(overlay and RGB->BGR). ``--models`` takes model names and ``preset:fast`` / ``preset:accurate``,
each in one process, one after the other, so their ratios hold under the same load. Part 2 runs
``segment_video`` end to end (a subprocess: interpreter start, model load, decode, encode) on a
640x480 clip and, when the PixelLib baseline environment is ready (``scripts/pixellib_reference``
builds it in ``.cache/pixellib-venv``),
PixelLib's own ``process_video_pascalvoc`` on the same clip; otherwise it prints the documented
reference (~1.2 s/frame), clearly marked as not measured here.

    .venv/bin/python -m bench.bench_speed [--models ...] [--repeat 20] [--clip-frames 30]
    .venv/bin/python -m bench.bench_speed --models preset:fast preset:accurate bodypix_mnv1_075 \
        deeplabv3_mnv2_513 --parts --skip-video
"""

import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

from bench.davis import davis_dir, use_shared_models
from bench.paths import engine_arguments, REPO_ROOT
import cv2
import numpy as np
from person_segmentation import Segmenter
from person_segmentation.engine.rendering import render_overlay
from person_segmentation.models.registry import downloadable_models


# built by scripts/pixellib_reference (which scripts/test runs where the PixelLib kit is)
PIXELLIB_VENV = REPO_ROOT / '.cache' / 'pixellib-venv'
PIXELLIB_PYTHON = PIXELLIB_VENV / 'bin' / 'python'
PIXELLIB_READY = PIXELLIB_VENV / '.ready'
PIXELLIB_REFERENCE_S = 1.2  # documented in ../shared/baselines/pixellib/README.md
STAGES = ('preprocess', 'model', 'second_opinion', 'postprocess', 'parts', 'render')


PIXELLIB_DRIVER = """
import json, sys, time, os
import tensorflow as tf
from pixellib.semantic import semantic_segmentation
from pixellib.semantic.deeplab import Deeplab_xcep_pascal
clip, work = sys.argv[1], sys.argv[2]
tf.keras.utils.set_random_seed(0)
weights = os.path.join(work, 'xception_random.h5')
Deeplab_xcep_pascal().save_weights(weights)
seg = semantic_segmentation()
start = time.perf_counter()
seg.load_pascalvoc_model(weights)
loaded = time.perf_counter()
times = []
segment = seg.segmentAsPascalvoc
def timed(*a, **k):
    t = time.perf_counter()
    out = segment(*a, **k)
    times.append(time.perf_counter() - t)
    return out
seg.segmentAsPascalvoc = timed
seg.process_video_pascalvoc(clip, overlay=True, frames_per_second=10,
                            output_video_name=os.path.join(work, 'pixellib.avi'))
end = time.perf_counter()
print('RESULT ' + json.dumps({'frames': len(times), 'load_s': loaded - start,
                              'video_s': end - loaded, 'steady_s': sorted(times[1:])[
                                  len(times[1:]) // 2] if len(times) > 1 else times[0]}))
"""


def test_frames():
    """Return real RGB frames: DAVIS 'hike' at 854x480 and its 640x480 centre crop."""
    path = davis_dir() / 'JPEGImages' / '480p' / 'hike' / '00040.jpg'
    rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    return {'640x480': np.ascontiguousarray(rgb[:, 107:747]), '854x480': rgb}


def stage_times(model, strategy, rgb, repeat, threads, zoom=None, parts=False):
    """Return the median ms of each stage and of the total over ``repeat`` frames."""
    segmenter = Segmenter(threads=threads, strategy=strategy, smoothing=0.3, zoom=zoom,
                          parts=parts, **engine_arguments(model))
    rows = []
    for index in range(repeat + 3):
        result = segmenter(rgb, timestamp=index / 30.0)
        start = time.perf_counter()
        cv2.cvtColor(render_overlay(rgb, result.mask), cv2.COLOR_RGB2BGR)
        render = (time.perf_counter() - start) * 1e3
        if index >= 3:
            rows.append([result.timings.get(stage, 0.0) for stage in STAGES[:-1]] + [render])
    segmenter.close()
    rows = np.array(rows)
    totals = rows.sum(axis=1)
    return np.median(rows, axis=0), float(np.median(totals)), float(np.min(totals))


def make_clip(path, frames):
    """Write a 640x480 MJPG clip of DAVIS 'parkour' (repeated if needed) at 10 fps."""
    images = sorted((davis_dir() / 'JPEGImages' / '480p' / 'parkour').glob('*.jpg'))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 10.0, (640, 480))
    for index in range(frames):
        writer.write(cv2.imread(str(images[index % len(images)]))[:, 107:747])
    writer.release()


def run_segment_video(clip, out_dir, model, threads, strategy=None):
    """Run segment_video in a subprocess; return (wall s, steady fps from its summary)."""
    engine = [arg for name, value in engine_arguments(model).items()
              for arg in (f'--{name}', value)]
    command = [sys.executable, '-m', 'person_segmentation.cli.segment_video', str(clip),
               str(out_dir / f'{model.replace(":", "_")}.mp4'), '--threads', str(threads),
               '--no-progress'] + engine + (['--strategy', strategy] if strategy else [])
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f'segment_video failed: {done.stderr}')
    match = re.search(r'\(([\d.]+) fps\)', done.stderr)
    return wall, float(match.group(1)) if match else float('nan')


def run_pixellib(clip, out_dir):
    """Run PixelLib on the clip; return its result dict, or None with the reason."""
    if not (PIXELLIB_READY.exists() and PIXELLIB_PYTHON.exists()):
        return None, f'PixelLib venv not ready ({PIXELLIB_READY} missing)'
    driver = out_dir / 'pixellib_driver.py'
    driver.write_text(PIXELLIB_DRIVER)
    done = subprocess.run([str(PIXELLIB_PYTHON), str(driver), str(clip), str(out_dir)],
                          capture_output=True, text=True, cwd=out_dir)
    for line in done.stdout.splitlines():
        if line.startswith('RESULT '):
            import json
            return json.loads(line[7:]), ''
    return None, f'PixelLib run failed: {done.stderr[-500:]}'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--models', nargs='+', default=list(downloadable_models()),
                        help='model names (default: every model that downloads with a '
                             'checksum; the Keras .h5 models need their file by hand: '
                             'bench/bench_keras.py covers them)')
    parser.add_argument('--strategies', nargs='+', default=[None],
                        help="input strategies (default: each model's own)")
    parser.add_argument('--repeat', type=int, default=20)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--clip-frames', type=int, default=30)
    parser.add_argument('--pixellib-frames', type=int, default=6)
    parser.add_argument('--parts', action='store_true',
                        help='also time each model with body parts (BodyPix)')
    parser.add_argument('--skip-stages', action='store_true')
    parser.add_argument('--skip-video', action='store_true')
    args = parser.parse_args(argv)
    use_shared_models()
    print(f'# speed; load average {os.getloadavg()[0]:.2f} (2 cores are shared: rerun on a '
          f'quiet machine); threads {args.threads}; median of {args.repeat} frames')
    if not args.skip_stages:
        frames = test_frames()
        print('| model | strategy | frame | ' + ' | '.join(STAGES) +
              ' | total ms (median) | total ms (min) | fps |')
        print('|' + ' --- |' * (len(STAGES) + 6))
        for model in args.models:
            for strategy in args.strategies:
                for size, rgb in frames.items():
                    for parts in (False, True) if args.parts else (False,):
                        stages, total, best = stage_times(model, strategy, rgb, args.repeat,
                                                          args.threads, parts=parts)
                        shown = (strategy or 'default') + (' + parts' if parts else '')
                        print(f'| {model} | {shown} | {size} | ' +
                              ' | '.join(f'{v:.1f}' for v in stages) +
                              f' | {total:.1f} | {best:.1f} | {1e3 / total:.1f} |', flush=True)
    if args.skip_video:
        return 0
    with tempfile.TemporaryDirectory(prefix='bench_speed_') as tmp:
        tmp = pathlib.Path(tmp)
        clip = tmp / 'clip640.avi'
        make_clip(clip, args.clip_frames)
        small = tmp / 'clip640_short.avi'
        make_clip(small, args.pixellib_frames)
        pixellib, reason = run_pixellib(small, tmp)
        if pixellib is not None:
            base_fps = 1.0 / pixellib['steady_s']
            base_e2e = pixellib['frames'] / (pixellib['load_s'] + pixellib['video_s'])
            label = (f'PixelLib 0.7.1 measured here: {pixellib["steady_s"]:.2f} s/frame steady, '
                     f'{base_e2e:.2f} fps end to end incl. model load ({pixellib["frames"]} '
                     'frames, random weights of the same architecture)')
        else:
            base_fps = base_e2e = 1.0 / PIXELLIB_REFERENCE_S
            label = (f'{reason}; PixelLib reference {PIXELLIB_REFERENCE_S} s/frame from '
                     '../shared/baselines/pixellib/README.md, NOT measured in this process')
        print(f'\n# segment_video on a 640x480 clip of {args.clip_frames} frames; {label}')
        print('| model | strategy | wall s (incl. start-up) | fps end to end | fps steady | '
              'x PixelLib (steady) | x PixelLib (end to end) |')
        print('| --- | --- | --- | --- | --- | --- | --- |')
        for model in args.models:
            for strategy in args.strategies:
                wall, steady = run_segment_video(clip, tmp, model, args.threads, strategy)
                e2e = args.clip_frames / wall
                print(f'| {model} | {strategy or "default"} | {wall:.1f} | {e2e:.1f} | '
                      f'{steady:.1f} | {steady / base_fps:.0f}x | {e2e / base_e2e:.0f}x |',
                      flush=True)
    print(f'# load average at the end {os.getloadavg()[0]:.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
