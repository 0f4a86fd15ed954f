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
Tell whether a usable GPU is present without importing TensorFlow or JAX.

The default backend choice ('auto') runs Keras on a GPU when one can be used and LiteRT on the
CPU otherwise. Importing TensorFlow costs seconds and hundreds of MB even where there is no GPU,
so the check asks the CUDA driver itself (libcuda through ctypes: ``cuInit`` and
``cuDeviceGetCount``, which create no context) and reads the installed packages' metadata to
see whether the framework Keras will run on was built with CUDA. Only when both say yes is the
framework imported; it then has the final word (see ``models.backends.create_backend``).
Standard library only.
"""

import ctypes
import functools
import importlib.metadata
import json
import os
import re
import sys
from typing import Optional, Tuple

DEVICE_HELP = "'auto', 'cpu', 'gpu' or 'gpu:N' (N = CUDA device index)"
_DEVICE = re.compile(r'^(auto|cpu|gpu)(?::(\d+))?$')
#: Keras frameworks in the order they are preferred for a GPU when the user names none
_GPU_FRAMEWORKS = ('jax', 'tensorflow', 'torch')


def parse_device(device: str) -> Tuple[str, Optional[int]]:
    """Split 'auto' | 'cpu' | 'gpu' | 'gpu:N' into (kind, index); raise ValueError otherwise."""
    match = _DEVICE.match(str(device).strip().lower())
    if not match or (match.group(2) is not None and match.group(1) != 'gpu'):
        raise ValueError(f'device must be {DEVICE_HELP}, got {device!r}')
    index = match.group(2)
    return match.group(1), None if index is None else int(index)


@functools.lru_cache(maxsize=1)
def cuda_device_count() -> int:
    """Return how many CUDA devices the driver reports (0 without driver or device)."""
    for name in ('libcuda.so.1', 'libcuda.so'):
        try:
            cuda = ctypes.CDLL(name)
            break
        except OSError:
            continue
    else:
        return 0
    count = ctypes.c_int(0)
    try:
        if cuda.cuInit(0) != 0 or cuda.cuDeviceGetCount(ctypes.byref(count)) != 0:
            return 0
    except AttributeError:  # not a CUDA driver library
        return 0
    return int(count.value)


def _installed(distribution: str) -> Optional[str]:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def framework_has_cuda(framework: str) -> bool:
    """Tell from package metadata whether ``framework`` is an install that can use CUDA."""
    if framework == 'jax':
        plugins = any(_installed(f'jax-cuda{major}-plugin') for major in (12, 13))
        jaxlib = _installed('jaxlib') or ''
        return plugins or 'cuda' in jaxlib
    if framework == 'tensorflow':  # tensorflow-cpu has no CUDA; 'tensorflow' (x86, Jetson) has
        return any(_installed(name) for name in ('tensorflow', 'tensorflow-gpu'))
    if framework == 'torch':
        version = _installed('torch')
        return bool(version) and '+cpu' not in version
    return False


def _keras_default_framework() -> str:
    """Return the framework in Keras' config file (``$KERAS_HOME/keras.json``), else TF."""
    home = os.environ.get('KERAS_HOME', os.path.join(os.path.expanduser('~'), '.keras'))
    try:
        with open(os.path.join(home, 'keras.json')) as handle:
            return str(json.load(handle).get('backend', 'tensorflow'))
    except (OSError, ValueError, AttributeError):
        return 'tensorflow'


def keras_framework() -> str:
    """
    Return the framework the Keras backend will run on, without importing Keras.

    Keras already imported: its backend. Else ``KERAS_BACKEND``. Else JAX when JAX with CUDA
    is installed (``scripts/setup_venv --gpu``), so a GPU install needs no configuration;
    else Keras' own default (its config file, else TensorFlow).
    """
    if 'keras' in sys.modules:
        return sys.modules['keras'].backend.backend()
    if os.environ.get('KERAS_BACKEND'):
        return os.environ['KERAS_BACKEND']
    if framework_has_cuda('jax'):
        return 'jax'
    return _keras_default_framework()


def probe_gpu(index: int = 0) -> Tuple[Optional[str], str]:
    """Return ('gpu:N', why) when Keras can run on CUDA device ``index``, else (None, why)."""
    count = cuda_device_count()
    if count == 0:
        return None, 'no CUDA GPU (no NVIDIA driver or no device)'
    if index >= count:
        return None, f'gpu:{index} requested but the driver reports {count} CUDA device(s)'
    framework = keras_framework()
    if not framework_has_cuda(framework):
        others = [f for f in _GPU_FRAMEWORKS if f != framework and framework_has_cuda(f)]
        hint = (f'set KERAS_BACKEND={others[0]}' if others
                else 'install the GPU extras: scripts/setup_venv --gpu (docs/keras_backend.md)')
        return None, (f"{count} CUDA GPU(s) found but Keras' framework {framework!r} is a "
                      f'CPU-only install; {hint}')
    return f'gpu:{index}', f'CUDA GPU found; Keras on {framework}'


def gpu_device() -> Optional[str]:
    """Return 'gpu:0' when a GPU usable by the Keras backend is present, else None."""
    return probe_gpu()[0]
