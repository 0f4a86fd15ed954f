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
Shared test fixtures: where the real models and footage are, and DDS isolation.

The real pretrained models and footage live beside the checkout in ``../shared`` (never in the
repository). Tests that need them skip with the reason when they are absent. Every pytest
session gets its own ROS domain so concurrent runs on one machine do not hear each other.
"""

import os
import pathlib
import random

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED_DIR = pathlib.Path(
    os.environ.get('PERSON_SEGMENTATION_SHARED', REPO_ROOT.parent / 'shared'))
SHARED_MODELS = SHARED_DIR / 'models'
SHARED_EVAL = SHARED_DIR / 'eval'

# Point the model cache at ../shared/models (read-only there; verified files are used in place).
if 'PERSON_SEGMENTATION_MODEL_DIR' not in os.environ and SHARED_MODELS.is_dir():
    os.environ['PERSON_SEGMENTATION_MODEL_DIR'] = str(SHARED_MODELS)
# A private DDS domain per test session, on this host only.
os.environ.setdefault('ROS_DOMAIN_ID', str(random.Random().randint(1, 100)))
os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')


@pytest.fixture(scope='session')
def models_dir():
    """Directory holding the real pretrained .tflite models, or skip."""
    if not (SHARED_MODELS / 'deeplabv3_257_mv_gpu.tflite').is_file():
        pytest.skip(f'real models not found in {SHARED_MODELS} (see its README)')
    return SHARED_MODELS


def _eval_data(folder: str, probe: str, what: str):
    path = SHARED_EVAL / folder
    if not (path / probe).is_dir():
        pytest.skip(f'{what} not found in {path}')
    return path


@pytest.fixture(scope='session')
def davis_dir():
    """DAVIS 2016 person sequences with ground truth, or skip."""
    return _eval_data('davis2016', 'JPEGImages/480p', 'DAVIS footage')


@pytest.fixture(scope='session')
def pennfudan_dir():
    """Penn-Fudan pedestrian photos with masks, or skip."""
    return _eval_data('pennfudan', 'images', 'Penn-Fudan photos')


@pytest.fixture(scope='session')
def camvid_dir():
    """Return the CamVid driving sequences with pedestrian masks, or skip."""
    return _eval_data('camvid', 'Seq05VD/frames', 'CamVid footage')


@pytest.fixture(scope='session')
def eval_videos_dir():
    """Real people videos without masks, or skip."""
    path = SHARED_EVAL / 'videos'
    if not path.is_dir():
        pytest.skip(f'eval videos not found in {path}')
    return path


@pytest.fixture(scope='module')
def photo(davis_dir):
    """Load a real 854x480 frame with one walking person (DAVIS lucia), RGB (node tests)."""
    import cv2

    bgr = cv2.imread(str(davis_dir / 'JPEGImages' / '480p' / 'lucia' / '00010.jpg'))
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


@pytest.fixture(scope='module')
def engine(models_dir):
    """Create the engine configured like the node tests' nodes, for the expected outputs."""
    from person_segmentation import Segmenter

    segmenter = Segmenter(model='deeplabv3_mnv2_257', preset='auto', threads=2,
                          model_dir=models_dir)
    yield segmenter
    segmenter.close()
