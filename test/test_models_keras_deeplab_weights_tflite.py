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
The DeepLab .tflite files read as Keras weights: facts from each file, misfits named by layer.

Width, output stride and input normalisation are read from every shipped model; a file of another
shape than the Keras graph is an error naming the layer. That the weights then compute what
LiteRT computes is test_models_keras_backend.py.
"""

import dataclasses

from person_segmentation.models.keras_deeplab import (
    build_deeplab, read_tflite_deeplab, WeightFileError)
from person_segmentation.models.keras_deeplab.weights_tflite import load_tflite_weights
from person_segmentation.models.registry import get_spec
import pytest


def _path(models_dir, model):
    return models_dir / get_spec(model).filename


@pytest.mark.parametrize('model, stride, size, quantised, stem_width', [
    ('deeplabv3_mnv2_257', 8, 257, False, 16),
    ('deeplabv3_mnv2_513', 16, 513, True, 32),
    ('deeplabv3_mnv2_dm05_513', 16, 513, True, 16),
])
def test_file_facts_are_read_from_the_file(models_dir, model, stride, size, quantised,
                                           stem_width):
    """Width, output stride and input normalisation come from each file, not from a table."""
    deeplab = read_tflite_deeplab(_path(models_dir, model))
    assert len(deeplab.convolutions) == 55
    assert (deeplab.output_stride, deeplab.input_size, deeplab.quantised) == (
        stride, size, quantised)
    assert deeplab.widths['Conv'] == stem_width and deeplab.classes == 21
    if quantised:  # uint8 input quantised with scale 1/128, zero point 128
        assert (deeplab.input_zero, deeplab.input_scale) == (128.0, 1 / 128)
    else:
        assert (deeplab.input_zero, deeplab.input_scale) == (127.5, 1 / 127.5)
    if stem_width == 16:  # x0.5: channel counts not rounded to multiples of 8
        assert deeplab.widths['expanded_conv_1_project'] == 12


def test_a_file_that_does_not_fit_names_the_layer(models_dir, tmp_path):
    """Another width, stride or layer set than the Keras graph is an error naming the layer."""
    deeplab = read_tflite_deeplab(_path(models_dir, 'deeplabv3_mnv2_513'))
    os8, _ = build_deeplab('mobilenetv2', 65, 8, folded=True, widths=deeplab.widths)
    with pytest.raises(WeightFileError, match="'expanded_conv_6_depthwise' has stride 2"):
        load_tflite_weights(os8, deeplab)
    full_width, _ = build_deeplab('mobilenetv2', 65, 16, folded=True)
    half = read_tflite_deeplab(_path(models_dir, 'deeplabv3_mnv2_dm05_513'))
    with pytest.raises(WeightFileError, match="'Conv' kernel has shape"):
        load_tflite_weights(full_width, half)
    convolutions = dict(deeplab.convolutions)
    del convolutions['aspp0']
    model, _ = build_deeplab('mobilenetv2', 65, 16, folded=True, widths=deeplab.widths)
    with pytest.raises(WeightFileError, match="'aspp0' is missing"):
        load_tflite_weights(model, dataclasses.replace(deeplab, convolutions=convolutions))
    not_tflite = tmp_path / 'model.tflite'
    not_tflite.write_bytes(b'\0' * 64)
    with pytest.raises(WeightFileError, match='not a TFLite flatbuffer'):
        read_tflite_deeplab(not_tflite)
