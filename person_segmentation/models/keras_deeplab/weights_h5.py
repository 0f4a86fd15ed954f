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
Read the PixelLib / keras-deeplab-v3-plus HDF5 weight files by layer name, strictly.

PixelLib loads these files by layer ORDER, which silently accepts a file for a different graph.
Here every layer is matched by NAME and shape against what the network expects: a missing,
extra or misshapen layer is an error that names it. The files are Keras 2 ``save_weights``
HDF5 (root attr ``layer_names``; per layer a ``weight_names`` attr such as
``<layer>/kernel:0``); whole-model files keep the same tree under ``model_weights``.
"""

import collections
import os

import h5py
import numpy as np

from person_segmentation.models.keras_deeplab.builder import LOGITS_LAYER

#: other names the last layer has in published files
LOGITS_ALIASES = ('custom_logits_semantic',)
#: Keras 2 variable names -> Keras 3 ones
_VAR_ALIASES = {'depthwise_kernel': 'kernel'}
_BN_VARS = ('gamma', 'beta', 'moving_mean', 'moving_variance')


class WeightFileError(ValueError):
    """The weight file is unreadable or does not fit the network; the message names why."""


def _decode(value):
    return value.decode('utf8') if isinstance(value, bytes) else str(value)


def read_h5_weights(path):
    """Return an ordered ``{layer name: {variable name: float32 array}}`` from a Keras h5."""
    path = os.fspath(path)
    try:
        handle = h5py.File(path, 'r')
    except (OSError, ValueError) as error:
        raise WeightFileError(f'{path} is not a readable HDF5 weight file: {error}') from None
    with handle:
        root = handle['model_weights'] if 'model_weights' in handle else handle
        if 'layer_names' not in root.attrs:
            raise WeightFileError(f'{path} has no "layer_names" attribute: not a Keras HDF5 '
                                  'weight file (PixelLib / keras-deeplab-v3-plus layout)')
        result = collections.OrderedDict()
        for layer in (_decode(n) for n in root.attrs['layer_names']):
            group = root[layer]
            names = [_decode(n) for n in group.attrs.get('weight_names', [])]
            if not names:
                continue
            variables = {}
            for weight_name in names:
                var = weight_name.split('/')[-1].split(':')[0]
                var = _VAR_ALIASES.get(var, var)
                try:
                    variables[var] = np.asarray(group[weight_name], dtype=np.float32)
                except KeyError:
                    raise WeightFileError(f'{path}: layer {layer!r} lists weight '
                                          f'{weight_name!r} but has no such dataset') from None
            result[layer] = variables
        return result


def _rename_logits(weights, path):
    present = [n for n in (LOGITS_LAYER,) + LOGITS_ALIASES if n in weights]
    if len(present) > 1:
        raise WeightFileError(f'{path}: several final layers {present}; expected one of them')
    if present and present[0] != LOGITS_LAYER:
        weights = collections.OrderedDict(
            (LOGITS_LAYER if k == present[0] else k, v) for k, v in weights.items())
    return weights


def expected_layout(model, folds):
    """
    Return ``{layer: {var: shape}}`` of the published file for ``model``.

    Folded convolutions expect their kernel only, plus a batch-norm layer of four vectors.
    """
    layout = collections.OrderedDict()
    for layer in model.layers:
        if not layer.weights:
            continue
        variables = {v.path.split('/')[-1]: tuple(v.shape) for v in layer.weights}
        if layer.name in folds:
            bn_name, _ = folds[layer.name]
            channels = variables.pop('bias')[0]
            layout[layer.name] = variables
            layout[bn_name] = {var: (channels,) for var in _BN_VARS}
        else:
            layout[layer.name] = variables
    return layout


def check_layout(weights, layout, path):
    """Raise ``WeightFileError`` naming the first missing, extra or misshapen layer."""
    missing = [name for name in layout if name not in weights]
    extra = [name for name in weights if name not in layout]
    if missing:
        raise WeightFileError(f'{path}: layer {missing[0]!r} is missing from the weight file '
                              f'({len(missing)} missing in all: {", ".join(missing[:5])}...); '
                              'is it a DeepLabV3+ file for this backbone?')
    if extra:
        raise WeightFileError(f'{path}: unexpected layer {extra[0]!r} in the weight file '
                              f'({len(extra)} extra in all: {", ".join(extra[:5])}); '
                              'is it a DeepLabV3+ file for this backbone?')
    for name, variables in layout.items():
        got = {k: tuple(v.shape) for k, v in weights[name].items()}
        if got != variables:
            raise WeightFileError(f'{path}: layer {name!r} has weights {got}, the network '
                                  f'expects {variables}')


def load_weights(model, path, folds=None):
    """
    Check ``path`` against ``model`` and assign its weights; fold batch norms in ``folds``.

    Return the number of layers of the file that were used.
    """
    folds = folds or {}
    weights = _rename_logits(read_h5_weights(path), path)
    check_layout(weights, expected_layout(model, folds), path)
    for layer in model.layers:
        if not layer.weights:
            continue
        values = dict(weights[layer.name])
        if layer.name in folds:
            bn_name, epsilon = folds[layer.name]
            values['kernel'], values['bias'] = fold_batch_norm(
                values['kernel'], weights[bn_name], epsilon,
                depthwise=layer.__class__.__name__ == 'DepthwiseConv2D')
        layer.set_weights([values[v.path.split('/')[-1]] for v in layer.weights])
    return len(weights)


def fold_batch_norm(kernel, bn, epsilon, depthwise=False):
    """Return (kernel, bias) of a convolution equal to conv (no bias) followed by ``bn``."""
    scale = bn['gamma'].astype(np.float64) / np.sqrt(
        bn['moving_variance'].astype(np.float64) + epsilon)
    bias = bn['beta'].astype(np.float64) - bn['moving_mean'].astype(np.float64) * scale
    if depthwise:  # (kh, kw, in, multiplier): output channel = in * multiplier + m
        shape = (1, 1, kernel.shape[2], kernel.shape[3])
    else:
        shape = (1, 1, 1, kernel.shape[3])
    folded = kernel.astype(np.float64) * scale.reshape(shape)
    return folded.astype(np.float32), bias.astype(np.float32)


def write_h5_weights(model, path, logits_name=LOGITS_LAYER):
    """
    Write an unfolded ``model``'s weights in the published Keras 2 HDF5 layout.

    Used to make small test files and random-weight files; written to a temporary name and
    renamed on success. ``logits_name`` renames the last layer (e.g. 'custom_logits_semantic').
    """
    path = os.fspath(path)
    tmp = f'{path}.part'
    names = []
    try:
        with h5py.File(tmp, 'w') as handle:
            handle.attrs['backend'] = b'tensorflow'
            handle.attrs['keras_version'] = b'2.15.0'
            for layer in model.layers:
                name = logits_name if layer.name == LOGITS_LAYER else layer.name
                names.append(name.encode('utf8'))
                group = handle.create_group(name)
                weight_names = []
                for var in layer.weights:
                    short = var.path.split('/')[-1]
                    if layer.__class__.__name__ == 'DepthwiseConv2D' and short == 'kernel':
                        short = 'depthwise_kernel'
                    weight_name = f'{name}/{short}:0'
                    group.create_dataset(weight_name, data=np.asarray(var.numpy(), np.float32))
                    weight_names.append(weight_name.encode('utf8'))
                group.attrs['weight_names'] = weight_names
            handle.attrs['layer_names'] = names
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def detect_architecture(path):
    """Return 'xception' or 'mobilenetv2' from a weight file's layer names, or raise."""
    names = set(read_layer_names(path))
    if 'entry_flow_conv1_1' in names:
        return 'xception'
    if 'expanded_conv_depthwise' in names:
        return 'mobilenetv2'
    raise WeightFileError(f'{path}: neither an Xception (no layer "entry_flow_conv1_1") nor a '
                          'MobileNetV2 (no layer "expanded_conv_depthwise") DeepLab weight file')


def read_layer_names(path):
    """Return the layer names listed in a Keras HDF5 weight file."""
    try:
        with h5py.File(os.fspath(path), 'r') as handle:
            root = handle['model_weights'] if 'model_weights' in handle else handle
            return [_decode(n) for n in root.attrs.get('layer_names', [])]
    except (OSError, ValueError) as error:
        raise WeightFileError(f'{path} is not a readable HDF5 weight file: {error}') from None
