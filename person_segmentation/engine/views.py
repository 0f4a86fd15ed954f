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
A whole-frame view: how large the frame is given to the model, and whether its mirror is too.

BodyPix runs at any input size: what it sees of a person depends on how many input pixels the
person gets, so a preset's view names the input's long side (the frame's aspect ratio kept,
each side rounded by the backend's ``fit_side``): 720 px is the largest that keeps the node at
25 fps here; 800 and 1280 px together see people from 25 px tall to the whole frame
(docs/engine.md, Presets). A view without a long side is the model's own size (a DeepLab
model's trained input, BodyPix's the frame's own), times the Segmenter's zoom.

``mirrored``: the view also runs on the frame flipped left-right, and the two answers are
averaged as logits (the network's own scale, where evidence adds up: a pixel the frame calls
0.9 and its mirror 0.5 stays 0.75, not 0.7). The backends return probabilities; the logit is
recovered as log(p / (1 - p)), exact for BodyPix (its probability is the sigmoid of the
upsampled logit) up to float32 rounding near 0 and 1.
"""

from dataclasses import dataclass
from typing import Optional

import numpy as np
from person_segmentation.models import bodypix

#: probabilities are clipped to [EPS, 1 - EPS] before their logit: |logit| <= 13.9, the same
#: bound on both sides (1 - EPS is exact in float32); BodyPix's own logits lie in -14.6..8.4
EPS = 2.0 ** -20


@dataclass(frozen=True)
class View:
    """One whole-frame pass of a preset (``presets.Preset.views``)."""

    #: the model input's long side in pixels (aspect kept); None: the model's own size
    long_side: Optional[int] = None
    #: also run the frame's mirror image and average the two as logits
    mirrored: bool = False

    def __post_init__(self):
        """Reject a long side that cannot be an input."""
        if self.long_side is not None and self.long_side < 16:
            raise ValueError(f'a view needs a long side of at least 16 pixels, not '
                             f'{self.long_side}')


def logit(probability: np.ndarray) -> np.ndarray:
    """Return float32 log(p / (1 - p)) of a probability map (clipped away from 0 and 1)."""
    p = np.clip(probability, EPS, 1.0 - EPS).astype(np.float32, copy=False)
    return np.log(p) - np.log1p(-p)


def mirror_mean(probability: np.ndarray, mirrored: np.ndarray) -> np.ndarray:
    """
    Return the sigmoid of the mean logit of ``probability`` and ``mirrored`` [..., H, W].

    ``mirrored`` is the answer for the flipped input, flipped here back (its last axis).
    """
    mean = 0.5 * (logit(probability) + logit(mirrored[..., ::-1]))
    return bodypix.sigmoid(mean, out=mean)
