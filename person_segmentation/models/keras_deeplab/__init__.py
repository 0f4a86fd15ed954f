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
DeepLab in plain Keras 3, loading the PixelLib / keras-deeplab-v3-plus files and the .tflite ones.

PixelLib no longer imports on current TensorFlow, so the network is rebuilt here with the layer
names of the published HDF5 files and the weights are read by layer name with h5py. The DeepLab
v3 MobileNetV2 .tflite models map onto the same layer names (``weights_tflite``). The code
uses Keras layers and ``keras.ops`` only, so Keras' TensorFlow, JAX and PyTorch backends all run
it; ``person_segmentation.models.backends.keras_backend`` wraps it as an inference backend.
"""

from person_segmentation.models.keras_deeplab.builder import ARCHITECTURES, build_deeplab
from person_segmentation.models.keras_deeplab.weights_h5 import (
    detect_architecture, load_weights, read_h5_weights, WeightFileError, write_h5_weights)
from person_segmentation.models.keras_deeplab.weights_tflite import (
    build_tflite_deeplab, read_tflite_deeplab)

__all__ = ['ARCHITECTURES', 'build_deeplab', 'build_tflite_deeplab', 'detect_architecture',
           'load_weights', 'read_h5_weights', 'read_tflite_deeplab', 'WeightFileError',
           'write_h5_weights']
