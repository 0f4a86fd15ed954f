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
The Segmenter contract the node and tools rely on: attributes, live parameters, state, errors.

Runs the real 257 model on a real DAVIS frame, so the values asserted are the ones callers see.
"""

import subprocess
import sys
import time

from conftest import REPO_ROOT, SHARED_EVAL
import cv2
from memory_probe import run_snippet
import numpy as np
from person_segmentation import Segmenter
from person_segmentation.models.registry import get_spec
import pytest

_PHOTO = SHARED_EVAL / 'davis2016' / 'JPEGImages' / '480p' / 'parkour' / '00040.jpg'


@pytest.fixture(scope='module')
def frame(davis_dir):
    path = davis_dir / 'JPEGImages' / '480p' / 'lucia' / '00010.jpg'
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope='module')
def segmenter(models_dir):
    seg = Segmenter('deeplabv3_mnv2_257', threads=1)
    yield seg
    seg.close()


def test_attributes_for_diagnostics(segmenter):
    assert segmenter.model_name == 'deeplabv3_mnv2_257'
    assert segmenter.spec == get_spec('deeplabv3_mnv2_257')
    assert segmenter.backend.name == 'tflite'
    assert '1 thread' in segmenter.backend.device
    assert segmenter.strategy == 'native'  # the registry default for TFLite models
    assert segmenter.backend.input_size == 257


def test_threshold_is_live(segmenter, frame):
    segmenter.reset()
    segmenter.threshold = 0.5
    base = np.count_nonzero(segmenter(frame).mask)
    segmenter.threshold = 0.9
    strict = np.count_nonzero(segmenter(frame).mask)
    segmenter.threshold = 0.5
    assert 0 < strict < base
    with pytest.raises(ValueError):
        segmenter.threshold = 0.0


def test_smoothing_blends_frames_and_reset_forgets(segmenter, frame):
    segmenter.smoothing = 0.6
    segmenter.reset()
    black = np.zeros_like(frame)
    first = segmenter(frame, timestamp=0.0).probability.copy()
    held = segmenter(black, timestamp=0.04).probability
    # a person-free frame right after: the history is only partly forgotten
    assert held.max() > 0.05 and held.sum() < first.sum()
    # a gap of more than a second restarts smoothing
    fresh = segmenter(black, timestamp=10.0).probability
    assert fresh.max() < 0.05
    segmenter(frame, timestamp=10.04)
    segmenter.reset()
    assert segmenter(black, timestamp=10.08).probability.max() < 0.05
    # a new resolution restarts smoothing too
    segmenter(frame, timestamp=11.0)
    small = segmenter(np.zeros((240, 320, 3), np.uint8), timestamp=11.04)
    assert small.probability.shape == (240, 320) and small.probability.max() < 0.05
    segmenter.smoothing = 0.0
    with pytest.raises(ValueError):
        segmenter.smoothing = 1.0


def test_each_stream_is_smoothed_with_its_own_frames_only(segmenter, frame):
    # Two cameras through one Segmenter: before, a camera's frame blended into the other
    # camera's history (one smoother for all), so an empty view showed the other's person.
    segmenter.smoothing = 0.6
    segmenter.reset()
    black = np.zeros_like(frame)
    try:
        person_first = segmenter(frame, timestamp=0.0, stream='front').probability.copy()
        empty_view = segmenter(black, timestamp=0.01, stream='rear').probability
        assert empty_view.max() < 0.05  # nothing of the front camera's person
        held = segmenter(black, timestamp=0.04, stream='front').probability
        assert held.max() > 0.05 and held.sum() < person_first.sum()  # front's own history
        # the default stream is a stream like the others, and the same as calling without one
        alone = Segmenter('deeplabv3_mnv2_257', threads=1, smoothing=0.6)
        expected = [alone(image, timestamp=t).probability.copy()
                    for image, t in ((frame, 0.0), (black, 0.04))]
        alone.close()
        segmenter.reset()
        got = []
        for image, t in ((frame, 0.0), (black, 0.04)):
            got.append(segmenter(image, timestamp=t).probability.copy())
            segmenter(frame, timestamp=t + 0.01, stream=1)  # another camera in between
        assert all(np.array_equal(a, b) for a, b in zip(got, expected))
        # live smoothing changes reach every stream
        segmenter.smoothing = 0.0
        segmenter.reset()
        segmenter(frame, timestamp=1.0, stream='front')
        assert segmenter(black, timestamp=1.04, stream='front').probability.max() < 0.05
    finally:
        segmenter.smoothing = 0.0
        segmenter.reset()


def test_a_batch_keeps_each_streams_smoothing_apart(models_dir, frame):
    # segment_batch with streams: what the node does with the frames of several cameras.
    black = np.zeros_like(frame)
    batched = Segmenter('deeplabv3_mnv2_257', threads=1, smoothing=0.6)
    single = Segmenter('deeplabv3_mnv2_257', threads=1, smoothing=0.6)
    try:
        results = batched.segment_batch([frame, black], [0.0, 0.0], streams=['a', 'b'])
        results += batched.segment_batch([black, frame], [0.04, 0.04], streams=['a', 'b'])
        expected = [single(frame, 0.0, 'a'), single(black, 0.0, 'b'),
                    single(black, 0.04, 'a'), single(frame, 0.04, 'b')]
        for got, want in zip(results, expected):
            assert np.array_equal(got.probability, want.probability)
        assert results[1].probability.max() < 0.05  # b never saw a person
        with pytest.raises(ValueError, match='streams'):
            batched.segment_batch([frame, black], streams=['a'])
    finally:
        batched.close()
        single.close()


def test_regions_describe_the_person(segmenter, frame):
    segmenter.reset()
    out = segmenter(frame)
    assert out.regions and out.person_present
    x, y, w, h = out.regions[0].bbox
    assert h > w  # a standing woman
    assert 2000 < out.regions[0].area <= w * h
    assert 0.5 <= out.regions[0].confidence <= 1.0
    strict = Segmenter('deeplabv3_mnv2_257', min_region_area=10 ** 7)
    assert strict(frame).regions == []


@pytest.mark.parametrize('bad', [np.zeros((10, 10), np.uint8), np.zeros((10, 10, 4), np.uint8),
                                 np.zeros((10, 10, 3), np.float32)])
def test_bad_frames_are_refused(segmenter, bad):
    with pytest.raises(ValueError, match='uint8 RGB'):
        segmenter(bad)


def test_bad_arguments_are_refused(models_dir):
    with pytest.raises(ValueError, match='strategy'):
        Segmenter('deeplabv3_mnv2_257', strategy='squash')
    with pytest.raises(ValueError, match='threads'):
        Segmenter('deeplabv3_mnv2_257', threads=0)
    with pytest.raises(ValueError, match='smoothing'):
        Segmenter('deeplabv3_mnv2_257', smoothing=1.5)


def test_package_import_stays_light():
    code = ('import sys, person_segmentation; '
            'print(any(m.split(".")[0] in ("tensorflow", "ai_edge_litert", "rclpy", "keras") '
            'for m in sys.modules))')
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          cwd=str(REPO_ROOT))
    assert done.stdout.strip() == 'False', done.stderr


def test_native_strategy_follows_resolution_changes(models_dir, frame):
    segmenter = Segmenter('deeplabv3_mnv2_257', strategy='native', smoothing=0.3)
    first = segmenter(frame, timestamp=0.0)
    half = cv2.resize(frame, (427, 240), interpolation=cv2.INTER_AREA)
    second = segmenter(half, timestamp=0.04)
    third = segmenter(frame, timestamp=0.08)
    assert second.mask.shape == (240, 427) and third.mask.shape == frame.shape[:2]
    assert second.regions and third.regions
    assert np.mean((first.mask > 0) == (third.mask > 0)) > 0.99


@pytest.mark.parametrize('strategy', ['tiles', 'native'])
def test_a_preset_view_plans_its_input_once_per_frame_size(models_dir, frame, monkeypatch,
                                                           strategy):
    """A view's long side gave 'tiles' a zoom of its own: the plan was rebuilt every frame."""
    planned = []
    plan = Segmenter._plan

    def counting(*args, **kwargs):
        planned.append(args[1:3])
        return plan(*args, **kwargs)
    monkeypatch.setattr(Segmenter, '_plan', staticmethod(counting))
    segmenter = Segmenter('deeplabv3_mnv2_257', preset='fast', strategy=strategy,
                          model_dir=models_dir)
    try:
        masks = [segmenter(frame).mask for _ in range(3)]
    finally:
        segmenter.close()
    assert planned == [frame.shape[:2]]
    assert np.count_nonzero(masks[0]) > 0 and all(np.array_equal(masks[0], m) for m in masks)


