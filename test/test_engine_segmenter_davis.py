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
Quality floor on real footage with ground truth (DAVIS 2016 person sequences).

The floors sit a little under what bench/bench_quality.py measures on the same frames, so a
regression in tiling, normalisation, colour order or probability shows up here as a failure.
"""

import types

import cv2
import numpy as np
from person_segmentation import Segmenter
from person_segmentation.engine.rendering import mask_from_probability
import pytest

SEQUENCES = ('parkour', 'lucia', 'hike')
STEP = 8  # every 8th frame keeps the test short


def _frames(davis_dir, sequence, step=STEP, count=None):
    images = sorted((davis_dir / 'JPEGImages' / '480p' / sequence).glob('*.jpg'))
    for image in images[:count][::step]:
        annotation = davis_dir / 'Annotations' / '480p' / sequence / (image.stem + '.png')
        rgb = cv2.cvtColor(cv2.imread(str(image)), cv2.COLOR_BGR2RGB)
        yield rgb, cv2.imread(str(annotation), cv2.IMREAD_GRAYSCALE) > 127


def _mean_j(segmenter, davis_dir, sequence, bgr=False):
    scores = []
    for rgb, truth in _frames(davis_dir, sequence):
        mask = segmenter(rgb[..., ::-1].copy() if bgr else rgb).mask > 0
        union = np.count_nonzero(mask | truth)
        scores.append(np.count_nonzero(mask & truth) / union if union else 1.0)
    return float(np.mean(scores))


@pytest.mark.parametrize('model,strategy,floor', [
    ('deeplabv3_mnv2_257', 'tiles', 0.70),
    ('deeplabv3_mnv2_257', 'native', 0.72),
    pytest.param('deeplabv3_mnv2_513', 'native', 0.84, marks=pytest.mark.slow),
])
def test_davis_mean_j_floor(davis_dir, models_dir, model, strategy, floor):
    segmenter = Segmenter(model, strategy=strategy)
    scores = [_mean_j(segmenter, davis_dir, sequence) for sequence in SEQUENCES]
    assert np.mean(scores) >= floor, dict(zip(SEQUENCES, scores))
    assert min(scores) >= floor - 0.1, dict(zip(SEQUENCES, scores))


class _Stretching:
    """The dropped 'stretch' strategy by hand: the frame squashed into the model's square."""

    def __init__(self, segmenter):
        self.segmenter = segmenter

    def __call__(self, rgb):
        height, width = rgb.shape[:2]
        size = self.segmenter.backend.input_size
        square = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA)
        probability = cv2.resize(self.segmenter(square).probability, (width, height),
                                 interpolation=cv2.INTER_LINEAR)
        return types.SimpleNamespace(mask=mask_from_probability(probability, 0.5))


def test_tiles_beat_stretching(davis_dir, models_dir):
    """Keeping the aspect ratio is what the tiles are for (lucia: a tall thin person)."""
    tiles = _mean_j(Segmenter('deeplabv3_mnv2_257', strategy='tiles'), davis_dir, 'lucia')
    stretch = _mean_j(_Stretching(Segmenter('deeplabv3_mnv2_257', strategy='tiles')),
                      davis_dir, 'lucia')
    assert tiles > stretch + 0.2


def test_smoothing_does_not_lower_j(davis_dir, models_dir):
    plain = Segmenter('deeplabv3_mnv2_257')
    smooth = Segmenter('deeplabv3_mnv2_257', smoothing=0.5)
    scores_plain, scores_smooth = [], []
    for rgb, truth in _frames(davis_dir, 'lucia', step=1, count=24):
        for segmenter, scores in ((plain, scores_plain), (smooth, scores_smooth)):
            mask = segmenter(rgb).mask > 0
            scores.append(np.count_nonzero(mask & truth) / np.count_nonzero(mask | truth))
    assert np.mean(scores_smooth) >= np.mean(scores_plain) - 0.005


def test_colour_order_matters(davis_dir, models_dir):
    """Feeding OpenCV's BGR frames (the take-home's bug) visibly hurts: the engine wants RGB."""
    segmenter = Segmenter('deeplabv3_mnv2_257', strategy='native')
    rgb = _mean_j(segmenter, davis_dir, 'lucia')
    bgr = _mean_j(segmenter, davis_dir, 'lucia', bgr=True)
    assert rgb > bgr + 0.08, (rgb, bgr)
