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
The real models find the person in package-shipped photos and nothing in photos without one.

These photos ship with matplotlib and scikit-image, so the check runs anywhere the models are.
"""

import matplotlib.cbook
import matplotlib.image
import numpy as np
from person_segmentation import PersonRegion, SegmentationResult, Segmenter
from person_segmentation.models.registry import model_names
import pytest
import skimage.data

TFLITE_MODELS = ['deeplabv3_mnv2_257', 'deeplabv3_mnv2_513', 'deeplabv3_mnv2_dm05_513']


def _grace_hopper():
    with matplotlib.cbook.get_sample_data('grace_hopper.jpg') as stream:
        return np.ascontiguousarray(matplotlib.image.imread(stream, format='jpg')[..., :3])


@pytest.fixture(scope='module', params=TFLITE_MODELS)
def segmenter(request, models_dir):
    seg = Segmenter(request.param, threads=2)
    yield seg
    seg.close()


def test_registry_has_the_issue_model_names():
    assert set(TFLITE_MODELS) <= set(model_names())


def test_grace_hopper_is_covered(segmenter):
    rgb = _grace_hopper()  # 512 wide x 600 high portrait, one person filling the frame
    out = segmenter(rgb)
    assert isinstance(out, SegmentationResult)
    assert out.probability.shape == rgb.shape[:2] and out.probability.dtype == np.float32
    assert out.mask.shape == rgb.shape[:2] and out.mask.dtype == np.uint8
    assert set(np.unique(out.mask)) <= {0, 255}
    assert 0.0 <= out.probability.min() and out.probability.max() <= 1.0
    # face and uniform in the middle of the picture
    assert (out.mask[150:550, 150:350] > 0).mean() > 0.9
    assert 0.45 < (out.mask > 0).mean() < 0.85
    biggest = out.regions[0]
    assert isinstance(biggest, PersonRegion)
    assert biggest.area > 0.4 * rgb.shape[0] * rgb.shape[1]
    assert biggest.confidence > 0.85
    assert set(out.timings) >= {'preprocess', 'model', 'postprocess'}


def test_astronaut_is_covered(segmenter):
    rgb = skimage.data.astronaut()  # Eileen Collins, left two thirds of a 512x512 photo
    out = segmenter(rgb)
    assert (out.mask[120:450, 80:300] > 0).mean() > 0.85
    # the flag and the space shuttle model on the right are not person
    assert (out.mask[20:250, 400:500] > 0).mean() < 0.05
    x, y, w, h = out.regions[0].bbox
    assert x < 20 and x + w < 400 and h > 400


@pytest.mark.parametrize('photo', ['coffee', 'chelsea'])
def test_photos_without_people_stay_empty(segmenter, photo):
    rgb = getattr(skimage.data, photo)()
    out = segmenter(rgb)
    assert (out.mask > 0).mean() < 0.002
    assert out.regions == []
    assert float(out.probability.max()) < 0.5


def test_probability_is_soft_for_all_tflite_models(segmenter):
    """The quantised models' logits are read before ARG_MAX, so probability is not just 0/1."""
    out = segmenter(_grace_hopper())
    soft = np.count_nonzero((out.probability > 0.05) & (out.probability < 0.95))
    assert segmenter.backend.binary_output is False
    assert soft > 100


@pytest.mark.parametrize('model', TFLITE_MODELS)
def test_native_rectangular_input_on_a_portrait_photo(models_dir, model):
    """The reshaped graph ('native') agrees with the tiles on a 512x600 portrait."""
    rgb = _grace_hopper()
    native = Segmenter(model, strategy='native')(rgb)
    tiles = Segmenter(model, strategy='tiles')(rgb)
    assert native.mask.shape == rgb.shape[:2]
    assert (native.mask[150:550, 150:350] > 0).mean() > 0.9
    agreement = np.mean((native.mask > 0) == (tiles.mask > 0))
    assert agreement > 0.95
