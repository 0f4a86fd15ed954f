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
Run the Keras 3 DeepLabV3+ networks (PixelLib / keras-deeplab-v3-plus weights) as a backend.

PixelLib cannot be imported on current TensorFlow, and its per-frame ``model.predict`` costs
most of its time; this backend loads the same weight files into
``person_segmentation.models.keras_deeplab``, folds batch norm into the convolutions, and runs one
compiled function per input shape that does normalisation, the network, softmax and the
person-class pick on the device. It uses a GPU automatically when the Keras backend sees one
(float16 there by default) and logs the device it chose.
"""

import dataclasses
import logging
import os

import numpy as np

from person_segmentation.models.backends.base import Backend
from person_segmentation.models.files import ModelFileError
from person_segmentation.models.keras_deeplab import build_deeplab, load_weights, WeightFileError
from person_segmentation.models.keras_deeplab.weights_h5 import detect_architecture
from person_segmentation.models.spec import PERSON_CLASS

LOG = logging.getLogger(__name__)
PRECISIONS = ('auto', 'float32', 'float16', 'bfloat16')
_POLICIES = {'float32': None, 'float16': 'mixed_float16', 'bfloat16': 'mixed_bfloat16'}


def spec_for_path(path):
    """
    Return the registered Keras ModelSpec that fits the weight file at ``path``.

    The architecture is recognised from the file's layer names; url and sha256 are dropped
    because the file is the user's.
    """
    from person_segmentation.models.registry import KERAS_MODELS
    try:
        architecture = detect_architecture(path)
    except WeightFileError as error:
        raise ModelFileError(str(error)) from None
    base = {s.options['architecture']: s for s in KERAS_MODELS}[architecture]
    return dataclasses.replace(base, url=None, sha256=None, size_bytes=None,
                               description=f'{base.description} (from {path})')


def _keras():
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    import keras
    return keras


def _configure_tensorflow(threads):
    """Set TF's CPU thread pools (only possible before its runtime starts) and find a GPU."""
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
    return bool(gpus)


def _configure_other(name, threads):
    """Thread count and GPU discovery for Keras' JAX and PyTorch backends."""
    if name == 'jax':
        import jax
        return any(d.platform == 'gpu' for d in jax.devices())
    if name == 'torch':
        import torch
        if threads:
            torch.set_num_threads(int(threads))
        torch.backends.cudnn.benchmark = True  # fixed shapes: pick the fastest conv kernels
        return torch.cuda.is_available()
    return False


