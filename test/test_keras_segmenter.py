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
The Segmenter picks the Keras backend by model name (and by .h5 path) and runs it.

A random-weight MobileNetV2 file in the published layout stands in for the real download
(which has no published checksum, so it is never fetched unverified): the test checks the
plumbing (registry, model files, backend selection, output contract), not segmentation quality.
"""

import numpy as np
from person_segmentation import Segmenter
from person_segmentation.models.files import ModelFileError
from person_segmentation.models.keras_deeplab import build_deeplab, write_h5_weights
from person_segmentation.models.registry import MOBILENETV2, XCEPTION
import pytest


@pytest.fixture(scope='module')
def model_dir(tmp_path_factory):
    """Return a model cache directory holding a random MobileNetV2 file under its registry name."""
    directory = tmp_path_factory.mktemp('models')
    model, _ = build_deeplab('mobilenetv2', 64, 8, folded=False)
    write_h5_weights(model, directory / MOBILENETV2.filename)
    return directory


def _frame():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)


def test_segmenter_selects_keras_backend_by_name(model_dir):
    """Segmenter('deeplabv3plus_mobilenetv2') loads the Keras backend and fills the result."""
    seg = Segmenter('deeplabv3plus_mobilenetv2', threads=2, model_dir=model_dir)
    assert seg.spec is MOBILENETV2
    assert seg.backend.name.startswith('keras-')
    assert seg.backend.input_size == 512
    assert 'cpu' in seg.backend.device or 'gpu' in seg.backend.device
    out = seg(_frame())
    assert out.probability.shape == (240, 320) and out.probability.dtype == np.float32
    assert 0.0 <= out.probability.min() <= out.probability.max() <= 1.0
    assert set(np.unique(out.mask)) <= {0, 255}


def test_segmenter_takes_an_h5_path(model_dir):
    """A path to an .h5 file is recognised as MobileNetV2 from its layer names."""
    seg = Segmenter(str(model_dir / MOBILENETV2.filename), threads=2,
                    strategy='pad')
    assert seg.spec.options['architecture'] == 'mobilenetv2'
    assert seg(_frame()).probability.shape == (240, 320)


def test_missing_xception_file_says_where_to_put_it(tmp_path):
    """No checksum is published, so nothing downloads: the error names file and directory."""
    with pytest.raises(ModelFileError) as error:
        Segmenter('deeplabv3plus_xception', model_dir=tmp_path)
    assert XCEPTION.filename in str(error.value)
    assert str(tmp_path) in str(error.value)
