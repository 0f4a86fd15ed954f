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
The Keras DeepLabV3+ graphs load weight files in the published layout, strictly by name.

No real weights can be downloaded here, so each test writes a small random-weight file in the
PixelLib / keras-deeplab-v3-plus HDF5 layout (weight shapes do not depend on the input size, so
the networks are built at 128x128 to stay fast) and checks that the inference graph (batch norm
folded into the convolutions) computes what the published layout computes.
"""

import h5py
import numpy as np
from person_segmentation.models.keras_deeplab import (
    build_deeplab, load_weights, read_h5_weights, WeightFileError, write_h5_weights)
import pytest

SIZE = 128


def _randomize_batch_norm(model, seed=0):
    """Give every batch norm non-trivial statistics, so folding them is really tested."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.__class__.__name__ == 'BatchNormalization':
            n = layer.gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, n), rng.normal(0, 0.1, n),
                               rng.normal(0, 0.1, n), rng.uniform(0.5, 1.5, n)])


def _published_file(tmp_path_factory, architecture, logits_name):
    model, _ = build_deeplab(architecture, SIZE, 8, folded=False)
    _randomize_batch_norm(model)
    path = tmp_path_factory.mktemp(architecture) / f'{architecture}.h5'
    write_h5_weights(model, path, logits_name=logits_name)
    return path


@pytest.fixture(scope='module')
def xception_file(tmp_path_factory):
    """Return a random Xception file whose last layer is named as PixelLib writes it untrained."""
    return _published_file(tmp_path_factory, 'xception', 'custom_logits_semantic')


@pytest.fixture(scope='module')
def mobilenet_file(tmp_path_factory):
    """Return a random MobileNetV2 file whose last layer has the published name."""
    return _published_file(tmp_path_factory, 'mobilenetv2', 'logits_semantic')


def _folded_matches_reference(architecture, path, output_stride):
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (1, SIZE, SIZE, 3)).astype(np.float32)
    reference, folds = build_deeplab(architecture, SIZE, output_stride, folded=False)
    assert folds == {}
    load_weights(reference, path)
    folded, folds = build_deeplab(architecture, SIZE, output_stride, folded=True)
    assert folds, 'the inference graph should fold batch norms'
    load_weights(folded, path, folds)
    want = np.asarray(reference(x, training=False))
    got = np.asarray(folded(x, training=False))
    assert got.shape == (1, SIZE, SIZE, 21)
    spread = float(want.max() - want.min())
    assert spread > 0
    assert np.abs(got - want).max() <= 1e-4 * spread
    assert (got.argmax(-1) == want.argmax(-1)).mean() >= 0.999


def test_xception_file_layout_and_size(xception_file):
    """The file has PixelLib's 293 weighted layers and 41,258,213 parameters."""
    weights = read_h5_weights(xception_file)
    assert len(weights) == 293
    assert sum(v.size for layer in weights.values() for v in layer.values()) == 41258213
    assert list(weights)[-1] == 'custom_logits_semantic'
    assert weights['aspp1_depthwise']['kernel'].shape == (3, 3, 2048, 1)


@pytest.mark.slow
@pytest.mark.parametrize('output_stride', [8, 16])
def test_xception_loads_and_folds(xception_file, output_stride):
    """Xception at output stride 8 and 16 loads the file and folding keeps the logits."""
    _folded_matches_reference('xception', xception_file, output_stride)


def test_mobilenetv2_loads_and_folds(mobilenet_file):
    """MobileNetV2 loads its file (upstream's 2,146,645 parameters) and folding is exact."""
    weights = read_h5_weights(mobilenet_file)
    assert sum(v.size for layer in weights.values() for v in layer.values()) == 2146645
    _folded_matches_reference('mobilenetv2', mobilenet_file, 8)


def _edited_copy(src, dst, edit):
    with h5py.File(src, 'r') as a, h5py.File(dst, 'w') as b:
        for key, value in a.attrs.items():
            b.attrs[key] = value
        for name in a:
            a.copy(name, b)
        edit(b)
    return dst


def _text(name):
    return name.decode() if isinstance(name, bytes) else str(name)


def _names(handle):
    return [_text(n).encode() for n in handle.attrs['layer_names']]


def _drop(handle, layer):
    del handle[layer]
    handle.attrs['layer_names'] = [n for n in handle.attrs['layer_names'] if _text(n) != layer]


def _add_extra(handle):
    group = handle.create_group('my_head')
    group.create_dataset('my_head/kernel:0', data=np.zeros((1, 1, 4, 4), np.float32))
    group.attrs['weight_names'] = [b'my_head/kernel:0']
    handle.attrs['layer_names'] = _names(handle) + [b'my_head']


def _misshape(handle):
    del handle['Conv/Conv/kernel:0']
    handle['Conv'].create_dataset('Conv/kernel:0', data=np.zeros((3, 3, 3, 16), np.float32))


def _second_logits(handle):
    handle.copy('logits_semantic', 'custom_logits_semantic')
    handle.attrs['layer_names'] = _names(handle) + [b'custom_logits_semantic']


@pytest.mark.parametrize('edit, message', [
    (lambda h: _drop(h, 'expanded_conv_3_project'), "'expanded_conv_3_project' is missing"),
    (_add_extra, "unexpected layer 'my_head'"),
    (_misshape, "layer 'Conv' has weights {'kernel': (3, 3, 3, 16)}"),
    (_second_logits, 'several final layers'),
])
def test_wrong_file_names_the_layer(mobilenet_file, tmp_path, edit, message):
    """A missing, extra or misshapen layer is an error that names it."""
    bad = _edited_copy(mobilenet_file, tmp_path / 'bad.h5', edit)
    model, folds = build_deeplab('mobilenetv2', 64, 8, folded=True)
    with pytest.raises(WeightFileError, match=message.replace('(', r'\(').replace(')', r'\)')):
        load_weights(model, bad, folds)


def test_xception_file_is_not_a_mobilenet_file(xception_file):
    """Loading the other backbone's file fails naming a layer, never silently."""
    model, folds = build_deeplab('mobilenetv2', 64, 8, folded=True)
    with pytest.raises(WeightFileError, match="layer 'Conv' is missing"):
        load_weights(model, xception_file, folds)


def test_not_hdf5(tmp_path):
    """A file that is not HDF5 is rejected with its path in the message."""
    bad = tmp_path / 'weights.h5'
    bad.write_bytes(b'not an hdf5 file')
    with pytest.raises(WeightFileError, match='not a readable HDF5'):
        read_h5_weights(bad)