class KerasBackend(Backend):
    """
    DeepLabV3+ (Xception-65 or MobileNetV2) in Keras 3; person probability per pixel.

    Options (``spec.options`` give the defaults, keyword arguments override them):
    ``architecture`` 'xception' | 'mobilenetv2'; ``output_stride`` 8 | 16 (Xception);
    ``precision`` 'auto' (float16 on GPU, float32 on CPU) | 'float32' | 'float16' |
    'bfloat16'; ``device`` 'auto' | 'cpu' | 'gpu'; ``batch_size`` largest batch per call;
    ``jit`` XLA-compile the function (TensorFlow; default on GPU only).
    """

    def __init__(self, spec, path, threads=2, **opts):
        options = dict(getattr(spec, 'options', {}) or {})
        options.update(opts)
        unknown = set(options) - {'architecture', 'output_stride', 'precision', 'device',
                                  'batch_size', 'jit', 'classes'}
        if unknown:
            raise ValueError(f'unknown Keras backend option(s): {", ".join(sorted(unknown))}')
        precision = options.get('precision', 'auto')
        if precision not in PRECISIONS:
            raise ValueError(f'precision must be one of {PRECISIONS}, not {precision!r}')
        device = options.get('device', 'auto')
        if device not in ('auto', 'cpu', 'gpu'):
            raise ValueError(f"device must be 'auto', 'cpu' or 'gpu', not {device!r}")
        self.input_size = int(spec.input_size)
        self.architecture = options.get('architecture', 'xception')
        #: the network's own output stride (8 or 16); inputs stay square (no 'native' strategy)
        self.network_stride = int(options.get('output_stride', 8))
        self.batch_size = max(1, int(options.get('batch_size', 8)))
        self.person_class = PERSON_CLASS
        self.threads = threads

        keras = _keras()
        self._framework = keras.backend.backend()
        has_gpu = (_configure_tensorflow(threads) if self._framework == 'tensorflow'
                   else _configure_other(self._framework, threads))
        if device == 'gpu' and not has_gpu:
            raise ValueError(f'device=gpu requested but Keras ({self._framework}) sees no GPU')
        self._use_gpu = has_gpu and device != 'cpu'
        if precision == 'auto':
            precision = 'float16' if self._use_gpu else 'float32'
        self.precision = precision
        self._jit = bool(options.get('jit', self._use_gpu))
        self.name = f'keras-{self._framework}'
        self.device = (f'gpu:0 ({precision})' if self._use_gpu
                       else f'cpu ({threads} threads, {precision})')

        with self._device_scope():
            self.model, self._folds = build_deeplab(
                self.architecture, self.input_size, self.network_stride,
                classes=int(options.get('classes', 21)), folded=True,
                dtype=_POLICIES[precision])
            try:
                load_weights(self.model, path, self._folds)
            except WeightFileError as error:
                raise ModelFileError(f'{spec.name}: {error}') from None
        self._functions = {}
        LOG.info('Keras DeepLabV3+ %s OS%d on %s via %s, file %s', self.architecture,
                 self.network_stride, self.device, self._framework, path)

    def _device_scope(self):
        if self._framework == 'tensorflow':
            import tensorflow as tf
            return tf.device('/GPU:0' if self._use_gpu else '/CPU:0')
        import contextlib
        return contextlib.nullcontext()

    def _graph(self, tiles, call=None):
        """Normalise uint8 RGB, run the network, take the person softmax on the device."""
        from keras import ops
        x = ops.cast(tiles, 'float32') / 127.5 - 1.0
        logits = call(x) if call else self.model(x, training=False)
        return ops.softmax(logits, axis=-1)[..., self.person_class]

    def _function(self, shape):
        """Return the compiled function for one input shape (cached)."""
        fn = self._functions.get(shape)
        if fn is not None:
            return fn
        if self._framework == 'tensorflow':
            import tensorflow as tf
            fn = tf.function(lambda t: self._graph(t), jit_compile=self._jit,
                             input_signature=[tf.TensorSpec(shape, tf.uint8)])
        elif self._framework == 'jax':
            fn = self._jax_function()
        else:
            import torch

            def fn(t):
                with torch.no_grad():
                    return self._graph(t)
        self._functions[shape] = fn
        return fn

    def _jax_function(self):
        """jax.jit over ``stateless_call``: weights are arguments, not baked-in constants."""
        import jax
        model = self.model
        state = ([v.value for v in model.trainable_variables],
                 [v.value for v in model.non_trainable_variables])

        def pure(trainable, non_trainable, tiles):
            def call(x):
                return model.stateless_call(trainable, non_trainable, x, training=False)[0]
            return self._graph(tiles, call)

        compiled = jax.jit(pure)
        return lambda tiles: compiled(state[0], state[1], tiles)

    def predict(self, tiles):
        """Return float32 [N, S, S] person probability for uint8 RGB tiles [N, S, S, 3]."""
        tiles = np.asarray(tiles)
        size = self.input_size
        if tiles.dtype != np.uint8 or tiles.ndim != 4 or tiles.shape[1:] != (size, size, 3):
            raise ValueError(f'expected uint8 RGB tiles [N, {size}, {size}, 3], got '
                             f'{tiles.dtype} {tiles.shape}')
        outputs = []
        with self._device_scope():
            for start in range(0, len(tiles), self.batch_size):
                chunk = np.ascontiguousarray(tiles[start:start + self.batch_size])
                out = self._function(chunk.shape)(chunk)
                outputs.append(_to_numpy(out))
        if not outputs:
            return np.zeros((0, size, size), np.float32)
        return np.concatenate(outputs).astype(np.float32, copy=False)

    def close(self):
        """Drop the compiled functions and the model."""
        self._functions.clear()
        self.model = None


def _to_numpy(value):
    if hasattr(value, 'detach'):
        value = value.detach().cpu()
    return np.asarray(value)
