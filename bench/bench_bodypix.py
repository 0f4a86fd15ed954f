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
BodyPix through the Segmenter: LiteRT speed against the 513 model, parts, Keras = LiteRT.

Why: issue 19 adds BodyPix (``bodypix_mnv1_075``) as a named model; the presets to be built on
it need its cost at the sizes they will use, what the body parts cost, and the proof that the
Keras backend (the GPU path) gives LiteRT's masks. On DAVIS frames resized to 640x480:

1. LiteRT, ``--threads`` threads, ms per frame end to end (``Segmenter(frame)``) and for the
   model alone: BodyPix at the frame's size (480x640 input), at long side 800 (zoom 1.25) and
   960 (zoom 1.5), and ``deeplabv3_mnv2_513`` plainly (513x689), interleaved frame by frame in
   one process so the ratio holds under load;
2. the parts: ``predict(parts=True)`` over ``predict()`` at 640x480, ``part_labels`` on a 4x
   grid (what the backends do) and ``frame_part_labels`` (the engine's: inside the person's box
   at half resolution) against the argmax at every pixel: ms and agreement inside the person;
3. Keras on the CPU against LiteRT through the Segmenter on every ``--step``-th DAVIS frame:
   person-mask IoU mean and worst, part agreement inside both masks::

    .venv/bin/python -m bench.bench_bodypix [--repeats 30] [--step 5] [--no-keras]
"""

import argparse
import os
import time

from bench import davis
import cv2
import numpy as np
from person_segmentation import Segmenter
from person_segmentation.models import bodypix

NAME = 'bodypix_mnv1_075'
#: (label, model, zoom) of the speed table, all on 640x480 frames
SPEED_CASES = (('BodyPix 640x480 (480x640)', NAME, 1.0),
               ('BodyPix long side 800 (600x800)', NAME, 1.25),
               ('BodyPix long side 960 (720x960)', NAME, 1.5),
               ('deeplabv3_mnv2_513 640x480 (513x689)', 'deeplabv3_mnv2_513', None))


def _frames(step):
    frames = []
    for sequence in davis.SEQUENCES:
        for index, (rgb, truth) in enumerate(davis.frames(sequence)):
            if index % step == 0:
                frames.append((rgb, truth))
    return frames


def speed(frames, args):
    """Interleaved medians: end to end and model-only ms per 640x480 frame."""
    inputs = [np.ascontiguousarray(cv2.resize(rgb, (640, 480), interpolation=cv2.INTER_AREA))
              for rgb, _ in frames[:8]]
    segmenters = [Segmenter(model, backend='tflite', threads=args.threads, zoom=zoom)
                  for _, model, zoom in SPEED_CASES]
    e2e = [[] for _ in segmenters]
    model = [[] for _ in segmenters]
    for segmenter in segmenters:
        segmenter(inputs[0])  # interpreter for this shape
    for repeat in range(args.repeats):
        rgb = inputs[repeat % len(inputs)]
        for i, segmenter in enumerate(segmenters):
            start = time.perf_counter()
            segmenter(rgb)
            e2e[i].append(time.perf_counter() - start)
            tiles = segmenter._plans[0].tiles(rgb)
            start = time.perf_counter()
            segmenter.backend.predict(tiles)
            model[i].append(time.perf_counter() - start)
    reference = 1e3 * np.median(e2e[-1])
    print(f'\n## LiteRT, {args.threads} threads, 640x480 DAVIS frames, median of {args.repeats} '
          f'(interleaved); load average {os.getloadavg()[0]:.1f}\n')
    print('| model (input) | end to end ms | model ms | x the 513 model (end to end) |')
    print('| --- | --- | --- | --- |')
    for (label, _, _), times, model_times in zip(SPEED_CASES, e2e, model):
        ms = 1e3 * np.median(times)
        print(f'| {label} | {ms:.1f} | {1e3 * np.median(model_times):.1f} | '
              f'{ms / reference:.2f} |')
    return segmenters[0]


def parts(segmenter, frames, args):
    """Time the parts at 640x480: the 4x grid and the engine's box against every pixel."""
    backend = segmenter.backend
    with_parts, without, labels4, labels16, agreement = [], [], [], [], []
    in_box, box_agreement = [], []
    for repeat in range(args.repeats):
        rgb, truth = frames[repeat % len(frames)]
        rgb = np.ascontiguousarray(cv2.resize(rgb, (640, 480), interpolation=cv2.INTER_AREA))
        truth = cv2.resize(truth.astype(np.uint8), (640, 480),
                           interpolation=cv2.INTER_NEAREST) > 0
        tiles = rgb[None]
        start = time.perf_counter()
        backend.predict(tiles)
        without.append(time.perf_counter() - start)
        start = time.perf_counter()
        backend.predict(tiles, parts=True)
        with_parts.append(time.perf_counter() - start)
        heatmaps = backend.runner(480, 640).run(tiles, [bodypix.PART_HEATMAPS])[0]
        heatmaps = heatmaps.astype(np.float32)
        start = time.perf_counter()
        coarse = bodypix.part_labels(heatmaps, 480, 640)
        labels4.append(time.perf_counter() - start)
        start = time.perf_counter()
        fine = bodypix.part_labels(heatmaps, 480, 640, upsampling=16)
        labels16.append(time.perf_counter() - start)
        start = time.perf_counter()
        boxed = bodypix.frame_part_labels(heatmaps[0], (480, 640), truth)
        in_box.append(time.perf_counter() - start)
        if truth.any():
            agreement.append(np.mean(coarse[0][truth] == fine[0][truth]))
            box_agreement.append(np.mean(boxed[truth] == fine[0][truth]))
    print('\n## Body parts at 640x480 (LiteRT; ms, median)\n')
    print('| predict() | predict(parts=True) | part_labels 4x grid + nearest | part_labels '
          'every pixel | agreement inside the person (4x vs every pixel) | frame_part_labels '
          "(the engine's: the person's box at half resolution) | its agreement |")
    print('| --- | --- | --- | --- | --- | --- | --- |')
    print(f'| {1e3 * np.median(without):.1f} | {1e3 * np.median(with_parts):.1f} | '
          f'{1e3 * np.median(labels4):.2f} | {1e3 * np.median(labels16):.2f} | '
          f'{np.mean(agreement):.4f} (worst frame {np.min(agreement):.4f}) | '
          f'{1e3 * np.median(in_box):.2f} | {np.mean(box_agreement):.4f} (worst frame '
          f'{np.min(box_agreement):.4f}) |')


