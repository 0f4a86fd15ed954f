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
Which backend and device run a model: the rule, and no TensorFlow without a GPU.

The rule is a pure function of the model, the caller's choice and the GPU probe's answer, so
both answers of the probe are checked here although this machine has no GPU. The LiteRT path
(what 'auto' picks without a GPU) must never import TensorFlow, Keras or JAX: a subprocess
builds the default Segmenter and node and lists what got imported.
"""

import os
import subprocess
import sys

from conftest import REPO_ROOT
from person_segmentation.models import devices
from person_segmentation.models.backends import choose_backend
from person_segmentation.models.registry import get_spec
import pytest

TFLITE = get_spec('deeplabv3_mnv2_513')
H5 = get_spec('deeplabv3plus_xception')
NO_GPU = (None, 'no CUDA GPU')
GPU = ('gpu:0', 'CUDA GPU found; Keras on jax')


@pytest.mark.parametrize('spec, backend, device, gpu, expected', [
    (TFLITE, 'auto', 'auto', NO_GPU, ('tflite', 'cpu')),
    (TFLITE, 'auto', 'auto', GPU, ('keras', 'gpu:0')),
    (TFLITE, 'auto', 'cpu', GPU, ('tflite', 'cpu')),
    (TFLITE, 'auto', 'gpu:1', NO_GPU, ('keras', 'gpu:1')),
    (TFLITE, 'tflite', 'auto', GPU, ('tflite', 'cpu')),
    (TFLITE, 'keras', 'auto', NO_GPU, ('keras', 'auto')),
    (TFLITE, 'keras', 'cpu', GPU, ('keras', 'cpu')),
    (H5, 'auto', 'auto', NO_GPU, ('keras', 'auto')),
    (H5, 'keras', 'gpu', NO_GPU, ('keras', 'gpu')),
])
def test_backend_rule(spec, backend, device, gpu, expected):
    chosen, where, why = choose_backend(spec, backend, device, gpu=gpu)
    assert (chosen, where) == expected
    assert why


@pytest.mark.parametrize('spec, backend, device, problem', [
    (TFLITE, 'onnx', 'auto', 'backend must be one of auto, tflite, keras'),
    (TFLITE, 'auto', 'tpu', 'device must be'),
    (TFLITE, 'auto', 'cpu:1', 'device must be'),
    (TFLITE, 'tflite', 'gpu', 'LiteRT runs on the CPU'),
    (H5, 'tflite', 'auto', 'has no LiteRT form'),
])
def test_impossible_choices_are_refused_with_the_reason(spec, backend, device, problem):
    with pytest.raises(ValueError, match=problem):
        choose_backend(spec, backend, device, gpu=NO_GPU)


_DEFAULT_PATH = r"""
import sys
import numpy as np
import rclpy
from person_segmentation import Segmenter
from person_segmentation.node.segmentation_node import PersonSegmentationNode
segmenter = Segmenter()
segmenter(np.zeros((120, 160, 3), np.uint8))
context = rclpy.Context()
rclpy.init(context=context)
node = PersonSegmentationNode(context=context, namespace='/no_tf_check')
print('backends=' + segmenter.backend.name + ',' + node.segmenter.backend.name)
node.destroy_node()
rclpy.shutdown(context=context)
print('imported=' + ','.join(m for m in ('tensorflow', 'keras', 'jax', 'torch')
                             if m in sys.modules))
"""


def test_default_segmenter_and_node_import_no_tensorflow(models_dir):
    """Without a GPU, 'auto' runs LiteRT and loads neither TensorFlow nor Keras (issue 14)."""
    if devices.gpu_device() is not None:
        pytest.skip('a usable GPU is present: auto runs Keras here by design')
    env = dict(os.environ, PERSON_SEGMENTATION_MODEL_DIR=str(models_dir))
    result = subprocess.run([sys.executable, '-c', _DEFAULT_PATH], capture_output=True,
                            text=True, cwd=REPO_ROOT, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    said = dict(line.split('=', 1) for line in result.stdout.splitlines() if '=' in line)
    assert said['backends'] == 'tflite,tflite'
    assert said['imported'] == '', f'the LiteRT path imported {said["imported"]}'
