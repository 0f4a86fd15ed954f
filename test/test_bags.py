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

"""media/bags: image topics are found or refused clearly, and bags are written atomically."""

import cv2
import numpy as np
from person_segmentation.media import bag_storage, bag_topics, bags
from person_segmentation.media.bag_formats import humble_metadata
from person_segmentation.media.frame_source import attach_nearest, Frame
import pytest
from rosbags.typesys import get_typestore, Stores


@pytest.fixture(scope='module')
def photo():
    """Return a real photo of a person (scikit-image astronaut), BGR."""
    data = pytest.importorskip('skimage.data')
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[::4, ::4].copy()


def _write(path, topics, stamp_ns=10**9):
    with bags.AtomicBagWriter(path) as writer:
        for topic, msgtype, message in topics:
            writer.write(writer.add_topic(topic, msgtype), stamp_ns, message)


def test_image_messages_round_trip(photo):
    for encoding, array, expected in [
            ('bgr8', photo, photo),
            ('rgb8', photo[:, :, ::-1], photo),
            ('mono8', photo[:, :, 1], cv2.cvtColor(photo[:, :, 1], cv2.COLOR_GRAY2BGR))]:
        msg = bags.image_message(np.ascontiguousarray(array), 123, 'cam', encoding)
        raw = bags.TYPESTORE.serialize_cdr(msg, bags.IMAGE_TYPE)
        back = bags.TYPESTORE.deserialize_cdr(raw, bags.IMAGE_TYPE)
        assert back.encoding == encoding and back.header.frame_id == 'cam'
        assert bags.stamp_to_ns(back.header.stamp) == 123
        np.testing.assert_array_equal(bags.message_to_bgr(back), expected)


def test_padded_rows_are_unpadded(photo):
    height, width = photo.shape[:2]
    padded = np.zeros((height, width * 3 + 5), np.uint8)
    padded[:, :width * 3] = photo.reshape(height, -1)
    msg = bags.TYPESTORE.types[bags.IMAGE_TYPE](
        header=bags.image_message(photo, 0).header, height=height, width=width,
        encoding='bgr8', is_bigendian=0, step=width * 3 + 5, data=padded.reshape(-1))
    np.testing.assert_array_equal(bags.message_to_bgr(msg), photo)


def test_missing_path_and_non_bag_folder_are_named(tmp_path):
    with pytest.raises(bags.BagError, match='bag not found'):
        bags.BagImageSource(tmp_path / 'nope')
    (tmp_path / 'folder').mkdir()
    with pytest.raises(bags.BagError, match='not a readable rosbag2 bag'):
        bags.BagImageSource(tmp_path / 'folder')


def test_bag_without_image_topic_lists_its_topics(tmp_path):
    bag = tmp_path / 'bools'
    _write(bag, [('/flag', bags.BOOL_TYPE, bags.bool_message(True))])
    with pytest.raises(bags.BagError, match=r'no image topic.*/flag \(std_msgs/msg/Bool\)'):
        bags.BagImageSource(bag)


def test_topic_choice(tmp_path, photo):
    bag = tmp_path / 'two'
    with bags.AtomicBagWriter(bag, storage='sqlite3') as writer:
        raw = writer.add_topic('/cam/image_raw', bags.IMAGE_TYPE)
        jpeg = writer.add_topic('/cam/image_raw/compressed', bags.COMPRESSED_IMAGE_TYPE)
        for index in range(3):
            stamp = 10**9 + index * 10**8
            writer.write(raw, stamp, bags.image_message(photo, stamp))
            writer.write(jpeg, stamp, bags.compressed_image_message(photo, stamp))
        writer.write(jpeg, 2 * 10**9, bags.compressed_image_message(photo, 2 * 10**9))
    assert {(t.name, t.count) for t in bags.list_image_topics(bag)} == {
        ('/cam/image_raw', 3), ('/cam/image_raw/compressed', 4)}
    with bags.BagImageSource(bag) as source:
        assert source.topic == '/cam/image_raw'  # raw before compressed, despite fewer messages
        assert 'raw Image before CompressedImage' in source.chosen_because
    with bags.BagImageSource(bag, topic='/cam/image_raw') as source:
        assert [f.stamp_ns for f in source] == [10**9, 11 * 10**8, 12 * 10**8]
    with pytest.raises(bags.BagError, match="no image topic '/other'"):
        bags.BagImageSource(bag, topic='/other')


@pytest.mark.parametrize('distro, storage, stored', [('humble', None, 'sqlite3'),
                                                     ('jazzy', None, 'mcap'),
                                                     ('humble', 'mcap', 'mcap')])
