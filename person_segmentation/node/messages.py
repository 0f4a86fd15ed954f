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
The ROS messages of the node and of the cameras it listens to, built from arrays in one place.

What an output looks like (encodings, the input header carried unchanged, the vision_msgs
version differences, the point cloud's layout, the diagnostics table) is decided here and
nowhere else, and the replay tool builds its camera images here too, so a replay publishes
exactly what a camera driver would. Messages only: no rclpy, so all of it is testable without
a ROS graph.
"""

import math
import sys
from typing import Any, Dict, Iterable, Mapping, Optional, Sequence, Tuple

from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import PointStamped
import numpy as np
from person_segmentation.media.image_conversion import array_to_fields, byte_array
from person_segmentation.node.input_loss import InputLossReport
from sensor_msgs.msg import Image, PointCloud2, PointField
from std_msgs.msg import Bool, Header

try:  # vision_msgs is optional (not on PyPI)
    from vision_msgs.msg import Detection2D, Detection2DArray, ObjectHypothesisWithPose
except ImportError:  # pragma: no cover - depends on the installation
    Detection2D = Detection2DArray = ObjectHypothesisWithPose = None

#: ~/probability encodings: 0-255 or the probability itself in [0, 1]
PROBABILITY_ENCODINGS = ('mono8', '32FC1')
#: /diagnostics turns WARN when no image arrived for this long (seconds)
NO_INPUT_WARN_SECONDS = 5.0
#: the class every detection on ~/persons carries
PERSON_CLASS = 'person'


# ---------------------------------------------------------------------- stamps and headers
def stamp_seconds(stamp) -> float:
    """Return a builtin_interfaces/Time as seconds (0.0 for an unset stamp)."""
    return float(stamp.sec) + float(stamp.nanosec) * 1e-9


def stamp(nanoseconds: int) -> Time:
    """Return the builtin_interfaces/Time of a time in integer nanoseconds."""
    sec, nanosec = divmod(int(nanoseconds), 1_000_000_000)
    return Time(sec=sec, nanosec=nanosec)


def header(stamp_ns: int, frame_id: str) -> Header:
    """Return a std_msgs/Header stamped ``stamp_ns`` in ``frame_id``."""
    return Header(stamp=stamp(stamp_ns), frame_id=frame_id)


# ---------------------------------------------------------------------- images
def image(msg_header: Header, array: np.ndarray, encoding: str) -> Image:
    """Return a sensor_msgs/Image of ``array`` (rows unpadded) with ``msg_header`` unchanged."""
    msg = Image(**array_to_fields(array, encoding))
    msg.header = msg_header
    return msg


def camera_image(bgr: np.ndarray, stamp_ns: int, frame_id: str) -> Image:
    """Return a BGR frame as a camera driver publishes it: bgr8, stamped, in its frame."""
    return image(header(stamp_ns, frame_id), bgr, 'bgr8')


def mask_image(msg_header: Header, mask: np.ndarray) -> Image:
    """Return ~/mask: mono8, 255 = person."""
    return image(msg_header, mask, 'mono8')


def probability_image(msg_header: Header, probability: np.ndarray, encoding: str) -> Image:
    """Return ~/probability: mono8 (0-255, rounded) or 32FC1 (0-1), see PROBABILITY_ENCODINGS."""
    if encoding == '32FC1':
        return image(msg_header, probability.astype(np.float32, copy=False), '32FC1')
    if encoding != 'mono8':
        raise ValueError(f'probability encoding must be one of '
                         f'{", ".join(PROBABILITY_ENCODINGS)}, got {encoding!r}')
    return image(msg_header, (probability * 255.0 + 0.5).astype(np.uint8), 'mono8')


def overlay_image(msg_header: Header, bgr: np.ndarray) -> Image:
    """Return ~/overlay: bgr8."""
    return image(msg_header, bgr, 'bgr8')


def flag(value: bool) -> Bool:
    """Return ~/person_detected."""
    return Bool(data=bool(value))


# ---------------------------------------------------------------------- people in 3D
_CLOUD_FIELDS = tuple(('xyz'[i], 4 * i) for i in range(3))
CLOUD_POINT_STEP = 12
#: ~/nearest_person with nobody in view: REP 117's "nothing within range"
NOBODY = (math.inf, math.inf, math.inf)
#: ~/nearest_person with people in view but none measured: REP 117's "no valid measurement"
UNMEASURED = (math.nan, math.nan, math.nan)


def xyz_cloud(points: np.ndarray, msg_header: Optional[Header] = None) -> PointCloud2:
    """
    Return ~/persons_cloud: x, y, z float32 points of ``points`` (N, 3), metres.

    The layout nav2's obstacle and voxel layers, its collision monitor and RViz read: three
    FLOAT32 fields x, y, z at offsets 0, 4, 8, point_step 12, one row (height 1, width N,
    unordered), every point finite (is_dense), this machine's byte order (is_bigendian says
    which); ``msg_header`` (the input frame's) unchanged.
    """
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] != 3:
        raise ValueError(f'points must be an (N, 3) array, got shape {points.shape}')
    points = np.ascontiguousarray(points, dtype=np.float32)
    if not np.isfinite(points).all():
        raise ValueError('points must be finite (the cloud is published dense)')
    cloud = PointCloud2(
        height=1, width=len(points),
        fields=[PointField(name=name, offset=offset, datatype=PointField.FLOAT32, count=1)
                for name, offset in _CLOUD_FIELDS],
        is_bigendian=sys.byteorder == 'big', point_step=CLOUD_POINT_STEP,
        row_step=CLOUD_POINT_STEP * len(points), data=byte_array(points), is_dense=True)
    if msg_header is not None:
        cloud.header = msg_header
    return cloud


def nearest_person(msg_header: Header, people) -> PointStamped:
    """
    Return ~/nearest_person: the nearest measured person's point in the optical frame.

    ``people`` is engine.people_3d.People3D. Nobody in view: x = y = z = +inf (NOBODY); people
    in view, none with a valid depth (too close, all holes, out of range): NaN (UNMEASURED), so
    a safety node never takes "a person at unknown distance" for "nobody".
    """
    nearest = people.nearest
    point = nearest.point if nearest is not None else UNMEASURED if people.people else NOBODY
    msg = PointStamped(header=msg_header)
    msg.point.x, msg.point.y, msg.point.z = (float(value) for value in point)
    return msg


# ---------------------------------------------------------------------- detections
DETECTIONS_AVAILABLE = Detection2DArray is not None


def detections(msg_header: Header, regions: Iterable[Any],
               points: Optional[Sequence[Optional[Sequence[float]]]] = None):
    """
    Return ~/persons: a vision_msgs/Detection2DArray, one detection per person region.

    ``regions`` have ``bbox`` (x, y, w, h in pixels) and ``confidence``. ``points`` (with
    depth: one per region, in order) puts each person's point in the optical frame, metres,
    in its hypothesis's pose position (NaN for a person without a valid depth). Handles
    vision_msgs before 3 (hypothesis fields on ObjectHypothesisWithPose) and before 4 (a
    Pose2D centre without ``position``). Only where DETECTIONS_AVAILABLE.
    """
    found = Detection2DArray(header=msg_header)
    for index, region in enumerate(regions):
        x, y, w, h = region.bbox
        detection = Detection2D(header=msg_header)
        detection.id = PERSON_CLASS
        hypothesis = ObjectHypothesisWithPose()
        if hasattr(hypothesis, 'hypothesis'):  # vision_msgs >= 3
            hypothesis.hypothesis.class_id = PERSON_CLASS
            hypothesis.hypothesis.score = float(region.confidence)
        else:  # pragma: no cover - old vision_msgs
            hypothesis.id = PERSON_CLASS
            hypothesis.score = float(region.confidence)
        if points is not None:
            position = hypothesis.pose.pose.position
            position.x, position.y, position.z = (
                float(value) for value in (points[index] or UNMEASURED))
        detection.results.append(hypothesis)
        center = detection.bbox.center
        position = getattr(center, 'position', center)  # Pose2D.position since 4.0
        position.x = float(x) + float(w) / 2.0
        position.y = float(y) + float(h) / 2.0
        detection.bbox.size_x = float(w)
        detection.bbox.size_y = float(h)
        found.detections.append(detection)
    return found


# ---------------------------------------------------------------------- diagnostics
def _ms(seconds: float) -> str:
    return 'nan' if seconds != seconds else f'{seconds * 1e3:.1f}'


def _camera_health(snapshot: Mapping[str, float], input_topic: str,
                   loss: InputLossReport) -> Tuple[int, str]:
    """
    Return (level, message) of one camera.

    WARN while no image came, none could be processed, or a sustained share of the camera's
    frames is lost before the node (``loss``: ``input_loss.InputLossReport``).
    """
    since = snapshot['seconds_since_input']
    if snapshot['received'] == 0 or not since <= NO_INPUT_WARN_SECONDS:
        return DiagnosticStatus.WARN, f'no images on {input_topic}'
    if snapshot['processed'] == 0:
        return DiagnosticStatus.WARN, 'images received but none processed (see the log)'
    if loss.warn:
        return DiagnosticStatus.WARN, loss.message()
    return DiagnosticStatus.OK, 'segmenting'


def _camera_table(snapshot: Mapping[str, float], input_topic: str, reliability: str,
                  loss: InputLossReport) -> Dict[str, str]:
    """One camera's input, rates, frame counts and latency."""
    return {
        'input topic': input_topic,
        'input reliability': str(reliability),
        'input rate (Hz)': f'{snapshot["input_rate"]:.2f}',
        'processed rate (Hz)': f'{snapshot["processed_rate"]:.2f}',
        'received frames': str(snapshot['received']),
        'processed frames': str(snapshot['processed']),
        'dropped frames': str(snapshot['dropped']),
        'stale frames skipped': str(snapshot['stale']),
        'invalid frames skipped': str(snapshot['invalid']),
        'failed frames': str(snapshot['failed']),
        'output messages refused by the middleware': str(snapshot['refused']),
        'latency p50 (ms)': _ms(snapshot['latency_p50']),
        'latency p95 (ms)': _ms(snapshot['latency_p95']),
        'inference p50 (ms)': _ms(snapshot['inference_p50']),
        **loss.values(),
    }


def _depth_health(depth: Optional[Mapping[str, Any]], health: Tuple[int, str]
                  ) -> Tuple[int, str]:
    """WARN while the camera's last frame had no usable depth (it was segmented all the same)."""
    if depth is None or health[0] != DiagnosticStatus.OK or not depth['last_kind']:
        return health
    return DiagnosticStatus.WARN, f'segmenting; no depth for the last frame: {depth["last_kind"]}'


def _depth_table(depth: Optional[Mapping[str, Any]]) -> Dict[str, str]:
    """One camera's depth input: received, frames measured and not (by reason), cost."""
    if depth is None:
        return {}
    table = {
        'depth topic': str(depth['topic']),
        'depth camera_info topic': str(depth['camera_info_topic']),
        'depth images received': str(depth['received']),
        'depth camera_info received': str(depth['camera_infos']),
        'frames with depth': str(depth['paired']),
        'frames without depth': str(sum(depth['unpaired'].values())),
    }
    for kind, count in sorted(depth['unpaired'].items()):
        table[f'frames without depth: {kind}'] = str(count)
    table.update({
        'depth stamp offset p50 (ms)': _ms(depth['offset_p50']),
        'depth cost p50 (ms)': _ms(depth['cost_p50']),
        'depth problem': depth['last_problem'] or 'none',
    })
    return table


def _engine_table(segmenter, threads: int) -> Dict[str, str]:
    """Say what runs: preset, model, backend, device, why that backend, threads."""
    backend = segmenter.backend
    return {
        'preset': segmenter.preset.name if segmenter.preset else 'none (model)',
        'model': segmenter.model_name,
        'backend': str(backend.name),
        'device': str(backend.device),
        'backend selection': str(backend.selection),
        'threads': str(threads),
    }


def _status(name: str, hardware_id: str, level: int, message: str,
            table: Mapping[str, str]) -> DiagnosticStatus:
    status = DiagnosticStatus(name=name, hardware_id=hardware_id, level=level, message=message)
    status.values = [KeyValue(key=key, value=value) for key, value in table.items()]
    return status


def segmentation_status(name: str, snapshot: Mapping[str, float], input_topic: str,
                        reliability: str, loss: InputLossReport, segmenter, threads: int,
                        depth: Optional[Mapping[str, Any]] = None) -> DiagnosticStatus:
    """
    Return the one camera's DiagnosticStatus: health, rates, counts, latency and the engine.

    What a plain node serving one camera publishes. ``snapshot`` is ``FrameStats.snapshot``;
    ``segmenter`` the engine in use; ``depth`` the camera's depth counts (with its topics) when
    it has a depth input. WARN while no image came for NO_INPUT_WARN_SECONDS or none could be
    processed, or the last frame had no usable depth; else OK.
    """
    level, message = _depth_health(depth, _camera_health(snapshot, input_topic, loss))
    return _status(name, str(segmenter.backend.device), level, message,
                   {**_camera_table(snapshot, input_topic, reliability, loss),
                    **_depth_table(depth),
                    **_engine_table(segmenter, threads)})


def camera_status(name: str, snapshot: Mapping[str, float], input_topic: str,
                  reliability: str, loss: InputLossReport, hardware_id: str, active: bool,
                  depth: Optional[Mapping[str, Any]] = None) -> DiagnosticStatus:
    """
    Return one camera's DiagnosticStatus in a node with several cameras or a lifecycle.

    Its input, rates, drops and latency, and its depth input (the engine is in
    ``node_status``). Health as in ``segmentation_status`` while ``active``; OK with
    'inactive' while the node is not.
    """
    level, message = (_depth_health(depth, _camera_health(snapshot, input_topic, loss))
                      if active else (DiagnosticStatus.OK, 'inactive: not subscribed'))
    return _status(name, hardware_id, level, message,
                   {**_camera_table(snapshot, input_topic, reliability, loss),
                    **_depth_table(depth)})


#: a managed node's states (lifecycle_msgs/State labels) and that of a plain node
ACTIVE, INACTIVE, UNCONFIGURED, FINALIZED = 'active', 'inactive', 'unconfigured', 'finalized'
RUNNING = 'running'


def node_status(name: str, state: str, segmenter, threads: int, cameras: int, batched: bool,
                problem: str = '') -> DiagnosticStatus:
    """
    Return the node's own DiagnosticStatus: its state and the engine its cameras share.

    ``state``: a lifecycle state label, or RUNNING for a plain node; ``segmenter`` None while
    no model is loaded (unconfigured), when ``problem`` (why the last configure failed, say)
    makes the level ERROR. OK while active, running or inactive (parked on purpose).
    """
    table = {'state': state, 'cameras': str(cameras),
             'batched inference': 'yes' if batched else 'no'}
    if segmenter is not None:
        table.update(_engine_table(segmenter, threads))
        hardware_id = str(segmenter.backend.device)
    else:
        table['model'] = 'not loaded'
        hardware_id = ''
    if problem:
        table['problem'] = problem
        level, message = DiagnosticStatus.ERROR, f'{state}: {problem}'
    elif state in (ACTIVE, RUNNING, INACTIVE):
        level, message = DiagnosticStatus.OK, state
    else:
        level, message = DiagnosticStatus.WARN, state
    return _status(name, hardware_id, level, message, table)


def diagnostic_array(now: Time, statuses: Sequence[DiagnosticStatus]) -> DiagnosticArray:
    """Return a /diagnostics message stamped ``now``."""
    array = DiagnosticArray(status=list(statuses))
    array.header.stamp = now
    return array
