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
Every evaluation sequence the benchmarks use, read in place from ../shared/eval (never copied).

A sequence yields ``Frame(name, rgb, truth, present)``: ``truth`` is the boolean person mask or
None, ``present`` whether a person is in view (True / False / None = not scored). Sets:

- ``davis``: DAVIS 2016 parkour, lucia, hike (one person each, exact masks).
- ``pennfudan``: 170 street photos; ``labelled`` and ``unlabelled`` subsets (the README's list
  of images with people the masks leave out).
- ``camvid``: four driving sequences, pedestrians 9-62 px tall; frames without labelled
  pedestrians are people-free except ``CAMVID_UNLABELLED`` (people seen by eye: not scored).
- ``people_free``: strips of the DAVIS frames that the one (labelled) person never enters, and
  scikit-image photos without people.
- ``vtest`` (when vtest.avi is in the data directory, see ``media.sample_footage``): its people
  found by background subtraction (the camera is fixed; checked by eye), as ``vtest`` (the whole
  frame), ``vtest_far`` (3x3 mosaics of 1/3-size frames: people 18-39 px tall) and
  ``vtest_plate`` (the empty background: people-free); set ``vtest_timing``: its four quadrants
  as videos in which people come and go (presence timing: 3180 frames).
"""

from dataclasses import dataclass
import functools
import os
import pathlib
from typing import Callable, Iterator, List, Optional

from bench.paths import REPO_ROOT, SHARED
import cv2
import numpy as np

EVAL = SHARED / 'eval'

DAVIS_SEQUENCES = ('parkour', 'lucia', 'hike')
CAMVID_SEQUENCES = ('0001TP', '0006R0', '0016E5', 'Seq05VD')
#: CamVid frames without labelled pedestrians in which a person is visible (checked by eye)
CAMVID_UNLABELLED = {('0016E5', '00750'), ('0016E5', '05760'), ('0006R0', 'f03060')}
#: (sequence, first column, last column): DAVIS strips the labelled person never enters
DAVIS_STRIPS = {'parkour_left': ('parkour', 0, 300), 'lucia_left': ('lucia', 0, 205),
                'lucia_right': ('lucia', 460, 854), 'hike_left': ('hike', 0, 385),
                'hike_right': ('hike', 640, 854)}
PEOPLE_FREE_PHOTOS = ('coffee', 'chelsea', 'rocket', 'immunohistochemistry', 'hubble_deep_field')
MOSAIC = 3  # vtest_far: 3x3 frames at 1/3 size
MOSAIC_STEP = 88  # mosaic m holds frames m, m + 88, ..., m + 8 * 88


@dataclass
class Frame:
    """One frame to score."""

    name: str
    rgb: np.ndarray
    truth: Optional[np.ndarray]  # bool person mask, or None
    present: Optional[bool]  # a person is in view; None: not scored


@dataclass
class Sequence:
    """A named sequence of frames; ``video``: consecutive frames (presence timing counts)."""

    dataset: str
    name: str
    frames: Callable[[], Iterator[Frame]]
    video: bool


def _rgb(path) -> np.ndarray:
    bgr = cv2.imread(str(path))
    if bgr is None:
        raise FileNotFoundError(path)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _mask(path) -> np.ndarray:
    return cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) > 127


def _davis(sequence: str, columns=None) -> Iterator[Frame]:
    root = EVAL / 'davis2016'
    for image in sorted((root / 'JPEGImages' / '480p' / sequence).glob('*.jpg')):
        rgb = _rgb(image)
        truth = _mask(root / 'Annotations' / '480p' / sequence / (image.stem + '.png'))
        if columns is None:
            yield Frame(image.stem, rgb, truth, True)
        else:
            first, last = columns
            yield Frame(image.stem, np.ascontiguousarray(rgb[:, first:last]),
                        np.zeros((rgb.shape[0], last - first), bool), False)


def pennfudan_unlabelled() -> set:
    """Names of the Penn-Fudan images with people the masks leave out."""
    lines = (EVAL / 'pennfudan' / 'unlabeled_people.txt').read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith('#')}


def _pennfudan(subset: str) -> Iterator[Frame]:
    root = EVAL / 'pennfudan'
    unlabelled = pennfudan_unlabelled()
    for image in sorted((root / 'images').glob('*.jpg')):
        if subset != 'all' and (image.stem in unlabelled) != (subset == 'unlabelled'):
            continue
        yield Frame(image.stem, _rgb(image), _mask(root / 'masks' / (image.stem + '.png')), True)


def _camvid(sequence: str) -> Iterator[Frame]:
    root = EVAL / 'camvid' / sequence
    for image in sorted((root / 'frames').glob('*.jpg')):
        truth = _mask(root / 'masks' / (image.stem + '.png'))
        present = None if (sequence, image.stem) in CAMVID_UNLABELLED else bool(truth.any())
        yield Frame(image.stem, _rgb(image), truth, present)


def _photos() -> Iterator[Frame]:
    import skimage.data
    for name in PEOPLE_FREE_PHOTOS:
        rgb = getattr(skimage.data, name)()
        if rgb.ndim == 2:
            rgb = cv2.cvtColor(rgb, cv2.COLOR_GRAY2RGB)
        yield Frame(name, np.ascontiguousarray(rgb[..., :3]), np.zeros(rgb.shape[:2], bool),
                    False)


# ---------------------------------------------------------------- vtest.avi (optional)
def vtest_path() -> Optional[pathlib.Path]:
    """vtest.avi in $PERSON_SEGMENTATION_DATA_DIR or ./data (as the demo fetches it), or None."""
    root = pathlib.Path(os.environ.get('PERSON_SEGMENTATION_DATA_DIR', REPO_ROOT / 'data'))
    path = root / 'vtest.avi'
    return path if path.is_file() else None


@functools.lru_cache(maxsize=1)
def _vtest() -> tuple:
    """Return (frames RGB, people masks): foreground = |frame - temporal median| > 40."""
    capture = cv2.VideoCapture(str(vtest_path()))
    frames = []
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    capture.release()
    plate = np.median(np.stack(frames[::4]), axis=0).astype(np.uint8)
    close = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 11))
    masks = []
    for rgb in frames:
        moving = (np.abs(rgb.astype(np.int16) - plate).max(axis=2) > 40).astype(np.uint8)
        moving = cv2.morphologyEx(moving, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        moving = cv2.morphologyEx(moving, cv2.MORPH_CLOSE, close)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(moving, connectivity=8)
        x, y, w, h, area = (stats[:, i] for i in range(5))
        people = (area >= 80) & (h >= 18) & (h <= 260) & (h >= 0.8 * w)  # upright blobs
        people[0] = False
        masks.append(people[labels])
    return frames, masks, plate


def _tile(images: List[np.ndarray]) -> np.ndarray:
    height, width = images[0].shape[:2]
    size = (width // MOSAIC, height // MOSAIC)
    cells = [cv2.resize(image.astype(np.float32) if image.dtype == bool else image, size,
                        interpolation=cv2.INTER_AREA) for image in images]
    cells = [cell >= 0.5 if image.dtype == bool else cell for cell, image in zip(cells, images)]
    return np.vstack([np.hstack(cells[row * MOSAIC:(row + 1) * MOSAIC])
                      for row in range(MOSAIC)])


def _vtest_frames(kind: str) -> Iterator[Frame]:
    frames, masks, plate = _vtest()
    if kind == 'vtest':
        for index, (rgb, truth) in enumerate(zip(frames, masks)):
            yield Frame(f'{index:05d}', rgb, truth, True)
    elif kind == 'vtest_far':
        for m in range(MOSAIC_STEP):
            picks = [m + MOSAIC_STEP * i for i in range(MOSAIC * MOSAIC)]
            yield Frame(f'{m:05d}', _tile([frames[i] for i in picks]),
                        _tile([masks[i] for i in picks]), True)
    elif kind == 'vtest_plate':
        height, width = plate.shape[:2]
        yield Frame('plate', plate, np.zeros((height, width), bool), False)
        yield Frame('plate_far', _tile([plate] * MOSAIC ** 2),
                    np.zeros((height // MOSAIC * MOSAIC, width // MOSAIC * MOSAIC), bool), False)
    else:  # a quadrant: someone in view when half of a person's pixels are inside
        row, col = int(kind[-2]), int(kind[-1])
        height, width = plate.shape[0] // 2, plate.shape[1] // 2
        top, left = row * height, col * width
        for index, (rgb, truth) in enumerate(zip(frames, masks)):
            count, labels = cv2.connectedComponents(truth.astype(np.uint8), connectivity=8)
            inside = labels[top:top + height, left:left + width]
            totals = np.bincount(labels.ravel(), minlength=count)
            shown = np.bincount(inside.ravel(), minlength=count)
            whole = (shown >= 0.5 * totals) & (totals >= 80)
            whole[0] = False
            near = truth[max(0, top - 8):top + height + 8, max(0, left - 8):left + width + 8]
            present = True if whole.any() else (None if near.any() else False)
            yield Frame(f'{index:05d}', np.ascontiguousarray(rgb[top:top + height,
                                                                 left:left + width]),
                        whole[inside], present)


SETS = ('davis', 'pennfudan', 'camvid', 'people_free', 'vtest', 'vtest_timing')

#: The split every preset setting was chosen on (issue 19, written before measuring): half A
#: chooses, half B confirms. Per sequence, except Penn-Fudan (PennPed A, FudanPed B), vtest
#: (frames 0-397 A), vtest_far (mosaics 0-43 A) and vtest_plate (the plate A, plate_far B).
HALF_A = {'parkour', 'hike', '0001TP', '0016E5', 'vtest_q00', 'vtest_q11', 'parkour_left',
          'hike_left', 'hike_right'}


def half(dataset: str, sequence: str, frame: str) -> str:
    """Return 'A' (choosing) or 'B' (confirming) for one frame of the split."""
    if dataset == 'pennfudan':
        return 'A' if frame.startswith('PennPed') else 'B'
    if sequence == 'vtest':
        return 'A' if int(frame) <= 397 else 'B'
    if sequence == 'vtest_far':
        return 'A' if int(frame) <= 43 else 'B'
    if sequence == 'vtest_plate':
        return 'A' if frame == 'plate' else 'B'
    return 'A' if sequence in HALF_A else 'B'


def sequences(sets=SETS) -> List[Sequence]:
    """Return the sequences of ``sets`` whose data is present (vtest only with vtest.avi)."""
    out = []
    if 'davis' in sets:
        out += [Sequence('davis', s, functools.partial(_davis, s), True)
                for s in DAVIS_SEQUENCES]
    if 'pennfudan' in sets:
        out += [Sequence('pennfudan', s, functools.partial(_pennfudan, s), False)
                for s in ('labelled', 'unlabelled')]
    if 'camvid' in sets:
        out += [Sequence('camvid', s, functools.partial(_camvid, s), False)
                for s in CAMVID_SEQUENCES]
    if 'people_free' in sets:
        out += [Sequence('people_free', name, functools.partial(_davis, seq, (a, b)), True)
                for name, (seq, a, b) in DAVIS_STRIPS.items()]
        out.append(Sequence('people_free', 'photos', _photos, False))
    if vtest_path() is not None:
        kinds = []
        if 'vtest' in sets:
            kinds += [('vtest', True), ('vtest_far', False), ('vtest_plate', False)]
        if 'vtest_timing' in sets:
            kinds += [(f'vtest_q{row}{col}', True) for row in range(2) for col in range(2)]
        out += [Sequence('vtest', kind, functools.partial(_vtest_frames, kind), video)
                for kind, video in kinds]
    return out


def use_shared_models() -> None:
    """Point the model cache at ../shared/models when it exists and nothing else is set."""
    models = SHARED / 'models'
    if 'PERSON_SEGMENTATION_MODEL_DIR' not in os.environ and models.is_dir():
        os.environ['PERSON_SEGMENTATION_MODEL_DIR'] = str(models)
