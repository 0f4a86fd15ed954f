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
Run DeepLab in Keras 3 as a backend: the .tflite models' weights or the PixelLib .h5 files.

Two weight sources feed the same network code (``models.keras_deeplab``): the DeepLab v3
MobileNetV2 ``.tflite`` files the LiteRT backend runs (read with ``weights_tflite``: float or
dequantised uint8 weights, width and output stride taken from the file), and the PixelLib /
keras-deeplab-v3-plus ``.h5`` files (batch norm folded at load time). Either way one compiled
function per input shape does normalisation, the network, softmax and the person-class pick on
the device, so a GPU runs the whole model and only the probability comes back. The .tflite
models also take rectangular inputs (the engine's 'native' strategy): one network per input
shape, built on first use. Which framework Keras runs on is ``devices.keras_framework()``.
"""

import contextlib
import logging
import os
import pathlib

import numpy as np

from person_segmentation.models import devices
from person_segmentation.models.backends.base import Backend
from person_segmentation.models.files import ModelFileError
from person_segmentation.models.keras_deeplab import (
    build_deeplab, build_tflite_deeplab, load_weights, read_tflite_deeplab, WeightFileError)
from person_segmentation.models.keras_deeplab.weights_tflite import (
    FLOAT_INPUT_SCALE, FLOAT_INPUT_ZERO)
from person_segmentation.models.spec import PERSON_CLASS

LOG = logging.getLogger(__name__)
PRECISIONS = ('auto', 'float32', 'float16', 'bfloat16')
_POLICIES = {'float32': None, 'float16': 'mixed_float16', 'bfloat16': 'mixed_bfloat16'}
_OPTIONS = {'architecture', 'output_stride', 'precision', 'batch_size', 'jit', 'classes'}
#: networks kept for different input shapes (each holds its weights and compiled functions)
_MAX_SHAPES = 4


def _keras():
    """Import Keras on the framework ``devices.keras_framework`` names."""
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    # a node shares the GPU: JAX must not grab 75 % of its memory up front
    os.environ.setdefault('XLA_PYTHON_CLIENT_PREALLOCATE', 'false')
    os.environ.setdefault('KERAS_BACKEND', devices.keras_framework())
    import keras
    return keras


def _tensorflow_gpus(threads):
    """Set TF's CPU thread pools (only possible before its runtime starts); list its GPUs."""
    import tensorflow as tf
    if threads:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(int(threads))
            tf.config.threading.set_inter_op_parallelism_threads(min(2, int(threads)))
        except RuntimeError:
            LOG.info('TensorFlow already started; keeping its thread settings')
    gpus = tf.config.list_physical_devices('GPU')
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            pass
    return [tf.config.experimental.get_device_details(gpu).get('device_name', 'GPU')
            for gpu in gpus]


def _other_gpus(name, threads):
    """Thread count and GPU names for Keras' JAX and PyTorch backends."""
    if name == 'jax':
        import jax
        try:
            return [d.device_kind for d in jax.devices('gpu')]
        except RuntimeError:  # no GPU platform in this jaxlib
            return []
    if name == 'torch':
        import torch
        if threads:
            torch.set_num_threads(int(threads))
        torch.backends.cudnn.benchmark = True  # fixed shapes: pick the fastest conv kernels
        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return []


class KerasBackend(Backend):
    """
    DeepLab in Keras 3 (MobileNetV2 from a .tflite file, or Xception / MobileNetV2 from a .h5).

    ``device`` 'auto' (a GPU when Keras sees one) | 'cpu' | 'gpu' | 'gpu:N'. Options
    (``spec.options`` give the defaults, keyword arguments override them): ``architecture``
    'xception' | 'mobilenetv2' and ``output_stride`` 8 | 16 (.h5 files; a .tflite file states
    its own); ``precision`` 'auto' (float16 on GPU, float32 on CPU) | 'float32' | 'float16' |
    'bfloat16'; ``batch_size`` largest batch per call (and the frames per call worth batching
    on a GPU); ``jit`` XLA-compile the function (TensorFlow; default on GPU only).
    """

    def __init__(self, spec, path, threads=2, device='auto', **opts):
        options = dict(getattr(spec, 'options', {}) or {})
        options.update(opts)
        unknown = set(options) - _OPTIONS
        if unknown:
            raise ValueError(f'unknown Keras backend option(s): {", ".join(sorted(unknown))}')
        precision = options.get('precision', 'auto')
        if precision not in PRECISIONS:
            raise ValueError(f'precision must be one of {PRECISIONS}, not {precision!r}')
        kind, index = devices.parse_device(device)
        self._deeplab = None
        if pathlib.Path(path).suffix == '.tflite':
            try:
                self._deeplab = read_tflite_deeplab(path)
            except WeightFileError as error:
                raise ModelFileError(f'{spec.name}: {error}') from None
            self.input_size = self._deeplab.input_size
            self.architecture = 'mobilenetv2'
            self.network_stride = self._deeplab.output_stride
            self._normalisation = (self._deeplab.input_zero, self._deeplab.input_scale)
        else:
            self.input_size = int(spec.input_size)
            self.architecture = options.get('architecture', 'xception')
            #: the network's own output stride (8 or 16); .h5 inputs stay square
            self.network_stride = int(options.get('output_stride', 8))
            self._normalisation = (FLOAT_INPUT_ZERO, FLOAT_INPUT_SCALE)
        self.batch_size = max(1, int(options.get('batch_size', 8)))
        self.threads = threads
        self.input_shape = None  # (height, width) of rectangular inputs, see set_input_shape

        keras = _keras()
        self._framework = keras.backend.backend()
        gpus = (_tensorflow_gpus(threads) if self._framework == 'tensorflow'
                else _other_gpus(self._framework, threads))
        if kind == 'gpu' and (index or 0) >= len(gpus):
            seen = f'sees {len(gpus)} GPU(s)' if gpus else 'sees no GPU'
            raise ValueError(f'device={device} requested but Keras ({self._framework}) {seen}')
        self._gpu = (index or 0) if gpus and kind != 'cpu' else None
        if precision == 'auto':
            precision = 'float16' if self._gpu is not None else 'float32'
        self.precision = precision
        self._jit = bool(options.get('jit', self._gpu is not None))
        self.name = f'keras-{self._framework}'
        self.device = (f'gpu:{self._gpu} {gpus[self._gpu]} ({precision})'
                       if self._gpu is not None else f'cpu ({threads} threads, {precision})')
        self.batches_frames = True
        # on the CPU batching frames measured slower (TF, 257 model: 125 vs 190 ms per frame)
        self.preferred_batch = self.batch_size if self._gpu is not None else 1
        self._classes = int(options.get('classes', 21))
        self._path = path
        self._model_name = spec.name
        self._models = {}
        self._functions = {}
        self.model = self._model((self.input_size, self.input_size))
        LOG.info('Keras DeepLab %s OS%d on %s via %s, file %s', self.architecture,
                 self.network_stride, self.device, self._framework, path)

    @property
    def output_stride(self):
        """Stride of the logits grid for rectangular inputs (.tflite networks), else None."""
        return self.network_stride if self._deeplab is not None else None

    def set_input_shape(self, height, width):
        """Take ``height`` x ``width`` inputs from now on (a network per shape, on first use)."""
        if self._deeplab is None:
            super().set_input_shape(height, width)
        if height < 1 or width < 1:
            raise ValueError(f'input shape must be positive, got {width}x{height}')
        self.input_shape = (int(height), int(width))

    def _device_scope(self):
        if self._framework == 'tensorflow':
            import tensorflow as tf
            return tf.device(f'/GPU:{self._gpu}' if self._gpu is not None else '/CPU:0')
        return contextlib.nullcontext()

    def _model(self, shape):
        """Return the network for input ``shape`` (height, width), building it once."""
        model = self._models.get(shape)
        if model is not None:
            return model
        policy = _POLICIES[self.precision]
        with self._device_scope():
            if self._deeplab is not None:
                model = build_tflite_deeplab(self._deeplab, shape, dtype=policy)
            else:
                model, folds = build_deeplab(self.architecture, shape, self.network_stride,
                                             classes=self._classes, folded=True, dtype=policy)
                try:
                    load_weights(model, self._path, folds)
                except WeightFileError as error:
                    raise ModelFileError(f'{self._model_name}: {error}') from None
        if len(self._models) >= _MAX_SHAPES:  # frame sizes keep changing: forget the oldest
            oldest = next(iter(self._models))
            del self._models[oldest]
            for key in [k for k in self._functions if k[0][1:3] == oldest]:
                del self._functions[key]
        self._models[shape] = model
        return model

    def _graph(self, model, tiles, logits, call=None):
        """Normalise uint8 RGB, run the network, take the person softmax on the device."""
        from keras import ops
        zero, scale = self._normalisation
        x = (ops.cast(tiles, 'float32') - zero) * scale
        out = call(x) if call else model(x, training=False)
        if logits:
            return out
        return ops.softmax(out, axis=-1)[..., PERSON_CLASS]

    def _function(self, shape, logits):
        """Return the compiled function for one batch shape and output kind (cached)."""
        key = (shape, logits)
        fn = self._functions.get(key)
        if fn is not None:
            return fn
        model = self._model(shape[1:3])
        if self._framework == 'tensorflow':
            import tensorflow as tf
            fn = tf.function(lambda t: self._graph(model, t, logits), jit_compile=self._jit,
                             input_signature=[tf.TensorSpec(shape, tf.uint8)])
        elif self._framework == 'jax':
            fn = self._jax_function(model, logits)
        else:
            import torch

            def fn(t):
                with torch.no_grad():
                    return self._graph(model, t, logits)
        self._functions[key] = fn
        return fn

    def _jax_function(self, model, logits):
        """jax.jit over ``stateless_call``: weights are arguments, placed on the device."""
        import jax
        device = (jax.devices('gpu')[self._gpu] if self._gpu is not None
                  else jax.devices('cpu')[0])
        state = jax.device_put(([v.value for v in model.trainable_variables],
                                [v.value for v in model.non_trainable_variables]), device)

        def pure(trainable, non_trainable, tiles):
            def call(x):
                return model.stateless_call(trainable, non_trainable, x, training=False)[0]
            return self._graph(model, tiles, logits, call)

        compiled = jax.jit(pure)
        return lambda tiles: compiled(state[0], state[1], jax.device_put(tiles, device))

    def _run(self, tiles, logits):
        tiles = np.asarray(tiles)
        height, width = self.input_shape or (self.input_size, self.input_size)
        if tiles.dtype != np.uint8 or tiles.ndim != 4 or tiles.shape[1:] != (height, width, 3):
            raise ValueError(f'expected uint8 RGB tiles [N, {height}, {width}, 3], got '
                             f'{tiles.dtype} {tiles.shape}')
        outputs = []
        with self._device_scope():
            for start in range(0, len(tiles), self.batch_size):
                chunk = np.ascontiguousarray(tiles[start:start + self.batch_size])
                outputs.append(_to_numpy(self._function(chunk.shape, logits)(chunk)))
        if not outputs:
            return np.zeros((0, height, width) + ((self._classes,) if logits else ()),
                            np.float32)
        return np.concatenate(outputs).astype(np.float32, copy=False)

    def predict(self, tiles):
        """Return float32 [N, H, W] person probability for uint8 RGB tiles [N, H, W, 3]."""
        return self._run(tiles, logits=False)

    def logits(self, tiles):
        """Return float32 [N, H, W, classes] logits; equality with LiteRT is tested on them."""
        return self._run(tiles, logits=True)

    def close(self):
        """Drop the compiled functions and the networks."""
        self._functions.clear()
        self._models.clear()
        self.model = None


def _to_numpy(value):
    if hasattr(value, 'detach'):
        value = value.detach().cpu()
    return np.asarray(value)
