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
Frames lost before the node, judged from header stamps against arrivals (issue 24).

Synthetic streams of (header stamp, node-clock arrival), fed as the node would: every frame to
``on_message``, and ``assess`` once a second as the diagnostics timer does. The expected
shares are worked out by hand in each test: lost share = 1 - arrival rate x camera period.
"""

import numpy as np
from person_segmentation.node.input_loss import (camera_period, InputLossDetector,
                                                 InputLossLimits)
import pytest

T = 1.0 / 30.0  # a 30 Hz camera
START = 1000.0  # stamps and clock start here (a zero stamp means "no stamp")
LATENCY = 0.02  # camera to node, seconds


def feed(frames, detector=None, tick=1.0):
    """Give ``frames`` (stamp, arrival) to a detector, assessing every ``tick`` s."""
    detector = detector or InputLossDetector()
    frames = list(frames)
    reports = []
    next_tick = frames[0][1] + tick
    for stamp, arrival in frames:
        while arrival >= next_tick:
            reports.append((next_tick, detector.assess(next_tick)))
            next_tick += tick
        detector.on_message(stamp, arrival)
    reports.append((next_tick, detector.assess(next_tick)))
    return reports


def first_warn(reports, since):
    """Seconds from ``since`` to the first report with warn, or None."""
    return next((t - since for t, report in reports if report.warn), None)


def shares(reports, after=0.0):
    """Return the lost shares judged at or after time ``after``."""
    return np.array([r.lost_share for t, r in reports if t >= after and r.lost_share is not None])


def real_time(stamps):
    """Frames that arrive LATENCY after their stamp (clock and camera agree)."""
    return [(s, s + LATENCY) for s in stamps]


def camera(seconds, period=T, start=START):
    """Stamps of a camera with a steady period."""
    return start + np.arange(int(round(seconds / period))) * period


# ------------------------------------------------------------------ the camera's period

def test_camera_period_is_the_regular_spacing_under_jitter():
    rng = np.random.default_rng(1)
    stamps = camera(3.0) + rng.normal(0.0, 0.05 * T, 90)  # 1.7 ms jitter on every stamp
    assert camera_period(np.diff(stamps)) == pytest.approx(T, rel=0.02)
    assert camera_period([0.1] * 10) == pytest.approx(0.1)


def test_camera_period_is_the_common_divisor_of_the_gaps_lost_frames_leave():
    # two frames in three lost, not quite evenly: gaps of 3T and 4T, none of T
    assert camera_period([3 * T, 4 * T] * 10) == pytest.approx(T, rel=1e-6)
    assert camera_period([2 * T, 3 * T, 2 * T, 2 * T, 3 * T] * 4) == pytest.approx(T, rel=1e-6)
    # random loss leaves spacings of T among longer gaps
    assert camera_period([T, 2 * T, T, 5 * T, 3 * T, T, T, 2 * T]) == pytest.approx(T)


def test_camera_period_counts_a_late_stamp_as_no_lost_frame():
    # every tenth stamp read 40 % of a period late: a long spacing, then a short one
    stamps = camera(3.0)
    stamps[5::10] += 0.4 * T
    assert camera_period(np.diff(stamps)) == pytest.approx(T, rel=1e-6)


def test_camera_period_is_unknown_for_stamps_without_a_period():
    rng = np.random.default_rng(2)
    assert camera_period(rng.uniform(0.5 * T, 1.5 * T, 60)) is None
    assert camera_period([]) is None
    assert camera_period([0.0, -T]) is None


# ------------------------------------------------------------------ the cases

def test_stamps_33_ms_apart_sent_every_100_ms_warn_within_5_s():
    # the test publisher: stamps 33 ms apart, sent every third one's time (100 ms)
    frames = [(START + i * T, START + i * 0.1) for i in range(100)]
    reports = feed(frames)
    # 1 - 10 Hz x (1/30 s) = 2/3, judged from the 7th frame (6 spacings), held 3 s
    assert 3.0 <= first_warn(reports, START) <= 5.0
    last = reports[-1][1]
    assert last.warn and last.lost_share == pytest.approx(2 / 3, abs=0.01)
    assert last.camera_rate == pytest.approx(30.0, rel=0.01)
    assert last.arrival_rate == pytest.approx(10.0, rel=0.01)
    assert sum(r.changed for _, r in reports) == 1  # the log line is written once
    assert '67% of the camera frames lost before the node' in last.message()
    assert '30.0 Hz' in last.message() and '10.0 Hz arriving' in last.message()
    line = next(r for _, r in reports if r.changed).log_line()
    assert 'Large images at camera rate' in line and 'use_sim_time' in line
    assert last.values() == {'camera rate from stamps (Hz)': '30.00',
                             'frames lost before the node (%)': '66.7'}


def test_random_transport_loss_of_two_frames_in_three_warns():
    rng = np.random.default_rng(3)
    stamps = camera(60.0)
    reports = feed(real_time(stamps[rng.random(stamps.size) < 1 / 3]))
    assert first_warn(reports, START) <= 5.0
    assert np.median(shares(reports, START + 5)) == pytest.approx(2 / 3, abs=0.05)
    assert all(r.warn for t, r in reports if t > START + 5)


def test_a_steady_10_hz_camera_is_no_loss():
    reports = feed(real_time(camera(60.0, period=0.1)))
    assert first_warn(reports, START) is None
    assert shares(reports).max() < 0.01
    assert reports[-1][1].camera_rate == pytest.approx(10.0)


def test_a_bag_at_half_rate_with_sim_time_is_no_loss():
    # /clock runs at half speed with the bag: per sim second, 30 frames stamped 33 ms apart
    rng = np.random.default_rng(4)
    stamps = camera(60.0)
    arrivals = stamps + 0.01 + np.abs(rng.normal(0.0, 0.003, stamps.size))  # sim clock
    reports = feed(zip(stamps, arrivals))
    assert first_warn(reports, START) is None
    assert shares(reports).max() < 0.1


def test_a_bag_at_half_rate_without_sim_time_looks_like_loss_and_says_so():
    stamps = camera(30.0)
    reports = feed((s, START + 2 * (s - START) + LATENCY) for s in stamps)  # wall clock
    last = reports[-1][1]
    assert last.warn and last.lost_share == pytest.approx(0.5, abs=0.01)
    assert 'without use_sim_time' in last.log_line()


# ------------------------------------------------------------------ what is no loss

def test_jitter_is_no_loss():
    rng = np.random.default_rng(5)
    stamps = camera(60.0)
    jittered = stamps + rng.normal(0.0, 0.1 * T, stamps.size)  # 3.3 ms on every stamp
    reports = feed(zip(jittered, stamps + LATENCY + np.abs(rng.normal(0.0, 0.005, stamps.size))))
    assert first_warn(reports, START) is None
    assert np.median(shares(reports)) < 0.05
    assert reports[-1][1].camera_rate == pytest.approx(30.0, rel=0.03)


@pytest.mark.parametrize('before, after', [(30.0, 15.0), (15.0, 30.0), (30.0, 10.0)])
def test_a_camera_changing_its_rate_is_no_loss(before, after):
    stamps = np.concatenate([camera(20.0, 1 / before),
                             camera(20.0, 1 / after, START + 20.0)])
    reports = feed(real_time(stamps))
    assert first_warn(reports, START) is None
    assert reports[-1][1].camera_rate == pytest.approx(after)


def test_a_pause_of_the_camera_is_no_loss():
    stamps = np.concatenate([camera(20.0), camera(20.0, start=START + 30.0)])
    reports = feed(real_time(stamps))
    assert first_warn(reports, START) is None
    during = [r for t, r in reports if START + 26.0 <= t < START + 30.0]
    assert during and all(r.lost_share is None and r.note == 'no recent frame' for r in during)


def test_a_bag_loop_starts_afresh():
    # stamps jump back 20 s when the bag starts over; the clock goes on
    once = camera(20.0)
    frames = real_time(once) + [(s, s + 20.0 + LATENCY) for s in once]
    reports = feed(frames)
    assert first_warn(reports, START) is None
    assert shares(reports, START + 21.0).size > 10  # judged again after the loop
    assert shares(reports).max() < 0.01


def test_a_frame_newer_than_the_assessment_is_judged():
    # the diagnostics read the clock, then a frame arrived (another thread), then assess
    detector = InputLossDetector()
    for i in range(100):
        detector.on_message(START + i * T, START + i * 0.1)
    report = detector.assess(START + 99 * 0.1 - 0.001)
    assert report.lost_share == pytest.approx(2 / 3, abs=0.01), report.note


def test_zero_stamps_are_not_judged():
    reports = feed((0.0, START + i * T) for i in range(300))
    assert all(r.lost_share is None and not r.warn for _, r in reports)
    assert reports[-1][1].note == 'no stamped frame yet'
    assert reports[-1][1].values()['frames lost before the node (%)'] == \
        'unknown (no stamped frame yet)'
    # zero stamps among stamped frames are left out of both counts
    frames = [(0.0 if i % 2 else s, s + LATENCY) for i, s in enumerate(camera(20.0))]
    reports = feed(frames)
    assert first_warn(reports, START) is None and shares(reports).max() < 0.01


# ------------------------------------------------------------------ low rates, limits

def test_very_low_rates():
    reports = feed(real_time(camera(120.0, period=1.0)))  # 1 Hz camera, all frames
    assert first_warn(reports, START) is None and shares(reports).max() < 0.01
    # stamps 1 s apart arriving every 3 s: judged from the 7th frame (18 s), held 3 s
    reports = feed((START + i, START + 3.0 * i) for i in range(20))
    assert 21.0 <= first_warn(reports, START) <= 23.0
    assert reports[-1][1].lost_share == pytest.approx(2 / 3, abs=0.01)


def test_losing_exactly_every_other_frame_cannot_be_seen():
    # stamps 2T apart arriving 2T apart: a 15 Hz camera, as far as anyone can tell
    reports = feed(real_time(camera(30.0)[::2]))
    assert first_warn(reports, START) is None
    assert reports[-1][1].camera_rate == pytest.approx(15.0)


def test_loss_between_the_thresholds_keeps_the_level():
    # a frame in 7 lost (14 %): below warn_share (20 %), above clear_share (10 %)
    stamps = camera(120.0)
    mild = stamps[np.arange(stamps.size) % 7 != 3]
    assert np.median(shares(feed(real_time(mild[mild < START + 60])))) == \
        pytest.approx(1 / 7, abs=0.02)
    assert first_warn(feed(real_time(mild)), START) is None
    # after a heavy loss (warn), the same mild loss does not clear it; no loss does
    kept = np.isin(np.arange(stamps.size) % 7, (0, 3))  # 2 in 7 kept: gaps of 3T and 4T
    heavy = stamps[(stamps < START + 20) & kept]
    frames = (real_time(heavy) + real_time(mild[(mild >= START + 20) & (mild < START + 60)])
              + real_time(stamps[stamps >= START + 60]))
    reports = feed(frames)
    assert first_warn(reports, START) <= 5.0
    assert all(r.warn for t, r in reports if START + 5 <= t < START + 60)
    cleared = next(t for t, r in reports if t > START + 60 and not r.warn)
    # the window (3 s) holds the mild loss a little longer, then 3 s without a break
    assert START + 63.0 <= cleared <= START + 68.0
    assert sum(r.changed for _, r in reports) == 2


def test_settings_change_the_judgement():
    frames = [(START + i * T, START + i * 0.1) for i in range(100)]  # 2/3 lost
    strict = InputLossDetector(InputLossLimits(warn_share=0.7, clear_share=0.5))
    assert first_warn(feed(frames, strict), START) is None
    quick = InputLossDetector(InputLossLimits(hold=1.0))
    assert first_warn(feed(frames, quick), START) <= 2.0
