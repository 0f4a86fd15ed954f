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
Read and write rosbag2 recordings of camera images without a ROS installation.

Recorded footage reaches the node as rosbag2 bags, and the replay tools must run from the pip
environment alone, so bags are written and read with the pure-Python ``rosbags`` library
(rosbag2 MCAP and sqlite3; metadata version 9 as written by Jazzy and Kilted, or the version 5
that Humble reads, see person_segmentation.media.bag_formats). Writes are atomic: a bag is
assembled in a hidden temporary directory beside the target and renamed into place only when
complete, so an interrupted run never leaves a bag that looks complete. No rclpy here: images
are converted
from message objects by their fields (person_segmentation.media.image_conversion), which works for
rosbags' and rclpy's message classes alike.
"""

from dataclasses import dataclass
import pathlib
import shutil
import tempfile
from typing import Iterator, List, NamedTuple, Optional, Sequence

import cv2
import numpy as np
from person_segmentation.media import image_conversion
from person_segmentation.media.bag_formats import bag_format, DEFAULT_ROS_DISTRO, humble_metadata
from person_segmentation.media.bag_storage import MCAP, SQLITE3, STORAGES
from person_segmentation.media.bag_topics import (BagTopicError, CAMERA_INFO_TYPE,
                                                  choose_image_topic, COMPRESSED_IMAGE_TYPE,
                                                  IMAGE_TYPE, IMAGE_TYPES, ImageTopic)
from person_segmentation.media.camera_info import CameraCalibration
from rosbags.highlevel import AnyReader, AnyReaderError
from rosbags.interfaces import (Qos, QosDurability, QosHistory, QosLiveliness, QosReliability,
                                QosTime)
from rosbags.rosbag2 import StoragePlugin, Writer, WriterError
from rosbags.typesys import get_typestore, Stores
import yaml

# Message definitions of ROS 2 Kilted (Image, CompressedImage, CameraInfo, Bool, Header and
# Time are identical in Jazzy, and in Humble: test_bags checks it, so one typestore serves every
# distribution).
TYPESTORE = get_typestore(Stores.ROS2_KILTED)
BOOL_TYPE = 'std_msgs/msg/Bool'
_STORAGE_PLUGINS = {MCAP: StoragePlugin.MCAP, SQLITE3: StoragePlugin.SQLITE3}
_DEFAULT_DURATION = QosTime(0, 0)  # RMW_DURATION_UNSPECIFIED: the middleware default (infinite)


class BagError(Exception):
    """A bag cannot be read or written; the message names the bag and the problem."""


def reliable_qos(depth: int = 10) -> Qos:
    """
    Return the offered QoS recorded for a topic: reliable, volatile, keep last ``depth``.

    ``ros2 bag play`` republishes a topic with the profile recorded for it, and reliable
    delivery keeps large images from being dropped by DDS.
    """
    return Qos(QosHistory.KEEP_LAST, depth, QosReliability.RELIABLE, QosDurability.VOLATILE,
               _DEFAULT_DURATION, _DEFAULT_DURATION, QosLiveliness.AUTOMATIC, _DEFAULT_DURATION,
               False)


def _stamp(stamp_ns: int):
    sec, nanosec = divmod(int(stamp_ns), 1_000_000_000)
    return TYPESTORE.types['builtin_interfaces/msg/Time'](sec=sec, nanosec=nanosec)


def _header(stamp_ns: int, frame_id: str):
    return TYPESTORE.types['std_msgs/msg/Header'](stamp=_stamp(stamp_ns), frame_id=frame_id)


def stamp_to_ns(stamp) -> int:
    """Nanoseconds of a builtin_interfaces/Time (any message class with sec and nanosec)."""
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


def _encoding_of(array: np.ndarray) -> str:
    if array.dtype == np.uint8 and array.ndim == 2:
        return 'mono8'
    if array.dtype == np.uint8 and array.ndim == 3 and array.shape[2] == 3:
        return 'bgr8'
    if array.dtype == np.float32 and array.ndim == 2:
        return '32FC1'
    if array.dtype == np.uint16 and array.ndim == 2:
        return '16UC1'  # REP 118 depth in millimetres
    raise ValueError(f'no image encoding for an array of {array.dtype} with shape {array.shape}')


def image_message(array: np.ndarray, stamp_ns: int, frame_id: str = '',
                  encoding: Optional[str] = None):
    """Return a rosbags sensor_msgs/Image of ``array`` (BGR or mono uint8, uint16, float32)."""
    array = np.ascontiguousarray(array)
    encoding = encoding or _encoding_of(array)
    height, width = array.shape[:2]
    return TYPESTORE.types[IMAGE_TYPE](
        header=_header(stamp_ns, frame_id), height=height, width=width, encoding=encoding,
        is_bigendian=0, step=array.strides[0],
        data=np.frombuffer(array.tobytes(), dtype=np.uint8))


def compressed_image_message(bgr: np.ndarray, stamp_ns: int, frame_id: str = '',
                             quality: int = 90):
    """Return a rosbags sensor_msgs/CompressedImage holding ``bgr`` encoded as JPEG."""
    ok, jpeg = cv2.imencode('.jpg', bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError(f'JPEG encoding failed for an image of shape {bgr.shape}')
    return TYPESTORE.types[COMPRESSED_IMAGE_TYPE](
        header=_header(stamp_ns, frame_id), format='jpeg',
        data=np.asarray(jpeg, dtype=np.uint8).reshape(-1))


def camera_info_message(calibration: CameraCalibration, stamp_ns: int, frame_id: str = ''):
    """Return a rosbags sensor_msgs/CameraInfo of ``calibration`` (no binning, full image)."""
    types = TYPESTORE.types
    return types[CAMERA_INFO_TYPE](
        header=_header(stamp_ns, frame_id), height=calibration.height, width=calibration.width,
        distortion_model=calibration.distortion_model,
        d=np.asarray(calibration.d, dtype=np.float64), k=np.asarray(calibration.k, np.float64),
        r=np.asarray(calibration.r, np.float64), p=np.asarray(calibration.p, np.float64),
        binning_x=0, binning_y=0,
        roi=types['sensor_msgs/msg/RegionOfInterest'](x_offset=0, y_offset=0, height=0,
                                                      width=0, do_rectify=False))


def bool_message(value: bool):
    """Return a rosbags std_msgs/Bool."""
    return TYPESTORE.types[BOOL_TYPE](data=bool(value))


def image_to_array(msg) -> np.ndarray:
    """Pixels of a sensor_msgs/Image as (height, width[, channels]), as encoded, unpadded."""
    return image_conversion.fields_to_array(msg.encoding, msg.height, msg.width, msg.step,
                                            bool(msg.is_bigendian), msg.data)


def message_to_bgr(msg) -> np.ndarray:
    """BGR uint8 pixels of a sensor_msgs/Image or CompressedImage (any supported encoding)."""
    if hasattr(msg, 'format'):  # CompressedImage
        rgb = image_conversion.compressed_to_rgb(msg.data, msg.format)
    elif str(msg.encoding).lower() in ('bgr8', '8uc3'):
        return np.ascontiguousarray(image_to_array(msg))
    else:
        rgb = image_conversion.fields_to_rgb(msg.encoding, msg.height, msg.width, msg.step,
                                             bool(msg.is_bigendian), msg.data)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def can_write(msgtype: str) -> bool:
    """Whether bags can hold ``msgtype`` messages (its definition is in the typestore)."""
    return msgtype in TYPESTORE.types


def _check_storage(storage: str) -> StoragePlugin:
    if storage not in _STORAGE_PLUGINS:
        raise ValueError(f'unknown bag storage {storage!r}; choose one of {", ".join(STORAGES)}')
    return _STORAGE_PLUGINS[storage]


def check_output_path(path, force: bool = False) -> pathlib.Path:
    """Raise BagError if ``path`` exists and ``force`` is false, or its folder is missing."""
    path = pathlib.Path(path)
    if path.exists() and not force:
        raise BagError(f'{path} exists already; remove it or pass --force to replace it')
    if not path.parent.is_dir():
        raise BagError(f'cannot write {path}: folder {path.parent} does not exist')
    return path


class AtomicBagWriter:
    """
    Context manager writing a rosbag2 bag into a temporary directory, renamed on success.

    On an exception (KeyboardInterrupt included) the temporary directory is removed and an
    existing bag at the target is left untouched; with ``force`` an existing target is replaced
    only after the new bag is complete. ``ros_distro`` names the oldest ROS 2 distribution that
    must read the bag (bag_formats.ROS_DISTROS): Jazzy and later read the default, version 9.
    ``storage`` None is that distribution's own (sqlite3 for Humble, mcap after).
    """

    def __init__(self, path, storage: Optional[str] = None, force: bool = False,
                 ros_distro: str = DEFAULT_ROS_DISTRO):
        self.path = pathlib.Path(path)
        self.format = bag_format(ros_distro)
        self.storage = storage or self.format.default_storage
        self.force = force
        self._plugin = _check_storage(self.storage)
        self._tmpdir: Optional[pathlib.Path] = None
        self._writer: Optional[Writer] = None
        self.message_count = 0

    def __enter__(self) -> 'AtomicBagWriter':
        """Create the temporary bag beside the target."""
        check_output_path(self.path, self.force)
        try:  # a read-only folder fails here: say so, not with a traceback
            self._tmpdir = pathlib.Path(tempfile.mkdtemp(
                prefix=f'.{self.path.name}.partial-', dir=self.path.parent))
        except OSError as error:
            raise BagError(f'cannot write {self.path}: {error.strerror} '
                           f'(folder {self.path.parent})') from None
        try:
            self._writer = Writer(self._tmpdir / self.path.name,
                                  version=self.format.rosbags_version,
                                  storage_plugin=self._plugin)
            self._writer.open()
        except BaseException:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            raise
        return self

    def add_topic(self, topic: str, msgtype: str, qos: Optional[Qos] = None):
        """Declare a topic; returns the connection to pass to ``write``."""
        return self._writer.add_connection(topic, msgtype, typestore=TYPESTORE,
                                           offered_qos_profiles=[qos or reliable_qos()])

    def write(self, connection, timestamp_ns: int, message) -> None:
        """Serialise a rosbags message (CDR) and store it at ``timestamp_ns``."""
        self.write_raw(connection, timestamp_ns,
                       TYPESTORE.serialize_cdr(message, connection.msgtype))

    def write_raw(self, connection, timestamp_ns: int, data) -> None:
        """Store an already CDR-serialised message (e.g. rclpy's ``serialize_message``)."""
        self._writer.write(connection, int(timestamp_ns), data)
        self.message_count += 1

    def __exit__(self, exc_type, exc, tb) -> bool:
        """Finish and rename the bag into place, or discard it on an exception."""
        try:
            if exc_type is None:
                self._writer.close()
                if self.format.metadata_version != self.format.rosbags_version:  # Humble
                    _rewrite_for_humble(self._tmpdir / self.path.name / 'metadata.yaml')
                if self.path.is_dir() and not self.path.is_symlink():
                    shutil.rmtree(self.path)
                elif self.path.exists() or self.path.is_symlink():
                    self.path.unlink()
                (self._tmpdir / self.path.name).rename(self.path)
            else:
                self._writer.abort()
        finally:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
        return False


def _rewrite_for_humble(metadata_path: pathlib.Path) -> None:
    document = yaml.safe_load(metadata_path.read_text())
    document['rosbag2_bagfile_information'] = humble_metadata(
        document['rosbag2_bagfile_information'])
    metadata_path.write_text(yaml.safe_dump(document, sort_keys=False))


@dataclass(frozen=True)
class BagFrame:
    """One image read from a bag."""

    index: int
    stamp_ns: int  # header stamp; the bag's receive time when the header stamp is zero
    bgr: np.ndarray
    frame_id: str


def _deserialize(reader: AnyReader, raw, connection, path):
    try:
        return reader.deserialize(raw, connection.msgtype)
    except AnyReaderError as err:
        raise BagError(f'cannot deserialise a {connection.msgtype} message on '
                       f'{connection.topic} in {path}: {err}') from None


def _open_reader(path: pathlib.Path) -> AnyReader:
    if not path.exists():
        raise BagError(f'bag not found: {path}')
    try:
        reader = AnyReader([path], default_typestore=TYPESTORE)
        reader.open()
    except (AnyReaderError, FileNotFoundError, WriterError, OSError, ValueError) as err:
        raise BagError(f'{path} is not a readable rosbag2 bag (a folder with metadata.yaml, '
                       f'or a .mcap or .db3 file): {err}') from None
    return reader


def list_topics(path) -> List[ImageTopic]:
    """Every topic of the bag at ``path`` with its type and message count."""
    reader = _open_reader(pathlib.Path(path))
    try:
        return _topics(reader)
    finally:
        reader.close()


def list_image_topics(path) -> List[ImageTopic]:
    """Image topics (sensor_msgs Image or CompressedImage) in the bag at ``path``."""
    return [t for t in list_topics(path) if t.msgtype in IMAGE_TYPES]


def _topics(reader: AnyReader) -> List[ImageTopic]:
    """Every topic of the bag with its message count (a topic may span connections)."""
    counts = {}
    for conn in reader.connections:
        key = (conn.topic, conn.msgtype)
        counts[key] = counts.get(key, 0) + conn.msgcount
    return [ImageTopic(name, msgtype, count) for (name, msgtype), count in counts.items()]


class _OpenBag:
    """A bag open for reading, closed by ``close`` or at the end of a ``with`` block."""

    path: pathlib.Path
    _reader: Optional[AnyReader]

    def close(self) -> None:
        """Close the bag."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def __enter__(self):
        """Return self."""
        return self

    def __exit__(self, *exc) -> bool:
        """Close the bag."""
        self.close()
        return False


class BagImageSource(_OpenBag):
    """
    Frames of one image topic of a bag, decoded to BGR, in recording order.

    ``topic=None`` picks the image topic by ``bag_topics.choose_image_topic`` (the rule the
    launch file uses too); ``chosen_because`` says why when there was a choice; ``topics``
    lists every topic of the bag (read once, e.g. for its depth topic).
    """

    def __init__(self, path, topic: Optional[str] = None):
        self.path = pathlib.Path(path)
        self._reader = _open_reader(self.path)
        try:
            self._select(topic)
        except BaseException:
            self._reader.close()
            raise

    def _select(self, topic: Optional[str]) -> None:
        self.topics = topics = _topics(self._reader)
        if topic is not None:
            matches = [t for t in topics if t.name == topic and t.msgtype in IMAGE_TYPES]
            if not matches:
                listing = ', '.join(sorted(f'{t.name} ({t.msgtype})' for t in topics)) or 'none'
                raise BagError(f'{self.path} has no image topic {topic!r} (sensor_msgs/msg/Image '
                               f'or CompressedImage); its topics: {listing}')
            chosen = matches[0]
            self.chosen_because = ''
        else:
            try:
                chosen, self.chosen_because = choose_image_topic(topics, str(self.path))
            except BagTopicError as err:
                raise BagError(str(err)) from None
        if chosen.count == 0:
            raise BagError(f'image topic {chosen.name} in {self.path} has no messages')
        self.topic = chosen.name
        self.msgtype = chosen.msgtype
        self.frame_count = chosen.count
        self._connections = [c for c in self._reader.connections
                             if c.topic == chosen.name and c.msgtype == chosen.msgtype]
        first = next(iter(self), None)
        if first is None:
            raise BagError(f'image topic {chosen.name} in {self.path} has no messages')
        self.size = (first.bgr.shape[1], first.bgr.shape[0])
        self.start_ns = first.stamp_ns
        duration_ns = self._reader.duration  # of the whole bag: close enough for a rate
        self.fps = ((self.frame_count - 1) * 1e9 / duration_ns
                    if self.frame_count > 1 and duration_ns > 0 else 10.0)

    def messages(self) -> Iterator:
        """Yield ``(bag_time_ns, deserialised message)`` in bag order, without decoding."""
        for conn, bag_time_ns, raw in self._reader.messages(connections=self._connections):
            yield bag_time_ns, _deserialize(self._reader, raw, conn, self.path)

    def __iter__(self) -> Iterator[BagFrame]:
        """Yield every frame of the topic decoded to BGR."""
        for index, (bag_time_ns, msg) in enumerate(self.messages()):
            stamp_ns = stamp_to_ns(msg.header.stamp) or bag_time_ns
            try:
                bgr = message_to_bgr(msg)
            except ValueError as err:
                raise BagError(f'message {index} on {self.topic} in {self.path}: {err}') from None
            yield BagFrame(index, stamp_ns, bgr, msg.header.frame_id)


class RawMessage(NamedTuple):
    """A message as stored (CDR bytes, which rclpy publishes as they are) and its stamp."""

    topic: str
    msgtype: str
    stamp_ns: int  # header stamp; the bag's receive time when the header stamp is zero
    data: bytes


class BagTopicStream(_OpenBag):
    """
    The messages of some topics of a bag (e.g. depth and camera_info), undecoded, in bag order.

    Read with a reader of its own, so it can be iterated beside a BagImageSource of the same bag.
    """

    def __init__(self, path, topics: Sequence[str]):
        self.path = pathlib.Path(path)
        self._reader = _open_reader(self.path)
        self._connections = [c for c in self._reader.connections if c.topic in set(topics)]
        missing = set(topics) - {c.topic for c in self._connections}
        if missing:
            self._reader.close()
            raise BagError(f'{self.path} has no topic {", ".join(sorted(missing))}')

    def __iter__(self) -> Iterator[RawMessage]:
        """Yield every message of the topics with its header stamp, in bag order."""
        for conn, bag_time_ns, raw in self._reader.messages(connections=self._connections):
            header = _deserialize(self._reader, raw, conn, self.path).header
            yield RawMessage(conn.topic, conn.msgtype, stamp_to_ns(header.stamp) or bag_time_ns,
                             bytes(raw))
