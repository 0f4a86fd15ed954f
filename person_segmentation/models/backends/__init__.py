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
Pick the inference backend and device, importing heavy frameworks only on demand.

The Segmenter, the node and the tools never import LiteRT or TensorFlow themselves; they call
``create_backend`` with a ``ModelSpec`` and get an object implementing ``base.Backend``. The
.tflite models run on LiteRT (CPU) or on Keras (GPU or CPU, weights read from the same file);
the .h5 models on Keras only. ``backend='auto'`` takes Keras when ``devices.probe_gpu`` finds a
GPU that Keras can use and LiteRT otherwise, and says why in the log and in
``Backend.selection``. The probe imports no framework, so the LiteRT path never loads
TensorFlow.
"""

import logging
import threading
from typing import Optional, Tuple

from person_segmentation.models import devices
from person_segmentation.models.backends.base import Backend
from person_segmentation.models.files import ModelFileError
from person_segmentation.models.spec import BODYPIX_OUTPUT

LOG = logging.getLogger(__name__)
BACKENDS = ('auto', 'tflite', 'keras')


def check_choice(backend: str, device: str) -> None:
    """Raise ValueError for an unknown ``backend`` or a malformed ``device``."""
    if backend not in BACKENDS:
        raise ValueError(f'backend must be one of {", ".join(BACKENDS)}, got {backend!r}')
    devices.parse_device(device)


def choose_backend(spec, backend: str = 'auto', device: str = 'auto',
                   gpu: Optional[Tuple[Optional[str], str]] = None) -> Tuple[str, str, str]:
    """
    Return ``(backend, device, why)`` for ``spec`` and the caller's choice.

    ``gpu`` is ``devices.probe_gpu()``'s answer; None: probe now (only when needed).
    """
    check_choice(backend, device)
    kind, index = devices.parse_device(device)
    if spec.backend == 'keras':
        if backend == 'tflite':
            raise ValueError(f'model {spec.name!r} is a Keras (.h5) model: it has no LiteRT '
                             "form; use backend 'keras' or 'auto'")
        return 'keras', device, 'a Keras model file'
    if backend == 'tflite':
        if kind == 'gpu':
            raise ValueError(f'LiteRT runs on the CPU here; device {device!r} needs backend '
                             "'keras' or 'auto'")
        return 'tflite', 'cpu', 'backend tflite requested'
    if backend == 'keras':
        return 'keras', device, 'backend keras requested'
    if kind == 'cpu':
        return 'tflite', 'cpu', 'device cpu requested: LiteRT is the fast CPU path'
    if kind == 'gpu':
        return 'keras', device, f'device {device} requested'
    found, why = gpu if gpu is not None else devices.probe_gpu(index or 0)
    if found:
        return 'keras', found, why
    return 'tflite', 'cpu', why


def _load(spec, path, threads, backend, device, opts) -> Backend:
    bodypix = spec.output == BODYPIX_OUTPUT
    if backend == 'tflite':
        if bodypix:
            from person_segmentation.models.backends.tflite_bodypix_backend import (
                TFLiteBodyPixBackend)
            return TFLiteBodyPixBackend(path, threads=threads, input_size=spec.input_size,
                                        **opts)
        from person_segmentation.models.backends.tflite_backend import TFLiteBackend
        return TFLiteBackend(path, threads=threads, **opts)
    if backend == 'keras':
        return _shared_keras(spec, path, threads, device, opts, bodypix)
    raise ValueError(f'model {spec.name!r} names unknown backend {backend!r} '
                     "(known: 'tflite', 'keras')")


#: Keras backends in use, by what they were made of: one per process and model, shared by
#: every Segmenter (its weights read once, one copy on the GPU); LiteRT ones are per Segmenter
#: (an interpreter serves one thread, and costs little memory)
_KERAS_IN_USE = {}
_KERAS_LOCK = threading.Lock()


def _shared_keras(spec, path, threads, device, opts, bodypix) -> Backend:
    """Return the process's Keras backend for these settings, made on first use."""
    from person_segmentation.models.backends.keras_backend import (
        KerasBackend, KerasBodyPixBackend)
    key = (spec.name, str(path), int(threads), device, tuple(sorted(
        (name, repr(value)) for name, value in opts.items())))
    with _KERAS_LOCK:
        instance = _KERAS_IN_USE.get(key)
        if instance is not None and not instance.closed:
            return instance.retain()
        kind = KerasBodyPixBackend if bodypix else KerasBackend
        instance = kind(spec, path, threads=threads, device=device, **opts)
        _KERAS_IN_USE[key] = instance

        def forget():
            with _KERAS_LOCK:
                if _KERAS_IN_USE.get(key) is instance:
                    del _KERAS_IN_USE[key]
        instance._on_last_close = forget
        return instance


def create_backend(spec, path, threads: int = 2, backend: str = 'auto', device: str = 'auto',
                   **opts) -> Backend:
    """
    Load the model file at ``path`` on the backend and device chosen by ``choose_backend``.

    When 'auto' chose Keras for a GPU and the framework then fails to run there (no GPU seen,
    CUDA libraries missing, a .tflite file that is not DeepLab MobileNetV2), LiteRT takes over
    with a warning; an explicit choice fails instead.
    """
    chosen, where, why = choose_backend(spec, backend, device)
    try:
        instance = _load(spec, path, threads, chosen, where, opts)
    except (ImportError, RuntimeError, ValueError, ModelFileError) as error:
        if not (backend == 'auto' and device == 'auto' and chosen == 'keras'
                and spec.backend == 'tflite'):
            raise
        LOG.warning('%s: Keras on %s failed (%s); using LiteRT on the CPU', spec.name, where,
                    error)
        why = f'{why}, but Keras failed ({error}); LiteRT fallback'
        instance = _load(spec, path, threads, 'tflite', 'cpu', opts)
    instance.selection = f'{backend}/{device}: {why}'
    LOG.info('%s: %s on %s (%s)', spec.name, instance.name, instance.device, instance.selection)
    return instance


__all__ = ['Backend', 'BACKENDS', 'check_choice', 'choose_backend', 'create_backend']
