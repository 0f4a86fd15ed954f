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
BodyPix 2.0 (MobileNetV1, person mask + 24 body parts) in plain Keras 3, from its own .tflite.

``read_tflite_bodypix(path)`` reads the weights and structure of the shipped uint8 file
strictly (``weights_tflite``); ``build_bodypix(weights, height, width)`` builds the Keras
network for one input size (``builder``), equal to LiteRT up to integer rounding
(test/test_models_keras_bodypix.py). Keras layers and ``keras.ops`` only (tested on TensorFlow
and JAX).
"""

from person_segmentation.models.keras_bodypix.builder import (
    build_bodypix, check_input_size, DEFAULT_OUTPUTS, PERSON_PROBABILITY)
from person_segmentation.models.keras_bodypix.weights_tflite import (
    BodyPixWeights, read_tflite_bodypix, WeightFileError)

__all__ = ['BodyPixWeights', 'build_bodypix', 'check_input_size', 'DEFAULT_OUTPUTS',
           'PERSON_PROBABILITY', 'read_tflite_bodypix', 'WeightFileError']
