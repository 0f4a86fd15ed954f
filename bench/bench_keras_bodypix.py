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
Speed of BodyPix in Keras (models/keras_bodypix) against LiteRT, in one process; prints a table.

Why: issue 19 item 5 rebuilds BodyPix in Keras from its own .tflite for the GPU path, and the
lead needs to know what it costs on a CPU, where LiteRT stays the backend. Per input size
(default 480x640, a 640x480 frame) and batch size, median ms per frame of:

- LiteRT (XNNPACK, ``--threads``): invoke plus the person and part outputs read and dequantised;
- Keras, compiled once per shape (``tf.function`` on TensorFlow, ``jax.jit`` over
  ``stateless_call`` on JAX): 'segments' + 'part_heatmaps', then 'person_probability' (the
  person logits upsampled to the input on the device), each with the int8 rounding of the
  activations (``quantise``, the default) and without it.

The input is a real DAVIS frame resized to the size (a random one when ../shared is absent)::

    .venv/bin/python -m bench.bench_keras_bodypix [--sizes 480x640 720x1280] [--batch 4]
    KERAS_BACKEND=jax python -m bench.bench_keras_bodypix --precision float16   # on a GPU
"""

import argparse
import functools
import os

from bench import davis
from bench.timing import median_ms
import cv2
import numpy as np

BODYPIX = 'bodypix_mobilenet_v1_075_720_1280_16_quant.tflite'


def _compiled(model):
    """Return ``frames -> {name: numpy array}`` compiled the way the Keras backend does it."""
    import keras
    framework = keras.backend.backend()
    if framework == 'tensorflow':
        import tensorflow as tf
        graph = tf.function(lambda x: model(x, training=False))
        return lambda x: {k: v.numpy() for k, v in graph(x).items()}
    if framework == 'jax':
        import jax
        state = ([v.value for v in model.trainable_variables],
                 [v.value for v in model.non_trainable_variables])
        graph = jax.jit(lambda t, n, x: model.stateless_call(t, n, x, training=False)[0])
        return lambda x: {k: np.asarray(v) for k, v in graph(*state, x).items()}
    return lambda x: {k: keras.ops.convert_to_numpy(v) for k, v in model(x).items()}


def _litert(path, height, width, batch, threads):
    """Return ``frames -> dequantised outputs`` of the .tflite file on LiteRT."""
    from person_segmentation.models.backends.tflite_backend import load_interpreter
    interpreter = load_interpreter(path, threads)
    index = interpreter.get_input_details()[0]['index']
    interpreter.resize_tensor_input(index, [batch, height, width, 3])
    interpreter.allocate_tensors()
    wanted = [d for d in interpreter.get_output_details()
              if d['name'] in ('float_segments', 'float_part_heatmaps')]

    def run(frames):
        interpreter.set_tensor(index, frames)
        interpreter.invoke()
        return {d['name']: (interpreter.get_tensor(d['index']).astype(np.float32)
                            - d['quantization'][1]) * d['quantization'][0] for d in wanted}
    return run


def _frame(height, width):
    try:
        rgb, _ = next(davis.frames('parkour', limit=1))
    except FileNotFoundError:
        return np.random.default_rng(0).integers(0, 256, (height, width, 3), np.uint8)
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)


def main(argv=None):
    """Print ms per frame of LiteRT and Keras for each size and batch."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--model', default=str(davis.davis_dir().parents[1] / 'models' /
                                               BODYPIX))
    parser.add_argument('--sizes', nargs='+', default=['480x640'], help='HxW, multiples of 16')
    parser.add_argument('--batch', type=int, default=1, help='also time this batch size')
    parser.add_argument('--repeats', type=int, default=20)
    parser.add_argument('--threads', type=int, default=2, help='LiteRT threads')
    parser.add_argument('--precision', choices=('float32', 'float16'), default='float32')
    args = parser.parse_args(argv)
    import keras
    from person_segmentation.models.keras_bodypix import build_bodypix, read_tflite_bodypix
    weights = read_tflite_bodypix(args.model)
    dtype = 'mixed_float16' if args.precision == 'float16' else None
    print(f'Keras {keras.__version__} on {keras.backend.backend()} ({args.precision}), LiteRT '
          f'{args.threads} threads; load average {os.getloadavg()[0]:.1f}; median of '
          f'{args.repeats}, ms per frame')
    print('| input HxW | batch | LiteRT | Keras quantise | Keras float | Keras quantise + '
          'person_probability |')
    print('| --- | --- | --- | --- | --- | --- |')
    for size in args.sizes:
        height, width = (int(v) for v in size.split('x'))
        frame = _frame(height, width)
        for batch in sorted({1, max(1, args.batch)}):
            frames = np.repeat(frame[None], batch, axis=0)
            runs = [_litert(args.model, height, width, batch, args.threads)] + [
                _compiled(build_bodypix(weights, height, width, outputs, dtype, quantise))
                for quantise, outputs in ((True, ('segments', 'part_heatmaps')),
                                          (False, ('segments', 'part_heatmaps')),
                                          (True, ('person_probability',)))]
            cells = [median_ms(functools.partial(run, frames), args.repeats, warmup=2) / batch
                     for run in runs]
            print(f'| {height}x{width} | {batch} | ' + ' | '.join(f'{c:.1f}' for c in cells)
                  + ' |')


if __name__ == '__main__':
    main()