def test_the_storage_defaults_to_what_the_distribution_reads(tmp_path, photo, distro, storage,
                                                             stored):
    """Failed on the old code for Humble: only the CLIs knew, the writer wrote MCAP."""
    bag = tmp_path / distro
    with bags.AtomicBagWriter(bag, storage=storage, ros_distro=distro) as writer:
        writer.write(writer.add_topic('/cam/image', bags.IMAGE_TYPE), 10**9,
                     bags.image_message(photo, 10**9))
    (data_file,) = [p for p in bag.iterdir() if p.name != bag_storage.METADATA_FILE]
    # the storage names and suffixes every tool uses are those rosbag2 (rosbags) writes
    assert data_file.suffix == bag_storage.SUFFIXES[stored]
    assert bag_storage.storage_of(bag) == bag_storage.storage_of(data_file) == stored
    assert bag_storage.is_bag(bag) and bag_storage.is_bag(data_file)
    assert not bag_storage.is_bag(tmp_path) and bag_storage.storage_of(tmp_path) == ''
    with bags.BagImageSource(bag) as source:
        assert [f.stamp_ns for f in source] == [10**9]


def test_writer_discards_everything_on_error(tmp_path, photo):
    bag = tmp_path / 'bag'
    with pytest.raises(KeyboardInterrupt):
        with bags.AtomicBagWriter(bag) as writer:
            connection = writer.add_topic('/image', bags.IMAGE_TYPE)
            writer.write(connection, 1, bags.image_message(photo, 1))
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_writer_refuses_existing_output_and_missing_folder(tmp_path):
    (tmp_path / 'bag').mkdir()
    with pytest.raises(bags.BagError, match='--force'):
        bags.AtomicBagWriter(tmp_path / 'bag').__enter__()
    with pytest.raises(bags.BagError, match='does not exist'):
        bags.AtomicBagWriter(tmp_path / 'no' / 'bag').__enter__()
    with pytest.raises(ValueError, match='storage'):
        bags.AtomicBagWriter(tmp_path / 'x', storage='rosbag1')


def test_the_message_definitions_written_are_humbles_too():
    """One typestore (Kilted's) serialises for every distribution, Humble included."""
    humble = get_typestore(Stores.ROS2_HUMBLE)
    for msgtype in (bags.IMAGE_TYPE, bags.COMPRESSED_IMAGE_TYPE, bags.BOOL_TYPE,
                    'std_msgs/msg/Header', 'builtin_interfaces/msg/Time'):
        assert humble.generate_msgdef(msgtype, ros_version=2) == \
            bags.TYPESTORE.generate_msgdef(msgtype, ros_version=2), msgtype


def test_unknown_distribution_and_unexpected_version_are_refused(tmp_path):
    with pytest.raises(ValueError, match='unknown ROS 2 distribution .foxy.; choose one of '
                                         'humble, jazzy, kilted'):
        bags.AtomicBagWriter(tmp_path / 'bag', ros_distro='foxy')
    with pytest.raises(ValueError, match='expected rosbag2 metadata version 8, got 9'):
        humble_metadata({'version': 9})


def test_camera_info_and_16uc1_depth_are_written_as_humble_reads_them():
    humble = get_typestore(Stores.ROS2_HUMBLE)
    for msgtype in ('sensor_msgs/msg/CameraInfo', 'sensor_msgs/msg/RegionOfInterest'):
        assert humble.generate_msgdef(msgtype, ros_version=2) == \
            bags.TYPESTORE.generate_msgdef(msgtype, ros_version=2), msgtype
    depth = np.array([[0, 1, 65535], [1500, 4000, 2]], np.uint16)
    msg = bags.image_message(depth, 5, 'optical')
    assert (msg.encoding, msg.step, msg.width, msg.height) == ('16UC1', 6, 3, 2)
    back = bags.TYPESTORE.deserialize_cdr(bags.TYPESTORE.serialize_cdr(msg, bags.IMAGE_TYPE),
                                          bags.IMAGE_TYPE)
    np.testing.assert_array_equal(bags.image_to_array(back), depth)


COLOUR = '/camera/camera/color/image_raw'
ALIGNED = '/camera/camera/aligned_depth_to_color/image_raw'


def _topics(*rows):
    return [bag_topics.ImageTopic(name, msgtype, count) for name, msgtype, count in rows]


def test_a_depth_topic_is_never_replayed_as_the_colour_image():
    """Failed on the old code: the aligned depth topic sorts first and was chosen."""
    topics = _topics((ALIGNED, bags.IMAGE_TYPE, 30), (COLOUR, bags.IMAGE_TYPE, 30),
                     ('/camera/camera/aligned_depth_to_color/camera_info',
                      bag_topics.CAMERA_INFO_TYPE, 30))
    assert bag_topics.choose_image_topic(topics)[0].name == COLOUR
    with pytest.raises(bag_topics.BagTopicError,
                       match=r'the bag has no colour image topic .*not named as depth\); its '
                             r'topics: /camera/camera/aligned_depth_to_color/camera_info'):
        bag_topics.choose_image_topic(topics[:1] + topics[2:])


