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
The LiteRT backend on the real models: trimmed graphs, rectangular inputs, shape changes.

The graphs it runs are rewritten in memory by ``models.tflite_graph`` (test_models_tflite_graph);
these tests pin down that the trimmed graph agrees with the untouched one, that a reshaped
backend answers at its input size, and that a failed shape change keeps the previous one.
"""

import cv2
from memory_probe import run_snippet
import numpy as np
from person_segmentation.models.backends import tflite_backend
from person_segmentation.models.registry import get_spec
import pytest

MODELS = ['deeplabv3_mnv2_257', 'deeplabv3_mnv2_513', 'deeplabv3_mnv2_dm05_513']


@pytest.fixture(scope='module')
def tile(davis_dir):
    image = cv2.imread(str(davis_dir / 'JPEGImages' / '480p' / 'hike' / '00000.jpg'))
    return cv2.cvtColor(image[:, 187:667], cv2.COLOR_BGR2RGB)  # a 480x480 square


@pytest.mark.parametrize('model', MODELS)
def test_trimmed_and_full_graphs_agree(models_dir, model, tile):
    path = models_dir / get_spec(model).filename
    fast = tflite_backend.TFLiteBackend(path, 2)
    full = tflite_backend.TFLiteBackend(path, 2, trim=False)
    assert fast.trimmed and not full.trimmed
    size = fast.input_size
    batch = cv2.resize(tile, (size, size), interpolation=cv2.INTER_AREA)[None]
    a, b = fast.predict(batch)[0] > 0.5, full.predict(batch)[0] > 0.5
    assert a.any()
    assert np.mean(a == b) > 0.99


@pytest.mark.parametrize('model', MODELS)
def test_rectangular_input(models_dir, model):
    spec = get_spec(model)
    stride = 8 if spec.input_size == 257 else 16
    height, width = spec.input_size, spec.input_size + 25 * stride
    backend = tflite_backend.TFLiteBackend(models_dir / spec.filename, 2)
    assert backend.output_stride == stride
    assert backend.fit_side(width - 3) == width and backend.takes(height, width)
    out = backend.predict(np.full((1, height, width, 3), 128, np.uint8))
    assert out.shape == (1, height, width) and out.dtype == np.float32
    with pytest.raises(ValueError, match=f'cannot take a {width + 1}x{height} input'):
        backend.predict(np.full((1, height, width + 1, 3), 128, np.uint8))


def test_a_failed_shape_change_keeps_the_previous_shape_working(models_dir):
    # Out of memory while building the interpreter for a new input shape must leave the old one
    # in place: before, the half-built interpreter replaced it and every later frame of the
    # previous shape failed ("Cannot set tensor: Dimension mismatch").
    result = run_snippet(f"""
        import numpy as np
        from person_segmentation.models.backends.tflite_backend import TFLiteBackend
        backend = TFLiteBackend({str(models_dir / get_spec('deeplabv3_mnv2_257').filename)!r}, 1)
        frame = np.random.default_rng(0).integers(0, 256, (1, 257, 345, 3), np.uint8)
        before = backend.predict(frame)
        limit_address_space(500)
        try:
            backend.predict(np.zeros((1, 257, 8 * 8000 + 1, 3), np.uint8))  # about 2.5 GB
            error = None
        except Exception as failure:
            error = type(failure).__name__
        after = backend.predict(frame)
        print(json.dumps({{'error': error, 'shapes': backend._shapes.keys(),
                          'same': bool(np.array_equal(before, after))}}))
    """)
    assert result['error'] is not None, 'the huge input did not fail: raise the input size'
    assert [257, 345] in result['shapes'] and [257, 8 * 8000 + 1] not in result['shapes']
    assert result['same']
