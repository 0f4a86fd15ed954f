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
from person_segmentation.replay.outputs import extra_outputs, FRAME_OUTPUTS, OutputCollector
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


def test_extra_outputs_are_handed_on_once_per_frame_and_never_waited_for():
    """Outputs beyond the frame's (persons, the depth outputs) come for some frames only."""
    collector = OutputCollector()
    collector.required = (names.OVERLAY,)
    first, second, foreign = 10**9, 2 * 10**9, 3 * 10**9
    collector.published(0, first)
    collector.published(1, second)
    collector.on_extra('nearest_person', _output(first))
    collector.on_extra('nearest_person', _output(first))  # frame 0 answered twice
    collector.on_extra('persons_cloud', _output(first))
    collector.on_extra('nearest_person', _output(foreign))  # not a frame of this replay
    collector.on_image(names.OVERLAY, _output(first))
    collector.on_image(names.OVERLAY, _output(second))  # frame 1 complete without extras
    extras = []
    while not collector.extras.empty():
        extra = collector.extras.get()
        extras.append((extra.name, extra.stamp_ns))
    assert extras == [('nearest_person', first), ('persons_cloud', first)]
    assert collector.completed.qsize() == 2


def test_every_output_named_beyond_the_frames_is_an_extra(monkeypatch):
    """A new output needs only its name and type in names.py to be subscribed and recorded."""
    assert extra_outputs() == (names.PERSONS, names.NEAREST_PERSON, names.PERSONS_CLOUD)
    monkeypatch.setattr(names, 'OUTPUT_TYPES', {
        **names.OUTPUT_TYPES, 'people_3d': 'vision_msgs/msg/Detection3DArray'})
    monkeypatch.setattr(names, 'OUTPUTS', tuple(names.OUTPUT_TYPES))
    assert extra_outputs()[-1] == 'people_3d'
    assert set(FRAME_OUTPUTS) | set(extra_outputs()) == set(names.OUTPUTS)
