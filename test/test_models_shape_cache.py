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
One backend, many input shapes: what is kept per shape, and that it stays bounded.

A Segmenter's views and cameras alternate input shapes on its one backend per model.
Building an interpreter (LiteRT) or a network (Keras) per shape is the expensive part, so each
is built once and kept, the least recently used going beyond ``SHAPES_KEPT``.
"""

import numpy as np
from person_segmentation.models.backends.shape_cache import ShapeCache, SHAPES_KEPT
from person_segmentation.models.backends.tflite_backend import TFLiteBackend
from person_segmentation.models.backends.tflite_bodypix_backend import TFLiteBodyPixBackend
from person_segmentation.models.registry import BODYPIX, get_spec
import pytest


def test_the_last_used_shapes_are_kept_and_the_oldest_released():
    built, released = [], []
    cache = ShapeCache(lambda key: built.append(key) or f'net{key}', capacity=2,
                       release=released.append)
    assert [cache.get(k) for k in ('a', 'b', 'a', 'c', 'a')] == [
        'neta', 'netb', 'neta', 'netc', 'neta']
    assert built == ['a', 'b', 'c'] and cache.builds == 3
    assert released == ['netb'] and cache.keys() == ['c', 'a']
    cache.clear()
    assert len(cache) == 0 and sorted(released) == ['neta', 'netb', 'netc']


def test_a_failed_build_leaves_the_cache_as_it_was():
    def build(key):
        if key == 'huge':
            raise MemoryError('out of memory')
        return key.upper()
    cache = ShapeCache(build, capacity=2)
    cache.get('a')
    with pytest.raises(MemoryError):
        cache.get('huge')
    assert cache.keys() == ['a'] and cache.builds == 1 and cache.get('a') == 'A'


def _inputs(shape):
    return np.random.default_rng(sum(shape)).integers(0, 256, (1,) + shape + (3,), np.uint8)


def test_litert_shapes_alternate_without_rebuilding_interpreters(models_dir):
    """Views of two sizes and squares, frame after frame: nothing is built twice."""
    backend = TFLiteBackend(models_dir / get_spec('deeplabv3_mnv2_dm05_513').filename, 2)
    shapes = [(513, 689), (1025, 1377), (513, 513), (257, 257)]
    first = {shape: backend.predict(_inputs(shape)) for shape in shapes}
    built = backend.interpreters_built
    assert built == len(shapes)  # the file's own square counts once (made at load)
    for _ in range(2):
        for shape in shapes:
            assert np.array_equal(backend.predict(_inputs(shape)), first[shape])
    assert backend.interpreters_built == built
    backend.close()


def test_litert_keeps_a_bounded_number_of_interpreters(models_dir):
    backend = TFLiteBackend(models_dir / get_spec('deeplabv3_mnv2_257').filename, 1)
    shapes = [(257, 257 + 8 * k) for k in range(1, SHAPES_KEPT + 3)]
    for shape in shapes:
        backend.predict(_inputs(shape))
    assert len(backend._shapes) == SHAPES_KEPT
    assert backend._shapes.keys() == shapes[-SHAPES_KEPT:]
    backend.predict(_inputs(shapes[0]))  # forgotten: built again
    assert backend.interpreters_built == 1 + len(shapes) + 1


def test_bodypix_shapes_alternate_without_rebuilds(models_dir):
    path = models_dir / BODYPIX.filename
    if not path.is_file():
        pytest.skip(f'{BODYPIX.filename} not in {models_dir}')
    backend = TFLiteBodyPixBackend(path, 2)
    assert backend.interpreters_built == 0  # nothing until a shape is asked for
    shapes = [(480, 640), (352, 480), (256, 256)]
    for _ in range(3):
        for shape in shapes:
            probability = backend.predict(_inputs(shape))
            assert probability.shape == (1,) + shape
    assert backend.interpreters_built == len(shapes)
