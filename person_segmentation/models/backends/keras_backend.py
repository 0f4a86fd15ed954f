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
Run the models in Keras 3 as a backend: DeepLab (.tflite or .h5 weights) and BodyPix (.tflite).

Weight sources: the DeepLab v3 MobileNetV2 ``.tflite`` files the LiteRT backend runs (read with
``keras_deeplab.weights_tflite``: float or dequantised uint8 weights, width and output stride
taken from the file), the PixelLib / keras-deeplab-v3-plus ``.h5`` files (batch norm folded at
load time), and the BodyPix ``.tflite`` (``keras_bodypix``). The file is read once per backend;
one backend serves every view of a Segmenter's model, and ``create_backend`` shares
it between the Segmenters of a process (``retain``/``close`` count the users).

Networks are built per input shape on first use (fully convolutional: the weights are the same
for every shape) and kept in a ``ShapeCache``; nothing is built at start for the .tflite models,
whose 'native' inputs follow the frames. On JAX the weights go to the device once and every
shape's compiled function takes them as arguments (``stateless_call``), so a GPU holds one copy
whatever the number of shapes; the compiled functions persist across runs in JAX's compilation
cache (``$XDG_CACHE_HOME/person_segmentation/jax``, unless JAX_COMPILATION_CACHE_DIR names
another), so a restarted node does not compile again. Normalisation, the network, the person
softmax (DeepLab) or the upsampled person sigmoid (BodyPix) run on the device; only the
probability (and BodyPix's part grid) comes back. Which framework Keras runs on is
``devices.keras_framework()``.
"""

import contextlib
import logging
import os
import pathlib
import threading

import numpy as np

from person_segmentation.models import bodypix, devices, files
from person_segmentation.models.backends.base import Backend
from person_segmentation.models.backends.shape_cache import ShapeCache
from person_segmentation.models.files import ModelFileError
from person_segmentation.models.keras_deeplab.weights_h5 import WeightFileError
from person_segmentation.models.spec import PERSON_CLASS

LOG = logging.getLogger(__name__)
PRECISIONS = ('auto', 'float32', 'float16', 'bfloat16')
_POLICIES = {'float32': None, 'float16': 'mixed_float16', 'bfloat16': 'mixed_bfloat16'}
_COMMON_OPTIONS = {'precision', 'batch_size', 'jit'}
#: JAX caches a compiled function on disk when compiling it took at least this long (s)
JAX_CACHE_MIN_COMPILE_S = 0.2


def _jax_compilation_cache():
    """Point JAX's persistent compilation cache at the user's cache unless one is set."""
    import jax
    if not jax.config.jax_compilation_cache_dir:
        directory = files.user_cache_dir() / 'jax'
        jax.config.update('jax_compilation_cache_dir', str(directory))
    jax.config.update('jax_persistent_cache_min_compile_time_secs', JAX_CACHE_MIN_COMPILE_S)
    return jax.config.jax_compilation_cache_dir


def _keras():
    """Import Keras on the framework ``devices.keras_framework`` names."""
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    # a node shares the GPU: JAX must not grab 75 % of its memory up front
    os.environ.setdefault('XLA_PYTHON_CLIENT_PREALLOCATE', 'false')
    os.environ.setdefault('KERAS_BACKEND', devices.keras_framework())
    if devices.keras_framework() == 'jax':
        _jax_compilation_cache()  # before Keras compiles anything
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


class _Network:
    """One input shape's Keras model and its compiled functions (by batch shape and output)."""

    def __init__(self, model):
        self.model = model
        self.functions = {}


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

    OPTIONS = _COMMON_OPTIONS | {'architecture', 'output_stride', 'classes'}

    def __init__(self, spec, path, threads=2, device='auto', **opts):
        options = dict(getattr(spec, 'options', {}) or {})
        options.update(opts)
        unknown = set(options) - self.OPTIONS
        if unknown:
            raise ValueError(f'unknown Keras backend option(s): {", ".join(sorted(unknown))}')
        precision = options.get('precision', 'auto')
        if precision not in PRECISIONS:
            raise ValueError(f'precision must be one of {PRECISIONS}, not {precision!r}')
        kind, index = devices.parse_device(device)
        self._path = path
        self._model_name = spec.name
        self._read(spec, path, options)
        self.batch_size = max(1, int(options.get('batch_size', 8)))
        self.threads = threads

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
        self._lock = threading.RLock()
        self._users = 1
        self._on_last_close = None
        self._jax_state = None  # the weights on the device, shared by every shape (JAX)
        self._shapes: ShapeCache[_Network] = ShapeCache(self._build_network)
        if not self._rectangular:  # square inputs only: its one network is always used
            self._shapes.get((self.input_size, self.input_size))
        LOG.info('Keras %s on %s via %s, file %s', self.describe_network(), self.device,
                 self._framework, path)

    # --- what differs per model family -------------------------------------------------------

    def _read(self, spec, path, options):
        """Read the weight file once; set the input facts (DeepLab .tflite or .h5)."""
        from person_segmentation.models.keras_deeplab import read_tflite_deeplab
        from person_segmentation.models.keras_deeplab.weights_tflite import (
            FLOAT_INPUT_SCALE, FLOAT_INPUT_ZERO)
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
        self._rectangular = self._deeplab is not None
        self._classes = int(options.get('classes', 21))

    def describe_network(self):
        """Return the network's name for logs."""
        return f'DeepLab {self.architecture} OS{self.network_stride}'

    def _build_model(self, shape, policy):
        """Return the Keras model for input ``shape`` (height, width) with its weights."""
        from person_segmentation.models.keras_deeplab import (
            build_deeplab, build_tflite_deeplab, load_weights)
        if self._deeplab is not None:
            return build_tflite_deeplab(self._deeplab, shape, dtype=policy)
        model, folds = build_deeplab(self.architecture, shape, self.network_stride,
                                     classes=self._classes, folded=True, dtype=policy)
        try:
            load_weights(model, self._path, folds)
        except WeightFileError as error:
            raise ModelFileError(f'{self._model_name}: {error}') from None
        return model

    def _graph(self, model, tiles, kind, call=None):
        """Normalise uint8 RGB, run the network, take the person softmax on the device."""
        from keras import ops
        zero, scale = self._normalisation
        x = (ops.cast(tiles, 'float32') - zero) * scale
        out = call(x) if call else model(x, training=False)
        if kind == 'logits':
            return out
        return ops.softmax(out, axis=-1)[..., PERSON_CLASS]

    # --- shapes, networks, compiled functions -----------------------------------------------

    @property
    def output_stride(self):
        """Stride of the logits grid for rectangular inputs (.tflite networks), else None."""
        return self.network_stride if self._rectangular else None

    def network(self, height, width):
        """Return the Keras model for ``height`` x ``width`` inputs (built on first use)."""
        with self._lock:
            return self._shapes.get((height, width)).model

    @property
    def model(self):
        """Return the Keras model for the square ``input_size`` input."""
        return self.network(self.input_size, self.input_size)

    @property
    def networks_built(self) -> int:
        """Return how many per-shape networks this backend has built."""
        return self._shapes.builds

    def _device_scope(self):
        if self._framework == 'tensorflow':
            import tensorflow as tf
            return tf.device(f'/GPU:{self._gpu}' if self._gpu is not None else '/CPU:0')
        return contextlib.nullcontext()

    def _build_scope(self):
        """Where a network's own variables live: host memory on JAX (the device copy is one)."""
        if self._framework == 'jax' and self._gpu is not None:
            import jax
            return jax.default_device(jax.devices('cpu')[0])
        return self._device_scope()

    def _build_network(self, shape):
        """Build the network for input ``shape`` (height, width)."""
        with self._build_scope():
            return _Network(self._build_model(shape, _POLICIES[self.precision]))

    def _function(self, shape, kind):
        """Return the compiled function for one batch shape and output kind (cached)."""
        network = self._shapes.get(tuple(shape[1:3]))
        key = (tuple(shape), kind)
        fn = network.functions.get(key)
        if fn is not None:
            return fn
        model = network.model
        if self._framework == 'tensorflow':
            import tensorflow as tf
            fn = tf.function(lambda t: self._graph(model, t, kind), jit_compile=self._jit,
                             input_signature=[tf.TensorSpec(shape, tf.uint8)])
        elif self._framework == 'jax':
            fn = self._jax_function(model, kind)
        else:
            import torch

            def fn(t):
                with torch.no_grad():
                    return self._graph(model, t, kind)
        network.functions[key] = fn
        return fn

    def _state(self, model, device):
        """Return the weights on ``device``: put there once, shared by every shape's network."""
        import jax
        shapes = ([tuple(v.shape) for v in model.trainable_variables],
                  [tuple(v.shape) for v in model.non_trainable_variables])
        if self._jax_state is None or self._jax_state[0] != shapes:
            values = ([v.value for v in model.trainable_variables],
                      [v.value for v in model.non_trainable_variables])
            state = jax.device_put(values, device)
            if self._jax_state is not None:  # a network whose weights differ: its own copy
                return state
            self._jax_state = (shapes, state)
        return self._jax_state[1]

    def _jax_function(self, model, kind):
        """jax.jit over ``stateless_call``: weights are arguments, placed on the device once."""
        import jax
        device = (jax.devices('gpu')[self._gpu] if self._gpu is not None
                  else jax.devices('cpu')[0])
        trainable, non_trainable = self._state(model, device)

        def pure(trainable, non_trainable, tiles):
            def call(x):
                return model.stateless_call(trainable, non_trainable, x, training=False)[0]
            return self._graph(model, tiles, kind, call)

        compiled = jax.jit(pure)
        return lambda tiles: compiled(trainable, non_trainable, jax.device_put(tiles, device))

    def _run(self, tiles, kind):
        """Run ``kind`` on uint8 RGB inputs in chunks of ``batch_size``; numpy outputs."""
        tiles = self.check_inputs(tiles)
        outputs = []
        with self._lock, self._device_scope():
            for start in range(0, len(tiles), self.batch_size):
                chunk = np.ascontiguousarray(tiles[start:start + self.batch_size])
                result = self._function(chunk.shape, kind)(chunk)
                outputs.append(tuple(_to_numpy(r) for r in result) if isinstance(result, tuple)
                               else (_to_numpy(result),))
        if not outputs:
            return None
        return tuple(np.concatenate(parts).astype(np.float32, copy=False)
                     for parts in zip(*outputs))

    def predict(self, tiles, parts=False):
        """Return float32 [N, H, W] person probability for uint8 RGB inputs [N, H, W, 3]."""
        if parts:
            raise ValueError(f'{self._model_name} is a DeepLab model: it has no body parts')
        result = self._run(tiles, 'probability')
        if result is None:
            height, width = np.shape(tiles)[1:3]
            return np.zeros((0, height, width), np.float32)
        return result[0]

    def logits(self, tiles):
        """Return float32 [N, H, W, classes] logits; equality with LiteRT is tested on them."""
        return self._run(tiles, 'logits')[0]

    # --- sharing -----------------------------------------------------------------------------

    def retain(self):
        """Count one more user (another Segmenter of the process); return self."""
        with self._lock:
            if self._users <= 0:
                raise RuntimeError('this Keras backend was closed')
            self._users += 1
        return self

    @property
    def closed(self) -> bool:
        """Tell whether every user has closed this backend."""
        return self._users <= 0

    def close(self):
        """Release one user; the last one drops the compiled functions and the networks."""
        with self._lock:
            if self._users <= 0:
                return
            self._users -= 1
            if self._users > 0:
                return
            self._shapes.clear()
            self._jax_state = None
        if self._on_last_close is not None:
            self._on_last_close()


class KerasBodyPixBackend(KerasBackend):
    """
    BodyPix 2.0 in Keras 3 from its .tflite file (``keras_bodypix``), equal to LiteRT's.

    Inputs: any H x W with sides multiples of 16, as on LiteRT. Options: ``precision``,
    ``batch_size``, ``jit`` (as for DeepLab) and ``quantise`` (default True: round every
    convolution's output to its int8 step, as the file's integer kernels store it).
    """

    OPTIONS = _COMMON_OPTIONS | {'quantise'}
    has_parts = True

    def _read(self, spec, path, options):
        from person_segmentation.models.keras_bodypix import read_tflite_bodypix
        try:
            self._bodypix = read_tflite_bodypix(path)
        except WeightFileError as error:
            raise ModelFileError(f'{spec.name}: {error}') from None
        self.input_size = int(spec.input_size)
        self.network_stride = self._bodypix.output_stride
        self._quantise = bool(options.get('quantise', True))
        self._rectangular = True
        self.has_keypoints = 'heatmaps' in self._bodypix.heads

    def describe_network(self):
        """Return the network's name for logs."""
        return f'BodyPix MobileNetV1 OS{self.network_stride}'

    @property
    def native_size(self):
        """Return None: 'native' runs BodyPix at the frame's own size (times the zoom)."""
        return None

    def fit_side(self, length):
        """Return the multiple of 16 nearest ``length``."""
        return bodypix.fit_side(length)

    def takes(self, height, width):
        """Tell whether both sides are positive multiples of 16."""
        return (self.fit_side(height), self.fit_side(width)) == (height, width)

    def input_rule(self):
        """Say which input sizes BodyPix takes."""
        return f'sides of multiples of {bodypix.OUTPUT_STRIDE} pixels'

    def _build_model(self, shape, policy):
        from person_segmentation.models.keras_bodypix import build_bodypix, PERSON_PROBABILITY
        heads = tuple(_KERAS_HEADS[name] for name in self._grids)
        return build_bodypix(self._bodypix, shape[0], shape[1],
                             outputs=(PERSON_PROBABILITY,) + heads, dtype=policy,
                             quantise=self._quantise)

    @property
    def _grids(self):
        """Return the grids this file gives (part logits; keypoint scores when it has them)."""
        return ((bodypix.PART_LOGITS, bodypix.KEYPOINT_SCORES) if self.has_keypoints
                else (bodypix.PART_LOGITS,))

    def _graph(self, model, tiles, kind, call=None):
        """
        Run the network on uint8 RGB (it normalises itself): probability, then the grids.

        ``kind`` names the grids to return (a tuple; empty: the probability alone); the
        compiled function computes nothing else (unused heads are pruned).
        """
        from keras import ops
        out = call(tiles) if call else model(tiles, training=False)
        if not kind:
            return out['person_probability']
        grids = tuple(ops.sigmoid(out[_KERAS_HEADS[name]]) if name == bodypix.KEYPOINT_SCORES
                      else out[_KERAS_HEADS[name]] for name in kind)
        return (out['person_probability'],) + grids

    def predict(self, tiles, parts=False):
        """
        Return float32 [N, H, W] person probability, with ``parts`` also uint8 [N, H, W] parts.

        The probability is computed on the device (the person logit upsampled on the grid's
        geometry, then its sigmoid); the 24 part logits come back on the grid and become labels
        as on LiteRT (``bodypix.part_labels``: 4x on the grid, argmax, nearest).
        """
        if not parts:
            return self.predict_grids(tiles, ())[0]
        probability, grids = self.predict_grids(tiles, (bodypix.PART_LOGITS,))
        return probability, bodypix.part_labels(grids[bodypix.PART_LOGITS],
                                                *probability.shape[1:])

    def predict_grids(self, tiles, grids):
        """Return the probability and the named grids (``Backend.predict_grids``)."""
        kind = tuple(grids)
        unknown = [name for name in kind if name not in self._grids]
        if unknown:
            raise ValueError(f'{self._model_name}: no BodyPix grid {unknown[0]!r} here (this '
                             f'file gives {", ".join(self._grids)})')
        result = self._run(tiles, kind)
        if result is None:
            height, width = np.shape(tiles)[1:3]
            return np.zeros((0, height, width), np.float32), {
                name: np.zeros((0,) + self._bodypix.output_hw(height, width) + (channels,),
                               np.float32)
                for name, channels in zip(kind, (_CHANNELS[name] for name in kind))}
        return result[0], dict(zip(kind, result[1:]))


#: the Keras network's head for each grid ``predict_grids`` returns, and its channels
_KERAS_HEADS = {bodypix.PART_LOGITS: 'part_heatmaps', bodypix.KEYPOINT_SCORES: 'heatmaps'}
_CHANNELS = {bodypix.PART_LOGITS: len(bodypix.PART_NAMES),
             bodypix.KEYPOINT_SCORES: len(bodypix.KEYPOINT_NAMES)}


def _to_numpy(value):
    if hasattr(value, 'detach'):
        value = value.detach().cpu()
    return np.asarray(value)
