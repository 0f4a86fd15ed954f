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

"""The node's outputs are matched to the frames they answer, also without a header."""

from person_segmentation import names
from person_segmentation.replay.outputs import OutputCollector
from sensor_msgs.msg import Image
from std_msgs.msg import Bool


def _output(stamp_ns):
    msg = Image()
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp_ns, 10**9)
    return msg


def test_collector_pairs_headerless_bools_despite_a_frame_processed_twice():
    collector = OutputCollector()
    collector.required = (names.OVERLAY, names.MASK, names.PERSON_DETECTED)
    first, second = 10**9, 2 * 10**9
    collector.published(0, first)
    collector.published(1, second)
    # frame 0 is processed twice (lossless mode resent it), then frame 1
    for stamp, detected in ((first, True), (first, True), (second, False)):
        collector.on_image(names.MASK, _output(stamp))
        collector.on_image(names.OVERLAY, _output(stamp))
        collector.on_bool(Bool(data=detected))
    results = {}
    while not collector.completed.empty():
        result = collector.completed.get()
        results[result.index] = result.person_detected
    assert results == {0: True, 1: False}
