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
Tell whether a GPU is present without importing any framework (standard library only).

Minimal version: the NVIDIA driver lists its GPUs under ``/proc/driver/nvidia/gpus``. The GPU
backend work (issue 12) replaces this module with one that also checks that the Keras framework
can use the device; the signature stays ``gpu_device() -> Optional[str]``.
"""

import functools
import pathlib
from typing import Optional

NVIDIA_GPUS = pathlib.Path('/proc/driver/nvidia/gpus')


@functools.lru_cache(maxsize=1)
def gpu_device() -> Optional[str]:
    """Return 'gpu:0' when the NVIDIA driver lists a GPU, else None."""
    try:
        present = any(NVIDIA_GPUS.iterdir())
    except OSError:
        present = False
    return 'gpu:0' if present else None