def test_any_frame_shape_stays_within_the_memory_budget(models_dir):
    # The reproduction: thin frames made a 257 x 65793 model input (+2 GB, 12 s), and
    # under a memory limit broke the model for every later frame of the previous shape.
    result = run_snippet(f"""
        import cv2
        import numpy as np
        from person_segmentation import Segmenter
        path = {str(_PHOTO)!r}
        photo = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)[:, 107:747]
        segmenter = Segmenter('deeplabv3_mnv2_257', threads=1, model_dir={str(models_dir)!r})
        before = segmenter(photo).mask
        limit_address_space(1500)
        reset_peak()
        shapes, errors = [], []
        for height, width in [(480, 640), (1, 256), (480, 640), (1, 16384), (480, 640),
                              (240, 320), (360, 640), (16384, 3), (256, 1)]:
            frame = cv2.resize(photo, (width, height), interpolation=cv2.INTER_AREA)
            try:
                shapes.append(segmenter(frame).mask.shape)
            except Exception as error:
                errors.append(f'{{height}}x{{width}}: {{type(error).__name__}}: {{error}}')
        after = segmenter(photo).mask
        print(json.dumps({{'shapes': shapes, 'errors': errors, 'growth': peak_growth_mb(),
                          'same_mask': bool((before == after).all())}}))
    """)
    assert result['errors'] == []
    assert result['shapes'] == [[480, 640], [1, 256], [480, 640], [1, 16384], [480, 640],
                                [240, 320], [360, 640], [16384, 3], [256, 1]]
    assert result['same_mask']  # the model recovered exactly
    assert result['growth'] < 200.0, f'peak RSS grew by {result["growth"]:.0f} MB'


@pytest.mark.slow
def test_a_batchs_stage_times_add_up_to_the_time_it_took(models_dir, frame):
    # Each frame's timings are its share of the batch's model calls plus its own fusion, and
    # a share of the second model's call when it ran for it. Before, a frame's 'preprocess'
    # also held the other frames' refinement time, so a batch of two reported about 1.5x the
    # time it took.
    segmenter = Segmenter(preset='accurate', model='deeplabv3_mnv2_257', backend='keras',
                          device='cpu', threads=2)
    assert segmenter.backend.batches_frames
    frames = [frame, np.ascontiguousarray(frame[:, ::-1])]  # a large person: the second model
    segmenter.segment_batch(frames)  # builds the networks
    start = time.perf_counter()
    results = segmenter.segment_batch(frames)
    took = (time.perf_counter() - start) * 1e3
    segmenter.close()
    assert all(set(r.timings) == {'preprocess', 'model', 'second_opinion', 'postprocess'}
               for r in results)
    assert results[0].timings['model'] == results[1].timings['model']  # one call, shared
    assert sum(sum(r.timings.values()) for r in results) <= took
