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
Which model a name or a file means (``models.lookup.resolve``), on the real model files.

A name gives its registered spec and verified file; a path gives a spec read from the file (the
registered one, without its download, when it is a registered model's file); anything else is
refused with a message that names the file or lists the names. The Segmenter takes the same
answers (the last three tests are how callers meet them).
"""

import shutil

import numpy as np

from person_segmentation import Segmenter
from person_segmentation.models import lookup
from person_segmentation.models.files import ModelFileError
from person_segmentation.models.registry import get_spec
import pytest

MODEL = 'deeplabv3_mnv2_dm05_513'  # the smallest real model (760 kB)


def test_a_name_gives_its_spec_and_verified_file(models_dir):
    spec, path = lookup.resolve(MODEL, models_dir)
    assert spec is get_spec(MODEL)
    assert path == models_dir / spec.filename


def test_a_registered_models_file_elsewhere_keeps_its_settings_but_not_its_download(
        models_dir, tmp_path):
    copy = tmp_path / get_spec(MODEL).filename
    shutil.copy(models_dir / copy.name, copy)
    spec, path = lookup.resolve(str(copy))
    registered = get_spec(MODEL)
    assert path == copy
    assert (spec.name, spec.strategy, spec.input_size, spec.output) == (
        registered.name, registered.strategy, registered.input_size, registered.output)
    assert spec.url is None and spec.sha256 is None and str(copy) in spec.description


def test_an_unknown_tflite_file_gets_a_spec_from_its_tensors(models_dir, tmp_path):
    copy = tmp_path / 'other.tflite'
    shutil.copy(models_dir / get_spec('deeplabv3_mnv2_257').filename, copy)
    spec, _ = lookup.resolve(copy)  # a PathLike too
    assert (spec.name, spec.backend, spec.input_size, spec.output, spec.strategy) == (
        'other', 'tflite', 257, 'logits', 'tiles')
    assert spec.size_bytes == copy.stat().st_size and spec.url is None


@pytest.mark.parametrize('model, looks_like_a_path', [
    ('deeplabv3_mnv2_257', False), ('no_such_model', False), ('model.tflite', True),
    ('weights.h5', True), ('dir/model', True), ('net.keras', True)])
def test_names_and_paths_are_told_apart(model, looks_like_a_path):
    assert lookup.looks_like_path(model) is looks_like_a_path


def test_a_keras_file_that_is_not_hdf5_names_the_file(tmp_path):
    bad = tmp_path / 'weights.h5'
    bad.write_bytes(b'not hdf5')
    with pytest.raises(ModelFileError, match='weights.h5'):
        lookup.resolve(str(bad))


def test_corrupt_model_file_given_by_path(tmp_path):
    bad = tmp_path / 'broken.tflite'
    bad.write_bytes(b'\x00' * 1000)
    with pytest.raises(ModelFileError, match='broken.tflite'):
        Segmenter(str(bad))


def test_missing_model_path_and_unknown_name(tmp_path):
    with pytest.raises(ModelFileError, match='does not exist'):
        Segmenter(str(tmp_path / 'nothing.tflite'))
    with pytest.raises(ValueError, match='deeplabv3_mnv2_257'):
        Segmenter('no_such_model')


def test_model_given_by_path_infers_its_spec(models_dir, tmp_path):
    copy = tmp_path / 'my_model.tflite'
    shutil.copy(models_dir / get_spec(MODEL).filename, copy)
    seg = Segmenter(str(copy))
    assert seg.spec.input_size == 513 and seg.spec.output == 'argmax'
    assert seg.spec.backend == 'tflite' and seg.model_name == 'my_model'


def test_a_bodypix_file_given_by_path_runs_as_bodypix(models_dir, tmp_path):
    """Recognised by its output tensors (its input is not square): BodyPix's settings."""
    source = models_dir / get_spec('bodypix_mnv1_075').filename
    if not source.is_file():
        pytest.skip(f'{source.name} not in {models_dir}')
    copy = tmp_path / 'people.tflite'
    shutil.copy(source, copy)
    spec, _ = lookup.resolve(copy)
    assert (spec.name, spec.output, spec.strategy, spec.url) == (
        'people', 'bodypix', 'native', None)
    seg = Segmenter(str(copy))
    assert seg.backend.has_parts and seg(np.zeros((96, 128, 3), np.uint8)).mask.shape == (96, 128)