@pytest.mark.parametrize('rows, colour, want', [
    # realsense2_camera: aligned before raw depth, camera_info beside the depth
    ([(ALIGNED, 30), ('/camera/camera/depth/image_rect_raw', 60),
      ('/camera/camera/aligned_depth_to_color/camera_info', 30)],
     COLOUR, (ALIGNED, '/camera/camera/aligned_depth_to_color/camera_info')),
    # two cameras: each colour topic gets its own camera's depth
    ([('/front/aligned_depth_to_color/image_raw', 30),
      ('/rear/aligned_depth_to_color/image_raw', 40),
      ('/rear/aligned_depth_to_color/camera_info', 40)],
     '/front/color/image_raw', ('/front/aligned_depth_to_color/image_raw', None)),
    # ZED: depth_registered, with only the colour camera's camera_info: aligned depth uses it
    ([('/zed/zed_node/depth/depth_registered', 15),
      ('/zed/zed_node/rgb/camera_info', 15)],
     '/zed/zed_node/rgb/image_rect_color',
     ('/zed/zed_node/depth/depth_registered', '/zed/zed_node/rgb/camera_info')),
    # another camera's depth is not this one's
    ([('/front/aligned_depth_to_color/image_raw', 30), ('/front/color/image_raw', 30)],
     '/rear/color/image_raw', None),
    # compressed depth is not read; no depth at all
    ([('/camera/depth/image_raw/compressed', 30)], '/camera/rgb/image_raw', None),
    ([], '/camera/image_raw', None),
])
def test_the_depth_topic_of_a_colour_topic(rows, colour, want):
    topics = _topics(*[(name, bag_topics.CAMERA_INFO_TYPE if name.endswith('camera_info')
                        else bags.COMPRESSED_IMAGE_TYPE if name.endswith('compressed')
                        else bags.IMAGE_TYPE, count) for name, count in rows],
                     (colour, bags.IMAGE_TYPE, 30))
    found = bag_topics.choose_depth_topics(topics, colour)
    assert (found and found[:2]) == want
    if want and len([r for r in rows if 'depth' in r[0]]) > 1:
        assert found.reason.startswith('2 depth topics')


def test_a_named_depth_topic_must_be_a_raw_image_topic():
    topics = _topics((COLOUR, bags.IMAGE_TYPE, 3), ('/flag', bags.BOOL_TYPE, 3))
    assert bag_topics.choose_depth_topics(topics, COLOUR, wanted=COLOUR) == \
        bag_topics.DepthTopics(COLOUR, None, '')
    with pytest.raises(bag_topics.BagTopicError, match='has no sensor_msgs/msg/Image topic '
                                                       "'/flag' for depth"):
        bag_topics.choose_depth_topics(topics, COLOUR, wanted='/flag')
    assert bag_topics.camera_info_topic('/a/b/image_raw/compressed') == '/a/b/camera_info'
    assert bag_topics.camera_info_topic('depth') == 'camera_info'  # a relative name
    assert bag_topics.camera_info_topic('front/depth/image') == 'front/depth/camera_info'


def _raw(topic, stamp_ns):
    return bags.RawMessage(topic, bags.IMAGE_TYPE, stamp_ns, b'')


def test_each_depth_message_goes_with_the_nearest_colour_frame_once():
    """Colour at 10 Hz; depth at 5 Hz, 20 ms late, plus one before and one after the frames."""
    colour = [Frame(stamp, None, 'cam') for stamp in range(1000, 1600, 100)]
    depth = [_raw('/d', stamp) for stamp in (900, 1020, 1220, 1420, 1700)]
    info = [_raw('/i', 1000)]  # a static camera_info, recorded once
    attached = list(attach_nearest(colour, [info, depth]))
    assert [frame.stamp_ns for frame in attached] == list(range(1000, 1600, 100))
    assert [[(m.topic, m.stamp_ns) for m in frame.depth] for frame in attached] == [
        [('/i', 1000), ('/d', 900), ('/d', 1020)], [], [('/d', 1220)], [], [('/d', 1420)],
        [('/d', 1700)]]
    # a message half-way between two frames goes with the earlier one
    halves = list(attach_nearest(colour[:2], [[_raw('/d', 1050), _raw('/d', 1051)]]))
    assert [[m.stamp_ns for m in frame.depth] for frame in halves] == [[1050], [1051]]
