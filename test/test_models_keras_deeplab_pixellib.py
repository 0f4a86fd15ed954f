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
Our Keras Xception DeepLabV3+ reproduces PixelLib's logits from PixelLib's own inputs.

``make_reference.py`` (in ``shared/baselines/pixellib``) runs the real PixelLib 0.7.1 on a seeded
random-weight file in its HDF5 layout and stores the exact 512x512 tensors it fed the network
and the logits it got. Loading the same file by layer name and running our graph (folded batch
norm, the inference path) on those tensors must give the same logits: max abs difference at most
1e-3 of the logit range and argmax agreement of at least 99.9 %.
"""

import glob
import os
import pathlib

import numpy as np
import pytest

ENV = 'PIXELLIB_REFERENCE'
MAKE = 'export PIXELLIB_REFERENCE=$(scripts/pixellib_reference)  # builds it once in .cache/'
#: frames compared (Xception OS8 at 512 costs seconds per frame on a small CPU)
MAX_FRAMES = 2


@pytest.fixture(scope='module')
def reference():
    """Return the $PIXELLIB_REFERENCE directory, or skip saying how to make one."""
    directory = os.environ.get(ENV)
    if not directory:
        pytest.skip(f'{ENV} is not set; make a PixelLib reference with: {MAKE}')
    directory = pathlib.Path(directory)
    weights = sorted(glob.glob(str(directory / 'xception_pascal_seed*.h5')))
    if not (directory / 'reference.npz').is_file() or not weights:
        pytest.skip(f'{directory} holds no make_reference.py output; make one with: {MAKE}')
    data = np.load(directory / 'reference.npz')
    return weights[0], data['inputs_512'][:MAX_FRAMES], data['logits_512'][:MAX_FRAMES]


@pytest.mark.slow
def test_keras_xception_matches_pixellib_logits(reference):
    """Max |diff| <= 1e-3 of the logit range and >= 99.9 % argmax agreement."""
    from person_segmentation.models.backends.keras_backend import KerasBackend
    from person_segmentation.models.registry import XCEPTION

    weights, inputs, want = reference
    backend = KerasBackend(XCEPTION, weights, threads=2, device='cpu', precision='float32')
    # PixelLib's tensors are already normalised to [-1, 1]: run the network itself on them
    got = np.concatenate([np.asarray(backend.model(np.asarray(x[None], np.float32),
                                                   training=False)) for x in inputs])
    assert got.shape == want.shape == (len(inputs), 512, 512, 21)
    spread = float(want.max() - want.min())
    diff = float(np.abs(got - want).max())
    agreement = float((got.argmax(-1) == want.argmax(-1)).mean())
    print(f'PixelLib equality: max |diff| {diff:.3g}, logit range {spread:.3g} '
          f'({diff / spread:.2e} of it), argmax agreement {agreement:.6%}')
    assert spread > 0
    assert diff <= 1e-3 * spread
    assert agreement >= 0.999
