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
The node's rclpy-free parts: newest-frame worker, statistics, presence, QoS, parameters.

These decide the node's behaviour under load (what is dropped, what is counted), when
person_detected switches, which reliability the subscription picks and which parameter values
are rejected; they are tested here without ROS so failures point at the logic itself.
"""

import pathlib
import threading
import time

from person_segmentation.engine.presence import PresenceHysteresis
from person_segmentation.node import parameters as node_parameters
from person_segmentation.node.frame_stats import FrameStats, percentiles, RateWindow
from person_segmentation.node.frame_worker import FrameWorker, LatestFrameSlot
from person_segmentation.node.qos import choose_reliability
from person_segmentation.node.rate_limited_log import RateLimitedLog
from person_segmentation.node.staleness import stale_reason
import pytest
from rcl_interfaces.msg import Parameter as ParameterMsg, ParameterType, ParameterValue


def _wait(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


def test_slot_keeps_only_the_newest_item():
    slot = LatestFrameSlot()
    assert slot.put(1) is False
    assert slot.put(2) is True  # 1 was never taken: dropped
    assert slot.take(0.1) == (True, 2)
    assert slot.take(0.01) == (False, None)
    slot.close()
    assert slot.take(10.0) == (False, None)  # returns at once once closed


def test_worker_processes_the_newest_frame_and_counts_drops():
    release = threading.Event()
    processed, drops = [], []

    def process(item):
        if item == 0:
            release.wait(5.0)  # busy with frame 0 while 1..99 arrive
        processed.append(item)

    worker = FrameWorker(process, on_drop=lambda: drops.append(1))
    try:
        worker.submit(0)
        assert _wait(lambda: not worker.idle() and processed == [] and _slot_empty(worker))
        started = time.monotonic()
        for item in range(1, 100):
            worker.submit(item)
        assert time.monotonic() - started < 1.0  # submit never waits for processing
        release.set()
        assert _wait(worker.idle)
        assert processed == [0, 99]
        assert len(drops) == 98
    finally:
        assert worker.stop(5.0)


def _slot_empty(worker):
    return not worker._slot.pending()


def test_worker_survives_errors_and_stops_cleanly():
    errors, processed = [], []

    def process(item):
        if item == 'bad':
            raise RuntimeError('boom')
        processed.append(item)

    worker = FrameWorker(process, on_error=errors.append)
    worker.submit('bad')
    assert _wait(lambda: len(errors) == 1)
    worker.submit('good')
    assert _wait(lambda: processed == ['good'])
    assert isinstance(errors[0], RuntimeError)
    assert worker.stop(5.0)
    assert worker.submit('late') is False


def test_rate_window_measures_rates_in_its_clock():
    rate = RateWindow(window=2.0)
    for index in range(61):
        rate.add(100.0 + index / 30.0)  # 30 Hz for 2 s
    assert rate.rate(102.0) == pytest.approx(30.0, rel=0.05)
    assert rate.rate(110.0) == 0.0  # nothing in the last 2 s
    young = RateWindow(window=5.0)
    for index in range(10):
        young.add(index * 0.1)
    assert young.rate(0.95) == pytest.approx(10.0)  # less than a window of history


def test_frame_stats_counts_and_percentiles():
    stats = FrameStats(window=1.0)
    for index in range(100):
        stats.on_received(index * 0.01)
    stats.on_dropped(3)
    stats.on_stale()
    stats.on_invalid()
    for latency in range(1, 101):
        stats.on_processed(1.0, latency / 1000.0, 0.005)
    snapshot = stats.snapshot(1.0)
    assert (snapshot['received'], snapshot['processed'], snapshot['dropped'],
            snapshot['stale'], snapshot['invalid']) == (100, 100, 3, 1, 1)
    assert snapshot['latency_p50'] == pytest.approx(0.0505)
    assert snapshot['latency_p95'] == pytest.approx(0.09505)
    assert snapshot['input_rate'] == pytest.approx(100.0, rel=0.05)
    assert percentiles([], (50,))[50] != percentiles([], (50,))[50]  # NaN when empty


def test_presence_hysteresis_does_not_flicker():
    presence = PresenceHysteresis(on_frames=2, off_frames=3)
    present = [False, True, False, True, True, False, False, True, False, False, False, True]
    assert [presence.update(p) for p in present] == [
        False, False, False, False, True, True, True, True, True, True, False, False]
    with pytest.raises(ValueError, match='must be >= 1'):
        presence.set_frames(0, 2)
    assert (presence.on_frames, presence.off_frames) == (2, 3)  # unchanged after a rejection
    immediate = PresenceHysteresis(on_frames=1, off_frames=1)
    assert [immediate.update(p) for p in (True, False, True)] == [True, False, True]


@pytest.mark.parametrize('mode, offered, expected', [
    ('auto', [], 'best_effort'),
    ('auto', ['reliable'], 'reliable'),
    ('auto', ['reliable', 'reliable'], 'reliable'),
    ('auto', ['best_effort'], 'best_effort'),
    ('auto', ['reliable', 'best_effort'], 'best_effort'),
    ('auto', ['reliable', 'system_default'], 'reliable'),
    ('reliable', ['best_effort'], 'reliable'),
    ('best_effort', ['reliable'], 'best_effort'),
])
def test_qos_choice_follows_the_publishers(mode, offered, expected):
    assert choose_reliability(mode, offered) == expected


def test_qos_mode_is_validated():
    with pytest.raises(ValueError, match='qos_reliability must be one of'):
        choose_reliability('sometimes', [])


def test_parameter_table_is_consistent_with_its_descriptors():
    defaults = node_parameters.defaults()
    assert node_parameters.validate_changes(defaults) is None
    for spec in node_parameters.PARAMETERS:
        descriptor = node_parameters.descriptor(spec)
        assert descriptor.description and descriptor.read_only == spec.read_only
        if spec.float_range:
            assert descriptor.floating_point_range[0].to_value == spec.float_range[1]
    live = {spec.name for spec in node_parameters.PARAMETERS if spec.dynamic}
    assert {'threshold', 'smoothing', 'overlay_color', 'overlay_alpha', 'presence_min_area',
            'presence_min_confidence', 'presence_on_frames', 'presence_off_frames'} <= live
    assert node_parameters.BY_NAME['model'].read_only
    assert node_parameters.BY_NAME['preset'].read_only


def test_docs_parameter_table_is_the_declared_one():
    """docs/node.md shows exactly the declared parameters (regenerate: python -m ...parameters)."""
    lines = (pathlib.Path(__file__).resolve().parents[1] / 'docs' / 'node.md').read_text()
    lines = lines.splitlines()
    start = lines.index(node_parameters.markdown_table().splitlines()[0])
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith('|')), len(lines))
    assert '\n'.join(lines[start:end]) == node_parameters.markdown_table(), (
        'docs/node.md is out of date: paste the output of '
        '`python -m person_segmentation.node.parameters` into its Parameters section')


@pytest.mark.parametrize('changes, problem', [
    ({'threshold': 1.5}, 'threshold must be a number in'),
    ({'threshold': 0.0}, 'threshold must be greater than 0'),
    ({'smoothing': 1.0}, 'smoothing must be a number in'),
    ({'overlay_color': [0, 300, 0]}, 'overlay_color must be three integers'),
    ({'overlay_color': [0, 255]}, 'overlay_color must be three integers'),
    ({'qos_reliability': 'maybe'}, 'qos_reliability must be one of'),
    ({'probability_encoding': '16UC1'}, 'probability_encoding must be one of'),
    ({'presence_on_frames': 0}, 'presence_on_frames must be an integer in'),
    ({'presence_min_confidence': 0.0}, 'presence_min_confidence must be greater than 0'),
    ({'presence_min_area': -1.0}, 'presence_min_area must be a number in'),
    ({'preset': 'slow'}, 'preset must be one of'),
    ({'threads': 0}, 'threads must be an integer in'),
    ({'model': ' '}, 'model must name'),
    ({'max_age_reference': 'header'}, 'max_age_reference must be one of'),
    ({'max_image_pixels': 0}, 'max_image_pixels must be an integer in'),
    ({'backend': 'onnx'}, 'backend must be one of'),
    ({'device': 'cuda'}, 'device must be'),
    ({'device': 'gpu:x'}, 'device must be'),
])
def test_invalid_parameter_values_are_rejected_with_a_reason(changes, problem):
    reason = node_parameters.validate_changes(changes)
    assert reason is not None and problem in reason


def test_valid_parameter_changes_pass():
    assert node_parameters.validate_changes(
        {'presence_on_frames': 2, 'presence_off_frames': 10, 'presence_min_area': 64.0}) is None
    assert node_parameters.validate_changes({'overlay_color': [255, 0, 10]}) is None
    assert node_parameters.validate_changes({'use_sim_time': True}) is None
    assert node_parameters.validate_changes({'backend': 'keras', 'device': 'gpu:1'}) is None


class _Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_rate_limited_log_writes_one_line_per_kind_per_period_and_counts_the_rest():
    lines, clock = [], _Clock()
    log = RateLimitedLog(lines.append, period=5.0, clock=clock)
    for index in range(50):  # details vary per frame; the kind does not
        log('invalid: data size', f'data has {index} bytes')
        log('invalid: step', f'step {index} is too small')
        clock.now += 0.05
    assert lines == ['data has 0 bytes', 'step 0 is too small']
    clock.now = 105.0
    assert log.flush() == 2  # the window ended without a new line: report what was left out
    assert lines[2:] == ['data has 49 bytes (48 more like this in the last 5 s)',
                         'step 49 is too small (48 more like this in the last 5 s)']
    assert log.flush() == 0
    log('invalid: step', 'step 7 is too small')  # within a period of the flush: counted
    clock.now = 110.1
    log('invalid: step', 'step 8 is too small')
    assert lines[4:] == ['step 8 is too small (1 more like this in the last 5 s)']


def test_rate_limited_log_tells_when_a_kind_is_quiet():
    lines, clock = [], _Clock()
    log = RateLimitedLog(lines.append, period=5.0, clock=clock)
    assert log.quiet('stale')  # never seen
    log('stale', 'old frame')
    assert not log.quiet('stale') and log.quiet('invalid: step')
    clock.now += 5.0
    assert log.quiet('stale')
    log('stale', 'old frame')
    clock.now += 1.0
    log('stale', 'old frame')  # suppressed: quiet only after the flush's own period
    clock.now += 5.0
    assert not log.quiet('stale')
    log.flush()
    assert not log.quiet('stale')
    clock.now += 5.0
    assert log.quiet('stale')


def test_rate_limited_log_keeps_its_table_bounded():
    lines, clock = [], _Clock()
    log = RateLimitedLog(lines.append, period=1.0, clock=clock, max_keys=4)
    for index in range(100):
        log(f'kind {index}', 'x')
        clock.now += 2.0
    assert len(lines) == 100 and len(log._windows) <= 4


@pytest.mark.parametrize('reference, waited, stamp_age, kind', [
    ('arrival', 0.2, 30.0, None),  # a camera clock 30 s behind does not matter
    ('arrival', 0.2, -30.0, None),  # nor one ahead
    ('arrival', 1.5, 0.0, 'stale'),  # waited too long in the node
    ('arrival', 1.5, None, 'stale'),
    ('stamp', 0.0, 0.5, None),
    ('stamp', 0.0, 1.5, 'stale stamp behind'),
    ('stamp', 0.0, -1.5, 'stale stamp ahead of'),  # a stamp from the future: clocks disagree
    ('stamp', 5.0, None, None),  # a zero stamp is never stale by stamp
])
def test_staleness_is_judged_by_arrival_unless_stamps_are_asked_for(
        reference, waited, stamp_age, kind):
    reason = stale_reason(reference, 1.0, waited, stamp_age)
    assert (reason and reason[0]) == kind
    if kind and kind.startswith('stale stamp'):
        assert 'synchronise the clocks' in reason[1] and 'use_sim_time' in reason[1]
    assert stale_reason(reference, 0.0, 100.0, 100.0) is None  # max_age 0: never stale


@pytest.mark.parametrize('name, kind, problem', [
    ('threshold', 99, 'type 99'),
    ('threshold', 10, 'type 10'),
    ('', ParameterType.PARAMETER_DOUBLE, 'must not be empty'),
    ('  ', ParameterType.PARAMETER_DOUBLE, 'must not be empty'),
    ('threshold', ParameterType.PARAMETER_DOUBLE, None),
    ('threshold', ParameterType.PARAMETER_NOT_SET, None),
])
def test_malformed_parameter_messages_are_recognised(name, kind, problem):
    reason = node_parameters.malformed_parameter(
        ParameterMsg(name=name, value=ParameterValue(type=kind)))
    assert (reason is None) if problem is None else (problem in reason)