def keras_equality(frames, args):
    """Keras on the CPU against LiteRT through the Segmenter on the DAVIS frames."""
    keras = Segmenter(NAME, backend='keras', device='cpu', threads=args.threads)
    litert = Segmenter(NAME, backend='tflite', threads=args.threads)
    ious, agreements, truth_j = [], [], {'keras': [], 'tflite': []}
    for rgb, truth in frames:
        a, b = keras(rgb).mask > 0, litert(rgb).mask > 0
        ious.append(davis.jaccard(a, b))
        truth_j['keras'].append(davis.jaccard(a, truth))
        truth_j['tflite'].append(davis.jaccard(b, truth))
        tiles = litert._plans[0].tiles(rgb)
        _, keras_parts = keras.backend.predict(tiles, parts=True)
        _, litert_parts = litert.backend.predict(tiles, parts=True)
        person = cv2.resize((a & b).astype(np.uint8), tiles.shape[2:0:-1],
                            interpolation=cv2.INTER_NEAREST) > 0
        if person.any():
            agreements.append(np.mean(keras_parts[0][person] == litert_parts[0][person]))
    print(f'\n## Keras ({keras.backend.name}, {keras.backend.device}) vs LiteRT through the '
          f'Segmenter, {len(frames)} DAVIS frames (native 480x848)\n')
    print('| person IoU mean | worst | part agreement inside both masks | DAVIS J LiteRT / '
          'Keras |')
    print('| --- | --- | --- | --- |')
    print(f'| {np.mean(ious):.4f} | {np.min(ious):.4f} | {np.mean(agreements):.4f} | '
          f'{np.mean(truth_j["tflite"]):.3f} / {np.mean(truth_j["keras"]):.3f} |')


def main(argv=None):
    """Print the three tables."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0].strip())
    parser.add_argument('--repeats', type=int, default=30)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--step', type=int, default=5, help='every Nth DAVIS frame (Keras)')
    parser.add_argument('--no-keras', action='store_true', help='skip the Keras table')
    args = parser.parse_args(argv)
    davis.use_shared_models()
    frames = _frames(1)
    segmenter = speed(frames, args)
    parts(segmenter, frames[::7], args)
    if not args.no_keras:
        keras_equality(frames[::args.step], args)


if __name__ == '__main__':
    main()
