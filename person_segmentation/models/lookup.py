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
Which model a name or a file means: ``resolve(model, model_dir) -> (ModelSpec, path)``.

A registered name gives its spec and its verified file (downloaded on first use: ``files``). A
path gives a spec read from the file itself: a .tflite file's input and output tensors (the
registered spec when the file is a registered model's, renamed or moved), a Keras .h5 file's
architecture from its layer names. Nothing here runs a model; loading one is
``backends.create_backend``'s job.
"""

import dataclasses
import os
import pathlib
from typing import Tuple, Union

from person_segmentation.models import registry, tflite_graph
from person_segmentation.models.files import ModelFileError, resolve_model_file
from person_segmentation.models.spec import (
    BODYPIX_PART_HEATMAPS, BODYPIX_SEGMENTS, ModelSpec, NUM_CLASSES)

KERAS_SUFFIXES = ('.h5', '.keras')


def looks_like_path(model: str) -> bool:
    """Tell a path from a model name: a separator, a model file suffix or an existing file."""
    return os.sep in model or model.endswith(('.tflite',) + KERAS_SUFFIXES) or os.path.exists(
        model)


def resolve(model: Union[str, os.PathLike],
            model_dir: Union[str, os.PathLike, None] = None) -> Tuple[ModelSpec, pathlib.Path]:
    """
    Return ``(spec, file)`` for a registered model name or a model file path.

    Raise ValueError for a string that is neither, ``ModelFileError`` for a file that is
    missing, unreadable or not a DeepLab model (the message names the file and the fix).
    """
    model = os.fspath(model)
    if model in registry.model_names():
        spec = registry.get_spec(model)
        return spec, resolve_model_file(spec, model_dir)
    if looks_like_path(model):
        path = pathlib.Path(model).expanduser()
        return spec_for_path(path), path
    raise ValueError(f'unknown model {model!r}; known models: '
                     f'{", ".join(registry.model_names())} (or a model file path)')


def spec_for_path(path: pathlib.Path) -> ModelSpec:
    """Return the ModelSpec of the model file at ``path`` (its url and checksum dropped)."""
    if not path.is_file():
        raise ModelFileError(f'model file {path} does not exist; give a model name '
                             f'({", ".join(registry.model_names())}) or an existing file')
    if not os.access(path, os.R_OK):
        raise ModelFileError(f'model file {path} is not readable')
    if path.suffix in KERAS_SUFFIXES:
        return _keras_spec(path)
    try:
        inferred = _tflite_spec(path)
    except ValueError as error:
        raise ModelFileError(f'{error}. Give a DeepLab Pascal VOC or BodyPix 2.0 .tflite file '
                             f'or a model name ({", ".join(registry.model_names())}).') from None
    for base in registry.TFLITE_MODELS:
        if (base.filename, base.input_size, base.output) == (
                path.name, inferred.input_size, inferred.output):
            return dataclasses.replace(base, url=None, sha256=None,
                                       description=f'{base.description} (from {path})')
    return inferred


def _tflite_spec(path: pathlib.Path) -> ModelSpec:
    """Build a ModelSpec for a .tflite file from its input and output tensors."""
    content = path.read_bytes()
    inputs, outputs = tflite_graph.io_shapes(content, str(path))
    names = tflite_graph.output_names(content, str(path))
    if {BODYPIX_SEGMENTS, BODYPIX_PART_HEATMAPS} <= set(names):  # BodyPix 2.0, any input size
        return dataclasses.replace(registry.BODYPIX, name=path.stem, filename=path.name,
                                   url=None, sha256=None, size_bytes=path.stat().st_size,
                                   description=f'BodyPix 2.0 from {path} (by its outputs)')
    if len(inputs) != 1 or len(outputs) < 1:
        raise ValueError(f'{path}: expected one image input, got {len(inputs)} inputs')
    shape = inputs[0]
    if len(shape) != 4 or shape[1] != shape[2] or shape[3] != 3:
        raise ValueError(f'{path}: input shape {shape} is not [1, S, S, 3]')
    out_shape = outputs[0]
    if len(out_shape) == 4 and out_shape[-1] == NUM_CLASSES:
        output = 'logits'
    elif len(out_shape) == 3:
        output = 'argmax'
    else:
        raise ValueError(f'{path}: output shape {out_shape} is neither [1, S, S, {NUM_CLASSES}] '
                         'logits nor [1, S, S] class ids')
    return ModelSpec(name=path.stem, filename=path.name, url=None, sha256=None,
                     size_bytes=path.stat().st_size, backend='tflite', input_size=shape[1],
                     output=output, strategy='tiles',
                     description=f'TFLite model from {path} (spec inferred from its tensors)')


def _keras_spec(path: pathlib.Path) -> ModelSpec:
    """Return the registered Keras spec whose architecture the weight file's layers name."""
    try:
        from person_segmentation.models.keras_deeplab.weights_h5 import (
            detect_architecture, WeightFileError)
    except ImportError as error:
        raise ModelFileError(f'{path}: Keras models need the keras backend ({error})') from None
    try:
        architecture = detect_architecture(path)
    except WeightFileError as error:
        raise ModelFileError(str(error)) from None
    base = {spec.options['architecture']: spec for spec in registry.KERAS_MODELS}[architecture]
    return dataclasses.replace(base, url=None, sha256=None, size_bytes=None,
                               description=f'{base.description} (from {path})')
