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
DAVIS 2016 person sequences and the region similarity J, shared by the benchmarks.

Keeps the footage location, frame loading (as RGB) and the metric in one place so every table
is computed the same way: J = |mask & truth| / |mask | truth| per frame, averaged per sequence.
"""

import os
import pathlib
from typing import Iterator, List, Tuple

from bench.paths import SHARED
import cv2
import numpy as np

SEQUENCES = ('parkour', 'lucia', 'hike')


def davis_dir() -> pathlib.Path:
    """Return ../shared/eval/davis2016 (or $PERSON_SEGMENTATION_SHARED/eval/davis2016)."""
    return SHARED / 'eval' / 'davis2016'


def use_shared_models() -> None:
    """Point the model cache at ../shared/models when it exists and nothing else is set."""
    models = davis_dir().parents[1] / 'models'
    if 'PERSON_SEGMENTATION_MODEL_DIR' not in os.environ and models.is_dir():
        os.environ['PERSON_SEGMENTATION_MODEL_DIR'] = str(models)


def frames(sequence: str, root: pathlib.Path = None,
           limit: int = None) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    """Yield ``(rgb uint8 H x W x 3, truth bool H x W)`` for each frame of a sequence."""
    root = root or davis_dir()
    images = sorted((root / 'JPEGImages' / '480p' / sequence).glob('*.jpg'))[:limit]
    if not images:
        raise FileNotFoundError(f'no DAVIS frames for {sequence!r} under {root}')
    for image in images:
        annotation = root / 'Annotations' / '480p' / sequence / (image.stem + '.png')
        rgb = cv2.cvtColor(cv2.imread(str(image)), cv2.COLOR_BGR2RGB)
        yield rgb, cv2.imread(str(annotation), cv2.IMREAD_GRAYSCALE) > 127


def jaccard(mask: np.ndarray, truth: np.ndarray) -> float:
    """Region similarity J of two boolean masks (1.0 when both are empty)."""
    union = np.count_nonzero(mask | truth)
    return np.count_nonzero(mask & truth) / union if union else 1.0


def mask_change(masks: List[np.ndarray]) -> float:
    """Mean frame-to-frame change, 1 - J(mask_t, mask_t-1): 0 = still, larger = flicker."""
    if len(masks) < 2:
        return 0.0
    return float(np.mean([1.0 - jaccard(a, b) for a, b in zip(masks[:-1], masks[1:])]))
