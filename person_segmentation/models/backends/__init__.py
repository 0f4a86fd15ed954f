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
Pick the inference backend a model spec names, importing heavy frameworks only on demand.

The Segmenter, the node and the tools never import LiteRT or TensorFlow themselves; they call
``create_backend`` with a ``ModelSpec`` and get an object implementing ``base.Backend``.
"""

from person_segmentation.models.backends.base import Backend


def create_backend(spec, path, threads: int = 2, **opts) -> Backend:
    """Load the model file at ``path`` with the backend ``spec.backend`` names."""
    if spec.backend == 'tflite':
        from person_segmentation.models.backends.tflite_backend import TFLiteBackend
        return TFLiteBackend(path, threads=threads, **opts)
    if spec.backend == 'keras':
        from person_segmentation.models.backends.keras_backend import KerasBackend
        return KerasBackend(spec, path, threads=threads, **opts)
    raise ValueError(f'model {spec.name!r} names unknown backend {spec.backend!r} '
                     "(known: 'tflite', 'keras')")


__all__ = ['Backend', 'create_backend']
