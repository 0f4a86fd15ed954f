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
The time per stage, with a clock the test controls: blocks add up, a batch's share splits.

The Segmenter's use of it on a real batch is test_engine_segmenter.py
(test_a_batchs_stage_times_add_up_to_the_time_it_took).
"""

import itertools

from person_segmentation.engine import stage_times
from person_segmentation.engine.stage_times import StageTimes
import pytest


def _clock(*readings):
    """Return a clock that answers ``readings`` (seconds) one after the other."""
    values = iter(readings)
    return lambda: next(values)


def test_blocks_of_a_stage_add_up():
    times = StageTimes(_clock(0.0, 0.010, 0.010, 0.040, 0.050, 0.051))
    with times.measure('preprocess'):
        pass
    with times.measure('model'):
        pass
    with times.measure('preprocess'):
        pass
    assert times.ms == pytest.approx({'preprocess': 11.0, 'model': 30.0})


def test_a_block_that_raises_is_counted():
    times = StageTimes(_clock(1.0, 1.5))
    with pytest.raises(RuntimeError):
        with times.measure('refine'):
            raise RuntimeError('backend failed')
    assert times.ms == pytest.approx({'refine': 500.0})


def test_a_batchs_share_plus_a_frames_own_time():
    ticks = itertools.count(0.0, 0.001)  # every reading 1 ms later
    batch = StageTimes(lambda: next(ticks))
    with batch.measure('model'):  # 1 ms for the batch
        pass
    frame = {'preprocess': 2.0, 'refine': 3.0}
    assert stage_times.add(batch.share(4), frame) == pytest.approx(
        {'model': 0.25, 'preprocess': 2.0, 'refine': 3.0})
    assert stage_times.add() == {}
