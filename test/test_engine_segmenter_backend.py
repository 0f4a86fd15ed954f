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
A Segmenter runs every view of its model on ONE backend, a second model on its own.

Keras backends are per process and model.

Before, a preset with two views and crops loaded its model three times (three LiteRT
backends, or three Keras networks each reading and dequantising the weights and holding them
on the GPU), and 'preset: auto' kept the GPU's preset when Keras fell back to LiteRT.
"""

import numpy as np
from person_segmentation import Segmenter
from person_segmentation.engine import segmenter as segmenter_module
from person_segmentation.models import backends, devices
import person_segmentation.models.keras_deeplab as keras_deeplab
import pytest


def _frames(count, height, width):
    rng = np.random.default_rng(height + width)
    return [rng.integers(0, 256, (height, width, 3), np.uint8) for _ in range(count)]


@pytest.fixture
def loads(monkeypatch):
    """Count the Segmenter's model loads: the calls of create_backend."""
    calls = []
    create = segmenter_module.create_backend

    def counting(*args, **kwargs):
        calls.append(args[0].name)
        return create(*args, **kwargs)
    monkeypatch.setattr(segmenter_module, 'create_backend', counting)
    return calls


def test_a_preset_loads_each_model_once(models_dir, loads):
    seg = Segmenter(preset='accurate', backend='tflite')
    # before: three loads of one model (two views, the crops); now BodyPix for both views and
    # their mirrors, and the second model, each once
    assert loads == ['bodypix_mnv1_075', 'deeplabv3_mnv2_513']
    assert seg.second_backend is not seg.backend
    for frame in _frames(2, 360, 480) + _frames(2, 360, 640) + _frames(1, 360, 480):
        seg(frame)
    # two views per frame shape (a mirror has its view's shape; 4:3 and 16:9 differ): built
    # once each, then reused
    built = seg.backend.interpreters_built
    seg(_frames(1, 360, 640)[0])
    seg(_frames(1, 360, 480)[0])
    assert seg.backend.interpreters_built == built == 4
    seg.close()


def test_keras_reads_the_weights_once_per_process(models_dir, loads, monkeypatch):
    """Views, mirrors and a second Segmenter share one Keras backend per model."""
    import person_segmentation.models.keras_bodypix as keras_bodypix
    reads = []
    for module, name in ((keras_deeplab, 'read_tflite_deeplab'),
                         (keras_bodypix, 'read_tflite_bodypix')):
        read = getattr(module, name)
        monkeypatch.setattr(module, name,
                            lambda path, read=read: reads.append(path.name) or read(path))
    # batch_size: settings of their own, so no backend of another test is reused
    first = Segmenter(preset='accurate', backend='keras', device='cpu', batch_size=5)
    second = Segmenter(preset='accurate', backend='keras', device='cpu', batch_size=5)
    assert sorted(reads) == ['bodypix_mobilenet_v1_075_720_1280_16_quant.tflite',
                             'deeplabv3_mnv2_pascal_quant.tflite']
    assert second.backend is first.backend and second.second_backend is first.second_backend
    assert first.backend.networks_built == 0  # nothing built at start
    frame = _frames(1, 240, 320)[0]
    expected = first(frame).probability
    assert first.backend.networks_built == 2  # two views (a mirror runs in its view's batch)
    first.close()
    assert np.array_equal(second(frame).probability, expected)  # still open for the second
    second.close()
    assert first.backend.closed and first.second_backend.closed
    third = Segmenter(preset='accurate', backend='keras', device='cpu', batch_size=5)
    assert third.backend is not first.backend and len(reads) == 4
    third.close()


def test_preset_auto_follows_the_backend_actually_chosen(models_dir, monkeypatch):
    """A GPU seen, Keras failing on it: LiteRT runs, so 'auto' is fast, not accurate."""
    monkeypatch.setattr(devices, 'gpu_device', lambda: 'gpu:0')
    monkeypatch.setattr(devices, 'probe_gpu', lambda index=0: ('gpu:0', 'CUDA GPU (test)'))
    load = backends._load

    def keras_fails(spec, path, threads, backend, device, opts):
        if backend == 'keras':
            raise RuntimeError('no CUDA libraries (test)')
        return load(spec, path, threads, backend, device, opts)
    monkeypatch.setattr(backends, '_load', keras_fails)
    for preset in (None, 'auto'):
        seg = Segmenter(preset=preset)
        assert seg.backend.name == 'tflite'
        assert (seg.preset.name, seg.model_name) == ('fast', 'bodypix_mnv1_075')
        assert seg.second_backend is None and seg.threshold == 0.55  # fast's, not accurate's
        assert 'LiteRT fallback' in seg.backend.selection
        assert 'preset auto: fast, not accurate' in seg.backend.selection
        assert seg(_frames(1, 240, 320)[0]).probability.shape == (240, 320)
        seg.close()
    explicit = Segmenter(preset='accurate')  # asked for by name: kept, on LiteRT
    assert (explicit.preset.name, explicit.backend.name) == ('accurate', 'tflite')
    explicit.close()
