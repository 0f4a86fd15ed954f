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
Colour/depth pairing: nearest stamp within the tolerance, bounded memory, and why not.

Stamps are in nanoseconds; a 30 Hz camera's frames are 33.3 ms apart.
"""

import threading
import time

from builtin_interfaces.msg import Time
from person_segmentation.node.depth_pairing import DepthPairing, stamp_ns
import pytest
from sensor_msgs.msg import CameraInfo

MS = 1_000_000
T0 = 1_700_000_000 * 1_000_000_000  # a wall-clock-like stamp
K = [500.0, 0.0, 320.0, 0.0, 500.0, 240.0, 0.0, 0.0, 1.0]
P = [500.0, 0.0, 320.0, 0.0, 0.0, 500.0, 240.0, 0.0, 0.0, 0.0, 1.0, 0.0]


def _info(width=640, height=480, k=K, p=P):
    return CameraInfo(width=width, height=height, k=k, p=p)


def _pairing(tolerance=0.03, capacity=30, info=True):
    pairing = DepthPairing(tolerance=tolerance, capacity=capacity)
    if info:
        pairing.set_camera_info(_info())
    return pairing


def test_stamp_of_a_time_message():
    assert stamp_ns(Time(sec=12, nanosec=5)) == 12_000_000_005


def test_exact_stamp_is_matched():
    pairing = _pairing()
    for i in range(5):
        pairing.add_depth(T0 + i * 33 * MS, 640, 480, f'depth {i}')
    found = pairing.match(T0 + 66 * MS, 640, 480)
    assert found.problem is None
    assert found.depth == 'depth 2' and found.offset == 0.0
    assert (found.intrinsics.fx, found.intrinsics.width) == (500.0, 640)


def test_nearest_within_tolerance_is_matched():
    # unsynchronised sensors: depth 12 ms before and 21 ms after the colour frame
    pairing = _pairing()
    pairing.add_depth(T0 - 12 * MS, 640, 480, 'before')
    pairing.add_depth(T0 + 21 * MS, 640, 480, 'after')
    found = pairing.match(T0, 640, 480)
    assert found.depth == 'before' and found.offset == pytest.approx(-0.012)


def test_depth_arriving_after_its_colour_frame_is_found_by_the_worker():
    # the worker matches when it takes the frame, after the depth of the same stamp arrived
    pairing = _pairing()
    pairing.add_depth(T0 - 33 * MS, 640, 480, 'previous')
    colour_stamp = T0  # the colour frame arrives; its depth is still on the way
    pairing.add_depth(T0, 640, 480, 'same stamp')  # arrives while the frame waits
    assert pairing.match(colour_stamp, 640, 480).depth == 'same stamp'


def test_no_depth_yet():
    found = _pairing().match(T0, 640, 480)
    assert found.depth is None
    assert found.problem == ('no depth', 'no depth image received yet')


def test_stale_depth_says_how_old():
    pairing = _pairing()
    pairing.add_depth(T0, 640, 480, 'old')
    kind, message = pairing.match(T0 + 1500 * MS, 640, 480).problem
    assert kind == 'stale depth'
    assert '1.500 s older than the colour frame (tolerance 0.03 s)' in message
    assert 'stopped or lags' in message


def test_colour_frame_older_than_the_buffer():
    pairing = _pairing()
    pairing.add_depth(T0 + 500 * MS, 640, 480, 'new')
    kind, message = pairing.match(T0, 640, 480).problem
    assert kind == 'depth ahead' and 'the oldest by 0.500 s' in message


def test_gap_in_depth_within_the_buffer():
    pairing = _pairing(tolerance=0.01)
    pairing.add_depth(T0 - 40 * MS, 640, 480, 'a')
    pairing.add_depth(T0 + 30 * MS, 640, 480, 'b')
    kind, message = pairing.match(T0, 640, 480).problem
    assert kind == 'no depth match'
    assert 'no depth image within 0.01 s of the colour frame (nearest +0.030 s)' in message


def test_tolerance_zero_is_exact_and_changes_live():
    pairing = _pairing(tolerance=0.0)
    pairing.add_depth(T0 - 2, 640, 480, 'two ns early')
    pairing.add_depth(T0 + 1, 640, 480, 'one ns late')
    assert pairing.match(T0, 640, 480).problem[0] == 'no depth match'
    pairing.tolerance = 0.001
    assert pairing.tolerance == 0.001
    assert pairing.match(T0, 640, 480).depth == 'one ns late'
    with pytest.raises(ValueError, match='tolerance'):
        pairing.tolerance = -1.0


def test_depth_of_another_size_is_refused_by_name():
    pairing = _pairing()
    pairing.add_depth(T0, 1280, 720, 'unaligned')
    kind, message = pairing.match(T0, 640, 480).problem
    assert kind == 'depth size'
    assert 'depth image 1280x720 and colour image 640x480 differ in size' in message
    assert 'aligned_depth_to_color' in message


def test_camera_info_missing_unusable_or_of_another_size():
    pairing = _pairing(info=False)
    pairing.add_depth(T0, 640, 480, 'depth')
    kind, message = pairing.match(T0, 640, 480).problem
    assert kind == 'no camera_info' and 'remap depth/camera_info' in message
    pairing.set_camera_info(_info(k=[0.0] * 9, p=[0.0] * 12))
    kind, message = pairing.match(T0, 640, 480).problem
    assert kind == 'camera_info' and 'not calibrated' in message
    pairing.set_camera_info(_info(width=1280, height=720))
    kind, message = pairing.match(T0, 640, 480).problem
    assert kind == 'camera_info size'
    assert '1280x720 image but the depth image is 640x480' in message
    pairing.set_camera_info(_info())
    assert pairing.match(T0, 640, 480).problem is None


def test_memory_is_bounded_and_used_frames_are_dropped():
    pairing = _pairing(capacity=5)
    for i in range(100):
        pairing.add_depth(T0 + i * 33 * MS, 640, 480, i)
    assert len(pairing) == 5  # frames 95..99
    assert pairing.match(T0 + 97 * 33 * MS, 640, 480).depth == 97
    # frames older than 97's window can serve no later colour frame: dropped
    assert len(pairing) == 3
    assert pairing.match(T0 + 99 * 33 * MS, 640, 480).depth == 99


def test_stamps_jumping_back_do_not_block_matching():
    # a bag played in a loop: stamps restart; old frames leave by arrival order
    pairing = _pairing(capacity=4)
    for i in range(4):
        pairing.add_depth(T0 + i * 33 * MS, 640, 480, ('first', i))
    pairing.add_depth(T0 - 10_000 * MS, 640, 480, ('loop', 0))
    assert pairing.match(T0 - 10_000 * MS, 640, 480).depth == ('loop', 0)


def test_threads_adding_and_matching():
    pairing = _pairing(capacity=8)
    errors = []

    def produce():
        for i in range(2000):
            pairing.add_depth(T0 + i * MS, 640, 480, i)

    def consume():
        try:
            for i in range(0, 2000, 7):
                found = pairing.match(T0 + i * MS, 640, 480)
                assert found.depth is not None or found.problem is not None
        except AssertionError as error:
            errors.append(error)

    threads = [threading.Thread(target=produce), threading.Thread(target=consume)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(pairing) <= 8


def test_arguments_are_validated():
    with pytest.raises(ValueError, match='tolerance'):
        DepthPairing(tolerance=-0.1)
    with pytest.raises(ValueError, match='capacity'):
        DepthPairing(capacity=0)


def _match_in_thread(pairing, stamp, wait):
    found = []
    thread = threading.Thread(target=lambda: found.append(pairing.match(stamp, 640, 480, wait)),
                              daemon=True)
    thread.start()
    return thread, found


def test_a_frame_waits_for_its_depth_still_on_the_way():
    """Aligned depth comes after colour: the worker may be done with the frame before it."""
    pairing = _pairing()
    pairing.add_depth(T0 - 33 * MS, 640, 480, 'previous')
    assert pairing.match(T0, 640, 480).problem[0] == 'stale depth'  # without waiting
    thread, found = _match_in_thread(pairing, T0, wait=60.0)
    time.sleep(0.2)  # the worker is waiting by now (a match without waiting would be done)
    pairing.add_depth(T0, 640, 480, 'this frame')
    thread.join(20.0)
    assert not thread.is_alive() and found[0].depth == 'this frame'


def test_a_dead_depth_stream_or_another_problem_is_not_waited_for():
    """Waiting 60 s would fail the join: only depth that may still come is waited for."""
    pairing = _pairing()
    pairing.add_depth(T0 - 2000 * MS, 640, 480, 'two seconds old')  # the stream stopped
    thread, found = _match_in_thread(pairing, T0, wait=60.0)
    thread.join(20.0)
    assert not thread.is_alive() and found[0].problem[0] == 'stale depth'
    pairing.add_depth(T0, 320, 240, 'another size')
    thread, found = _match_in_thread(pairing, T0, wait=60.0)
    thread.join(20.0)
    assert not thread.is_alive() and found[0].problem[0] == 'depth size'
    thread, found = _match_in_thread(_pairing(), T0, wait=60.0)  # no depth ever: not waited
    thread.join(20.0)
    assert not thread.is_alive() and found[0].problem[0] == 'no depth'


def test_the_first_camera_info_is_waited_for_when_depth_has_just_started():
    pairing = _pairing(info=False)
    pairing.add_depth(T0, 640, 480, 'depth')
    thread, found = _match_in_thread(pairing, T0, wait=60.0)
    time.sleep(0.2)
    pairing.set_camera_info(_info())
    thread.join(20.0)
    assert not thread.is_alive() and found[0].depth == 'depth' and found[0].problem is None
