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
The node's rclpy-free parts: worker, statistics, presence, QoS, parameters, messages, pipeline.

These decide the node's behaviour under load (what is dropped, what is counted), when
person_detected switches, which reliability the subscription picks, which parameter values
are rejected, what each output message holds and what happens to one frame; they are tested
here without a ROS graph so failures point at the logic itself (a node's stop is a real rclpy
context shut down under a frame: publishers then raise as they do at Ctrl-C).
"""

import ast
import dataclasses
import pathlib
import threading
import time

from diagnostic_msgs.msg import DiagnosticStatus
from image_encoders import rgb_to_fields
import numpy as np
from person_segmentation import names, Segmenter
from person_segmentation.engine.input_strategy import STRATEGIES
from person_segmentation.engine.presence import PresenceHysteresis
from person_segmentation.engine.regions import PersonRegion
from person_segmentation.node import main as node_main
from person_segmentation.node import messages, qos
from person_segmentation.node import parameters as node_parameters
from person_segmentation.node.cameras import cameras
from person_segmentation.node.frame_stats import FrameStats, percentiles, RateWindow
from person_segmentation.node.frame_worker import FrameWorker, LatestFrames
from person_segmentation.node.input_loss import InputLossReport
from person_segmentation.node.parameters import Settings
from person_segmentation.node.pipeline import FramePipeline, Outputs, process_together
from person_segmentation.node.qos import choose_reliability
from person_segmentation.node.rate_limited_log import RateLimitedLog
from person_segmentation.node.staleness import stale_reason
import pytest
from rcl_interfaces.msg import Parameter as ParameterMsg, ParameterType, ParameterValue
import rclpy
from ros_helpers import image_message
from sensor_msgs.msg import Image
from std_msgs.msg import Bool


REPO = pathlib.Path(__file__).resolve().parents[1]


def _wait(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


def test_slot_keeps_only_the_newest_item():
    slot = LatestFrames()
    assert slot.put(1) is False
    assert slot.put(2) is True  # 1 was never taken: dropped
    assert slot.take(0.1) == [(0, 2)]
    assert slot.take(0.01) == []
    slot.put(3)
    slot.close()
    started = time.monotonic()
    assert slot.take(10.0) == []  # returns at once once closed, leaving what waits
    assert time.monotonic() - started < 5.0


def test_worker_processes_the_newest_frame_and_counts_drops():
    release = threading.Event()
    processed, drops = [], []

    def process(batch):
        ((stream, item),) = batch
        if item == 0:
            release.wait(5.0)  # busy with frame 0 while 1..99 arrive
        processed.append(item)

    worker = FrameWorker(process, on_drop=drops.append)
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
        assert drops == [0] * 98
    finally:
        assert worker.stop(5.0)


def test_cameras_are_served_in_turn_so_none_starves():
    # Camera 0 refills its slot before every take (a 30 Hz camera on a busy node); camera 2 has
    # a frame now and then. Each is served within one round of the others.
    slots = LatestFrames(streams=3)
    served = []
    for turn in range(30):
        slots.put(f'fast_{turn}', 0)
        if turn % 5 == 0:
            slots.put(f'slow_{turn}', 2)
        served += slots.take(0.01)
        slots.done()
    slow = [item for stream, item in served if stream == 2]
    assert slow == [f'slow_{turn}' for turn in range(0, 30, 5)]  # every one, none dropped
    assert all(served[i][0] != 2 or served[i + 1][0] == 0 for i in range(len(served) - 1))
    # up to `most` at a time, one per camera, starting after the camera served last
    slots.put('a', 0)
    slots.put('b', 1)
    slots.put('c', 2)
    assert slots.take(0.01, most=2) in (
        [(0, 'a'), (1, 'b')], [(1, 'b'), (2, 'c')], [(2, 'c'), (0, 'a')])
    slots.done()
    assert len(slots.take(0.01, most=3)) == 1 and not slots.pending()


def test_a_worker_with_several_streams_counts_drops_per_stream():
    release = threading.Event()
    batches, drops = [], []

    def process(batch):
        release.wait(5.0)
        batches.append(batch)

    worker = FrameWorker(process, on_drop=drops.append, streams=2, most=2)
    try:
        worker.submit('first', 0)
        assert _wait(lambda: not worker.pending())  # taken: the worker is busy with it
        for item in range(5):
            worker.submit(f'zero_{item}', 0)
        worker.submit('one', 1)
        release.set()
        assert _wait(worker.idle)
        assert batches == [[(0, 'first')], [(1, 'one'), (0, 'zero_4')]]  # 1's turn first
        assert drops == [0] * 4
    finally:
        assert worker.stop(5.0)


@pytest.mark.parametrize('images, names, compressed, expected', [
    ((), (), False, [('', 'image', False)]),
    ((), (), True, [('', 'image/compressed', True)]),
    (('/a/image_raw', 'b/image_raw/compressed'), (), False,
     [('camera_0', '/a/image_raw', False), ('camera_1', 'b/image_raw/compressed', True)]),
    (('/a/image_raw', '/b/compressed'), ('front', 'rear'), True,
     [('front', '/a/image_raw/compressed', True), ('rear', '/b/compressed', True)]),
])
def test_cameras_and_their_output_names(images, names, compressed, expected):
    found = cameras(images, names, compressed)
    assert [(c.name, c.topic, c.compressed) for c in found] == expected
    assert [c.index for c in found] == list(range(len(expected)))
    first = found[0]
    assert first.output('mask') == (f'~/{first.name}/mask' if first.name else '~/mask')
    with pytest.raises(ValueError, match='cameras must name each of the 2 images'):
        cameras(('/a', '/b'), ('front',), False)


@pytest.mark.parametrize('name, value, problem', [
    ('images', ['/a/image', '/a/image'], 'lists /a/image more than once'),
    ('images', ['/a/image', ''], 'must list image topic names'),
    ('images', ['/a/image '], 'must list image topic names'),
    ('cameras', ['front', '2nd'], 'letters, digits and _'),
    ('cameras', ['front', 'front'], 'holds front more than once'),
])
def test_camera_lists_are_checked(name, value, problem):
    assert problem in node_parameters.validate_changes({name: value})


def _slot_empty(worker):
    return not worker.pending()


def test_worker_survives_errors_and_stops_cleanly():
    errors, processed = [], []

    def process(batch):
        ((_, item),) = batch
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
    ({'threshold': -0.1}, 'threshold must be a number in'),
    ({'smoothing': 1.0}, 'smoothing must be a number in'),
    ({'overlay_color': [0, 300, 0]}, 'overlay_color must be three integers'),
    ({'overlay_color': [0, 255]}, 'overlay_color must be three integers'),
    ({'qos_reliability': 'maybe'}, 'qos_reliability must be one of'),
    ({'probability_encoding': '16UC1'}, 'probability_encoding must be one of'),
    ({'presence_on_frames': 0}, 'presence_on_frames must be an integer in'),
    ({'presence_min_confidence': 1.5}, 'presence_min_confidence must be a number in'),
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


def test_strategy_and_qos_choices_come_from_their_modules():
    """Failed on the old code: strategy had no choices, so 'zoom' passed until the engine."""
    assert node_parameters.BY_NAME['strategy'].choices == ('',) + tuple(STRATEGIES)
    assert node_parameters.BY_NAME['qos_reliability'].choices == qos.MODES
    assert 'strategy must be one of' in node_parameters.validate_changes({'strategy': 'zoom'})
    for strategy in ('',) + tuple(STRATEGIES):
        assert node_parameters.validate_changes({'strategy': strategy}) is None


def test_settings_hold_one_attribute_per_parameter():
    settings = Settings()
    assert [field.name for field in dataclasses.fields(Settings)] == [
        spec.name for spec in node_parameters.PARAMETERS]
    for spec in node_parameters.PARAMETERS:  # the defaults, as the node uses them
        expected = tuple(spec.default) if isinstance(spec.default, list) else spec.default
        assert getattr(settings, spec.name) == expected, spec.name
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.threshold = 0.9
    # ROS values (an integer for a DOUBLE, an int array) become the attributes' types;
    # names that are not ours (use_sim_time) are left to ROS.
    changed = settings.changed({'threshold': 0.7, 'presence_min_area': 64,
                                'overlay_color': [255, 0, 10], 'use_sim_time': True})
    assert (changed.threshold, changed.overlay_color) == (0.7, (255, 0, 10))
    assert changed.presence_min_area == 64.0 and isinstance(changed.presence_min_area, float)
    assert settings.threshold == 0.0 and not hasattr(changed, 'use_sim_time')  # the preset's


def test_every_setting_the_node_reads_is_a_parameter():
    """A misspelt ``settings.treshold`` anywhere in the node fails here, not on a robot."""
    known = {field.name for field in dataclasses.fields(Settings)} | {'changed'}
    read = set()
    for path in sorted((REPO / 'person_segmentation' / 'node').glob('*.py')):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Attribute):
                continue
            holder = node.value
            if (isinstance(holder, ast.Name) and holder.id in ('settings', 'old', 'first')) or (
                    isinstance(holder, ast.Attribute) and holder.attr == '_settings'):
                read.add((path.name, node.attr))
    assert {name for _, name in read} >= {'threshold', 'overlay_color', 'qos_reliability'}
    assert not sorted(item for item in read if item[1] not in known)


@pytest.mark.parametrize('name, kind, value, widened', [
    ('presence_min_area', ParameterType.PARAMETER_INTEGER, 64, 64.0),
    ('threshold', ParameterType.PARAMETER_INTEGER, 1, 1.0),
    ('threads', ParameterType.PARAMETER_INTEGER, 3, None),  # an INTEGER parameter: as sent
    ('use_sim_time', ParameterType.PARAMETER_INTEGER, 1, None),  # not ours
])
def test_an_integer_for_a_double_parameter_is_that_number(name, kind, value, widened):
    msg = ParameterMsg(name=name, value=ParameterValue(type=kind, integer_value=value))
    assert node_parameters.widen_integer(msg) == (widened is not None)
    if widened is None:
        assert (msg.value.type, msg.value.integer_value) == (kind, value)
    else:
        assert msg.value.type == ParameterType.PARAMETER_DOUBLE
        assert msg.value.double_value == widened


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


# ---------------------------------------------------------------------- messages
def _header(sec=1700000000, nanosec=123456789, frame_id='camera_optical_frame'):
    return messages.header(sec * 10**9 + nanosec, frame_id)


def _array(msg, dtype=np.uint8):
    channels = {'mono8': 1, 'bgr8': 3, '32FC1': 1}[msg.encoding]
    rows = np.frombuffer(bytes(msg.data), np.uint8).reshape(msg.height, msg.step)
    pixels = rows[:, :msg.width * channels * np.dtype(dtype).itemsize].copy().view(dtype)
    return pixels.reshape(msg.height, msg.width, channels).squeeze()


def test_camera_image_is_what_a_camera_driver_publishes():
    bgr = np.random.default_rng(3).integers(0, 256, (48, 64, 3), np.uint8)
    msg = messages.camera_image(bgr[:, ::-1], 1_700_000_000_123_456_789, 'cam')
    assert (msg.header.stamp.sec, msg.header.stamp.nanosec) == (1700000000, 123456789)
    assert (msg.header.frame_id, msg.encoding, msg.height, msg.width, msg.step,
            msg.is_bigendian) == ('cam', 'bgr8', 48, 64, 64 * 3, 0)
    np.testing.assert_array_equal(_array(msg), bgr[:, ::-1])


def test_output_images_carry_the_input_header_and_their_encoding():
    header = _header()
    probability = np.array([[0.0, 0.5], [0.999, 1.0]], np.float32)
    mask = messages.mask_image(header, (probability > 0.5).astype(np.uint8) * 255)
    assert mask.header == header and mask.encoding == 'mono8'
    np.testing.assert_array_equal(_array(mask), [[0, 0], [255, 255]])
    mono8 = messages.probability_image(header, probability, 'mono8')
    np.testing.assert_array_equal(_array(mono8), [[0, 128], [255, 255]])
    as_float = messages.probability_image(header, probability, '32FC1')
    assert as_float.encoding == '32FC1' and as_float.step == 2 * 4
    np.testing.assert_array_equal(_array(as_float, np.float32), probability)
    with pytest.raises(ValueError, match='probability encoding must be one of'):
        messages.probability_image(header, probability, '16UC1')
    assert messages.overlay_image(header, np.zeros((2, 3, 3), np.uint8)).encoding == 'bgr8'
    assert messages.flag(np.bool_(True)).data is True


def test_detections_are_one_box_per_region():
    if not messages.DETECTIONS_AVAILABLE:
        pytest.skip('vision_msgs is not installed here (not on PyPI): ~/persons is off')
    regions = [PersonRegion((10, 20, 30, 60), 1500, 0.875), PersonRegion((0, 0, 4, 4), 16, 0.5)]
    array = messages.detections(_header(), regions)
    assert array.header == _header() and len(array.detections) == 2
    first = array.detections[0]
    center = getattr(first.bbox.center, 'position', first.bbox.center)
    assert (center.x, center.y, first.bbox.size_x, first.bbox.size_y) == (25.0, 50.0, 30, 60)
    assert first.results[0].hypothesis.class_id == messages.PERSON_CLASS
    assert first.results[0].hypothesis.score == 0.875


class _Backend:
    name, device, selection = 'tflite', 'cpu', 'auto/auto: no CUDA GPU'


class _Engine:
    backend, preset, model_name = _Backend(), None, 'deeplabv3_mnv2_257'


def test_diagnostics_table_and_level():
    no_loss = InputLossReport(False, False, 0.0, 30.0, 30.0)

    def status_at(stats, now, loss=no_loss):
        return messages.segmentation_status('ns/person_segmentation: segmentation',
                                            stats.snapshot(now), '/ns/image', 'reliable',
                                            loss, _Engine(), 2)
    stats = FrameStats()
    idle = status_at(stats, 10.0)
    assert idle.level == DiagnosticStatus.WARN and idle.message == 'no images on /ns/image'
    stats.on_received(10.0)
    unprocessed = status_at(stats, 10.1)
    assert unprocessed.level == DiagnosticStatus.WARN and 'none processed' in unprocessed.message
    stats.on_processed(10.1, 0.05, 0.02)
    status = status_at(stats, 10.2)
    assert (status.level, status.message, status.hardware_id) == (
        DiagnosticStatus.OK, 'segmenting', 'cpu')
    table = {kv.key: kv.value for kv in status.values}
    assert table['latency p50 (ms)'] == '50.0' and table['processed frames'] == '1'
    assert table['output messages refused by the middleware'] == '0'
    stats.on_refused()
    assert {kv.key: kv.value for kv in status_at(stats, 10.2).values}[
        'output messages refused by the middleware'] == '1'
    assert (table['preset'], table['model'], table['threads']) == (
        'none (model)', 'deeplabv3_mnv2_257', '2')
    assert (table['camera rate from stamps (Hz)'], table['frames lost before the node (%)']) == (
        '30.00', '0.0')
    lossy = status_at(stats, 10.2, InputLossReport(True, True, 2 / 3, 30.0, 10.0))
    assert lossy.level == DiagnosticStatus.WARN
    assert lossy.message == ('67% of the camera frames lost before the node: stamps at 30.0 Hz, '
                             '10.0 Hz arriving')
    assert status_at(stats, 16.0).level == DiagnosticStatus.WARN  # no image for 5 s


# ---------------------------------------------------------------------- pipeline
class _Publisher:
    def __init__(self, subscribers=1):
        self.sent, self.subscribers = [], subscribers

    def publish(self, msg):
        self.sent.append(msg)

    def get_subscription_count(self):
        return self.subscribers


@pytest.fixture(scope='module')
def segmenter(models_dir):
    engine = Segmenter(model='deeplabv3_mnv2_257', threads=2, model_dir=models_dir)
    yield engine
    engine.close()


def test_pipeline_turns_a_frame_into_every_output_without_ros(segmenter, photo):
    """The per-frame work runs on its own: real model, outputs stamped with the input header."""
    outputs = Outputs(mask=_Publisher(), probability=_Publisher(), overlay=_Publisher(0),
                      person_detected=_Publisher())
    settings = Settings().changed({'max_age': 0.0, 'probability_encoding': '32FC1'})
    warnings = []
    pipeline = FramePipeline(segmenter, outputs, lambda: settings, lambda: 1700000001.0,
                             RateLimitedLog(warnings.append))
    msg = image_message(rgb_to_fields(photo, 'rgb8'), 'cam', (1700000000, 5))
    pipeline.process(pipeline.frame(msg, compressed=False))
    expected = segmenter(photo)
    (mask,) = outputs.mask.sent
    assert mask.header == msg.header
    np.testing.assert_array_equal(_array(mask), expected.mask)
    (probability,) = outputs.probability.sent
    np.testing.assert_allclose(_array(probability, np.float32), expected.probability, atol=0.02)
    assert outputs.person_detected.sent[0].data is True
    assert outputs.overlay.sent == [] and pipeline.overlays_rendered == 0  # nobody watches
    snapshot = pipeline.stats.snapshot(1700000001.0)
    assert (snapshot['received'], snapshot['processed'], snapshot['invalid']) == (1, 1, 0)
    assert snapshot['latency_p50'] == pytest.approx(1.0, abs=1e-6)  # stamp to node clock
    broken = image_message(dict(rgb_to_fields(photo, 'rgb8'), step=10), 'bad', (1, 0))
    pipeline.process(pipeline.frame(broken, compressed=False))
    assert pipeline.stats.snapshot(0.0)['invalid'] == 1 and len(outputs.mask.sent) == 1
    assert warnings and '(step)' in warnings[0]


class _RefusingPublisher(_Publisher):
    """What rclpy does when Fast DDS will not take a message (a slow reliable subscriber)."""

    def __init__(self, topic_name):
        super().__init__()
        self.topic_name = topic_name

    def publish(self, msg):
        from rclpy._rclpy_pybind11 import RCLError
        raise RCLError('Failed to publish: cannot publish data, at src/rmw_publish.cpp:68')


@pytest.mark.parametrize('refused', ['mask', 'overlay'])
def test_an_output_the_middleware_refuses_costs_that_output_only(segmenter, photo, refused):
    """A slow viewer on one output must not hold back ~/person_detected (seen on CI's DDS)."""
    topic = f'/camera/person_segmentation/{refused}'
    outputs = Outputs(mask=_Publisher(), probability=_Publisher(), overlay=_Publisher(),
                      person_detected=_Publisher())
    setattr(outputs, refused, _RefusingPublisher(topic))
    settings = Settings().changed({'max_age': 0.0})
    warnings = []
    pipeline = FramePipeline(segmenter, outputs, lambda: settings, lambda: 1700000001.0,
                             RateLimitedLog(warnings.append))
    msg = image_message(rgb_to_fields(photo, 'rgb8'), 'cam', (1700000000, 5))
    pipeline.process(pipeline.frame(msg, compressed=False))
    expected = segmenter(photo).mask
    for name in {'mask', 'overlay'} - {refused}:
        (image,) = getattr(outputs, name).sent
        assert image.header == msg.header
    if refused == 'overlay':
        np.testing.assert_array_equal(_array(outputs.mask.sent[0]), expected)
    (probability,) = outputs.probability.sent
    assert probability.header == msg.header
    assert [flag.data for flag in outputs.person_detected.sent] == [True]
    snapshot = pipeline.stats.snapshot(1700000001.0)
    assert (snapshot['processed'], snapshot['failed'], snapshot['refused']) == (1, 0, 1)
    (warning,) = warnings
    assert topic in warning and 'cannot publish data' in warning


def test_a_publish_that_fails_while_the_node_stops_is_not_reported(segmenter, photo):
    """After Ctrl-C the context is shut down under a frame in progress: no refusal warning."""
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node('stopping_pipeline', context=context)
    try:
        outputs = Outputs(mask=node.create_publisher(Image, 'mask', 1),
                          person_detected=node.create_publisher(Bool, 'person_detected', 1))
        warnings = []
        pipeline = FramePipeline(segmenter, outputs,
                                 lambda: Settings().changed({'max_age': 0.0}),
                                 lambda: 1700000001.0, RateLimitedLog(warnings.append),
                                 running=context.ok)
        msg = image_message(rgb_to_fields(photo, 'rgb8'), 'cam', (1700000000, 5))
        frame = pipeline.frame(msg, compressed=False)
        rclpy.shutdown(context=context)  # the Ctrl-C: every publish now raises InvalidHandle
        pipeline.process(frame)
        assert warnings == [] and pipeline.stats.refused == 0
    finally:
        node.destroy_node()
        if context.ok():
            rclpy.shutdown(context=context)


class _CountingEngine:
    """The real Segmenter, counting the calls that reach it."""

    def __init__(self, segmenter):
        self.segmenter, self.calls = segmenter, []

    def segment_batch(self, frames, timestamps, streams, parts=False):
        self.calls.append([frame.shape for frame in frames])
        return self.segmenter.segment_batch(frames, timestamps, streams, parts)


def test_frames_of_several_cameras_are_batched_by_size_and_a_bad_one_costs_nothing(
        segmenter, photo):
    engine = _CountingEngine(segmenter)
    settings = Settings().changed({'max_age': 0.0})
    warnings, errors = [], []
    pipelines = []
    for camera in cameras(('/a', '/b', '/c', '/d'), (), False):
        outputs = Outputs(mask=_Publisher())
        pipelines.append(FramePipeline(engine, outputs, lambda: settings, lambda: 0.0,
                                       RateLimitedLog(warnings.append), camera))
    small = np.ascontiguousarray(photo[::2, ::2])
    messages_ = [image_message(rgb_to_fields(image, 'rgb8'), f'f{index}', (5, index))
                 for index, image in enumerate((photo, small, photo))]
    messages_.append(image_message(dict(rgb_to_fields(photo, 'rgb8'), step=10), 'bad', (5, 9)))
    work = [(p, p.frame(m, False)) for p, m in zip(pipelines, messages_)]
    process_together(work, True, lambda pipeline, error: errors.append((pipeline, error)))
    assert sorted(engine.calls) == sorted([[photo.shape, photo.shape], [small.shape]])
    for pipeline, image, msg in zip(pipelines, (photo, small, photo), messages_):
        (mask,) = pipeline.outputs.mask.sent
        assert mask.header == msg.header
        np.testing.assert_array_equal(_array(mask), segmenter(image).mask)
    assert pipelines[3].outputs.mask.sent == [] and pipelines[3].stats.invalid == 1
    assert warnings and warnings[0].startswith('camera_3: skipping an image (step)')
    assert errors == []
    # one by one where the backend does not batch, in the order given
    engine.calls.clear()
    process_together(work[:3], False, lambda pipeline, error: errors.append(error))
    assert engine.calls == [[photo.shape], [small.shape], [photo.shape]]


@pytest.mark.parametrize('stopping', [True, False])
def test_an_import_that_fails_after_a_ctrl_c_is_part_of_the_stop(monkeypatch, stopping):
    # A SIGINT inside numpy's C initialisation surfaced as ImportError('PyCapsule_Import could
    # not import module "datetime"'), naming no KeyboardInterrupt: the node exited 1 with a
    # NumPy install notice instead of 0 (test_node_signals, at 50 ms, under load).
    import builtins
    real_import = builtins.__import__

    def failing(name, *args, **kwargs):
        if name == 'person_segmentation.node.managed_node':
            raise ImportError('PyCapsule_Import could not import module "datetime"')
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, '__import__', failing)
    monkeypatch.setattr(node_main, '_STOP', threading.Event())
    if stopping:
        node_main._STOP.set()
        assert node_main._run(['person_segmentation_node']) == 0
    else:
        with pytest.raises(ImportError, match='PyCapsule_Import'):
            node_main._run(['person_segmentation_node'])


# ---------------------------------------------------------------------- command line
@pytest.mark.parametrize('arguments, status', [
    (['--help'], 0),
    (['-h'], 0),
    (['--ros-args', '-p', 'threshold:=0.6', '--', '-h'], 0),
    (['--ros-args', '-r', 'image:=/camera/image_raw', '-p', 'threshold:=0.6'], None),
    ([], None),
    (['--thresold', '0.6'], 2),
    (['image:=/camera/image_raw'], 2),  # a remap without --ros-args was silently ignored
])
def test_command_line_help_and_mistakes(capsys, arguments, status):
    assert node_main._usage(arguments) == status
    out, err = capsys.readouterr()
    if status == 0:
        assert out.startswith(f'usage: {names.NODE_EXECUTABLE}') and 'docs/node.md' in out
        assert '--ros-args' in out and '--params-file' in out
    elif status == 2:
        assert 'unrecognized arguments' in err
    else:
        assert out == err == ''
