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
The node's parameters: one row each, holding its default, description, limits and rule.

``Settings`` is the table: each attribute is one parameter, declared with its row (``_row``), so
the node's declarations, the checks done when a value is set live (``ros2 param set``),
config/person_segmentation.yaml and docs/node.md all come from here. The node holds its
parameters as one frozen ``Settings`` (replaced on every live change), so code that uses a
parameter names it as an attribute a reader can follow, not as a string key. Range checks ROS
can do itself become descriptor ranges; the rest (choices, colours, open interval ends) are the
row's rule. Uses only rcl_interfaces messages, not rclpy.
"""

from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from person_segmentation.engine import presets
from person_segmentation.engine.input_strategy import STRATEGIES
from person_segmentation.engine.people_3d import DepthSettings
from person_segmentation.media.image_conversion import MAX_SIDE
from person_segmentation.models.backends import BACKENDS
from person_segmentation.models.devices import DEVICE_HELP, parse_device
from person_segmentation.node import qos
from person_segmentation.node.messages import PROBABILITY_ENCODINGS
from person_segmentation.node.staleness import ARRIVAL, REFERENCES
from rcl_interfaces.msg import (FloatingPointRange, IntegerRange, ParameterDescriptor,
                                ParameterType)

#: A row's own rule beyond its type, range and choices: (name, value) -> why it is invalid.
Rule = Callable[[str, Any], Optional[str]]


@dataclass(frozen=True)
class ParameterSpec:
    """One node parameter: what the node declares, documents and accepts."""

    name: str
    default: Any
    description: str
    read_only: bool = False
    float_range: Optional[Tuple[float, float]] = None
    int_range: Optional[Tuple[int, int]] = None
    choices: Optional[Tuple[str, ...]] = None
    rule: Optional[Rule] = None
    constraints: str = ''  # the descriptor's additional_constraints, where choices do not say
    items: type = int  # what a list parameter holds (int: INTEGER_ARRAY, str: STRING_ARRAY)

    @property
    def dynamic(self) -> bool:
        """Tell whether it may change while the node runs."""
        return not self.read_only

    @property
    def is_float(self) -> bool:
        """Tell whether it is a DOUBLE parameter (which also accepts an integer)."""
        return isinstance(self.default, float)

    def problem(self, value: Any) -> Optional[str]:
        """Return why ``value`` is invalid for this parameter, else None."""
        if self.choices is not None and value not in self.choices:
            return f'{self.name} must be one of {_choice_list(self.choices)}, got {value!r}'
        if self.float_range is not None:
            low, high = self.float_range
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not low <= float(value) <= high:
                return f'{self.name} must be a number in [{low}, {high}], got {value!r}'
        if self.int_range is not None:
            low, high = self.int_range
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                return f'{self.name} must be an integer in [{low}, {high}], got {value!r}'
        return self.rule(self.name, value) if self.rule is not None else None

    @property
    def string_list(self) -> bool:
        """
        Tell whether it is a STRING_ARRAY parameter, empty by default.

        An empty list has no type of its own (rclpy would take it for a BYTE_ARRAY), so the
        node declares such a parameter by its type alone: not set until a value is given (an
        empty YAML list, ``images: []``, also leaves it unset), which reads as empty.
        """
        return self.default == [] and self.items is str

    def native(self, value: Any) -> Any:
        """Return a ROS parameter value as the ``Settings`` attribute holds it."""
        if self.is_float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(self.default, list):
            return tuple(self.items(item) for item in value or ())
        return value


def _greater_than_zero(why: str = '') -> Rule:
    def rule(name, value):
        if float(value) <= 0.0:
            return f'{name} must be greater than 0{why}, got {value}'
        return None
    return rule


def _choice_list(choices) -> str:
    return ', '.join(choice or '""' for choice in choices)


def _rgb(name, value):
    values = list(value) if not isinstance(value, (str, bytes)) else []
    if len(values) != 3 or not all(isinstance(v, int) and not isinstance(v, bool)
                                   and 0 <= v <= 255 for v in values):
        return f'{name} must be three integers [R, G, B] in 0-255, got {value!r}'
    return None


def _device(name, value):
    try:
        parse_device(value)
    except ValueError as error:
        return str(error)
    return None


def _model(name, value):
    if value and not str(value).strip():
        return (f"{name} must name a registered model or a model file (empty: the preset's), "
                f'got {value!r}')
    return None


def _topics(name, value):
    topics = list(value or ())
    for topic in topics:
        if not isinstance(topic, str) or not topic.strip('/') or topic != topic.strip() \
                or any(c.isspace() for c in topic) or topic.endswith('/'):
            return f'{name} must list image topic names, got {topic!r}'
    repeated = sorted({topic for topic in topics if topics.count(topic) > 1})
    if repeated:
        return f'{name} lists {", ".join(repeated)} more than once'
    return None


def _depth_topics(name, value):
    topics = [topic for topic in value or () if topic != '']  # '': that camera has no depth
    return _topics(name, topics)


def _camera_names(name, value):
    names = list(value or ())
    for camera in names:
        if not isinstance(camera, str) or not camera or not (camera[0].isalpha()) \
                or not all(c.isalnum() and c.isascii() or c == '_' for c in camera):
            return (f'{name} must hold names of letters, digits and _ (starting with a letter), '
                    f'got {camera!r}')
    repeated = sorted({camera for camera in names if names.count(camera) > 1})
    if repeated:
        return f'{name} holds {", ".join(repeated)} more than once'
    return None


def _below_half(name, value):
    if float(value) >= 0.5:
        return f'{name} must be below 0.5 (the mask would be eroded away), got {value}'
    return None


def _row(default, description: str, **limits) -> Any:
    """Declare one parameter as a ``Settings`` attribute: its default, description and limits."""
    row = dict(default=default, description=description, **limits)
    value = tuple(default) if isinstance(default, list) else default
    return field(default=value, metadata={'parameter': row})


@dataclass(frozen=True)
class Settings:
    """Every node parameter, one attribute each: the values the node works with now."""

    preset: str = _row(
        presets.AUTO, 'Engine preset: fast (real time on a CPU), accurate (best quality) or auto '
        '(accurate where a GPU is used, fast on a CPU). Read-only.', read_only=True,
        choices=presets.NAMES)
    model: str = _row(
        '', 'Registered model name (deeplabv3_mnv2_257, deeplabv3_mnv2_513, ...) or a path to a '
        "model file; empty: the preset's model. Read-only: restart the node to change it.",
        read_only=True, rule=_model)
    model_dir: str = _row(
        '', 'Directory of the model cache; empty: $PERSON_SEGMENTATION_MODEL_DIR, else '
        '~/.cache/person_segmentation/models.', read_only=True)
    threads: int = _row(2, 'CPU threads for the inference backend.', read_only=True,
                        int_range=(1, 64))
    backend: str = _row(
        'auto', "Inference backend: 'auto' (Keras on a usable GPU, else LiteRT on the CPU), "
        "'tflite' (LiteRT, CPU) or 'keras' (Keras: GPU or CPU, same weights).", read_only=True,
        choices=BACKENDS)
    device: str = _row(
        'auto', f'Where the model runs: {DEVICE_HELP}; the GPU needs the Keras GPU install '
        '(docs/keras_backend.md).', read_only=True, rule=_device)
    strategy: str = _row(
        '', "How frames are fitted to the model input; empty: the preset's.", read_only=True,
        choices=('',) + tuple(STRATEGIES))
    threshold: float = _row(
        0.0, 'Person probability at or above which a pixel is in the mask, in (0, 1]; 0: the '
        "preset's (fast 0.55, accurate 0.5; a model alone 0.5).", float_range=(0.0, 1.0))
    smoothing: float = _row(
        0.0, 'Temporal smoothing of the probability: weight of the past frames in [0, 0.99]; '
        '0 = off.', float_range=(0.0, 0.99))
    min_region_area: int = _row(
        0, 'Smallest connected person region (pixels) reported on ~/persons; 0: 0.01 % of the '
        'frame.', read_only=True, int_range=(0, 100000000))
    overlay_color: Tuple[int, int, int] = _row(
        [0, 255, 0], 'Overlay colour of person pixels as [R, G, B], each 0-255.', rule=_rgb,
        constraints='three integers in [0, 255]')
    overlay_alpha: float = _row(0.5, 'Overlay opacity: 0 = invisible, 1 = solid colour.',
                                float_range=(0.0, 1.0))
    overlay_outline: int = _row(
        0, 'Outline thickness of person regions in the overlay (pixels, 0 = none).',
        int_range=(0, 50))
    presence_min_area: float = _row(
        0.0, 'A person region is evidence of presence from this many pixels at the '
        "model's input resolution (frame pixels x scale^2; not a share of the frame); 0: the "
        "preset's (64; 128 for a DeepLab model alone).", float_range=(0.0, 1000000.0))
    presence_min_confidence: float = _row(
        0.0, 'A person region is evidence of presence from this mean probability, in (0, 1]; '
        'with BodyPix also from 0.10 less when 6 of its 17 pose keypoints lie under it. '
        "0: the preset's (fast 0.70, accurate 0.75; a DeepLab model alone 0.6).",
        float_range=(0.0, 1.0))
    presence_on_frames: int = _row(
        1, 'person_detected becomes true after this many frames in a row with a person '
        'present.', int_range=(1, 1000))
    presence_off_frames: int = _row(
        3, 'person_detected becomes false after this many frames in a row without a person '
        'present.', int_range=(1, 1000))
    qos_reliability: str = _row(
        qos.AUTO, "Image subscription reliability: 'auto' (match the publishers, like ros2 "
        "topic echo), 'reliable' or 'best_effort'.", read_only=True, choices=qos.MODES)
    qos_depth: int = _row(1, 'Keep-last depth of the image subscription.', read_only=True,
                          int_range=(1, 10))
    input_compressed: bool = _row(
        False, 'Subscribe to image/compressed (sensor_msgs/CompressedImage) instead of image.',
        read_only=True)
    images: Tuple[str, ...] = _row(
        [], 'Image topics of several cameras served by this node with one model; a topic '
        "ending in /compressed is a CompressedImage one. Camera i's outputs are ~/camera_<i>/mask "
        'etc. (or under the names in cameras). Empty: one camera on image (image/compressed '
        'with input_compressed), outputs ~/mask etc.', read_only=True, rule=_topics, items=str,
        constraints='topic names, each at most once')
    cameras: Tuple[str, ...] = _row(
        [], 'Names of the cameras in images, one each, in the same order: camera i publishes '
        'under ~/<cameras[i]>/; empty: camera_0, camera_1, ...', read_only=True,
        rule=_camera_names, items=str,
        constraints='names of letters, digits and _, as many as images')
    use_depth: bool = _row(
        False, 'Subscribe to an aligned depth image (depth/image: 16UC1 millimetres or 32FC1 '
        "metres, the colour image's size) and its depth/camera_info, and publish "
        "~/nearest_person and ~/persons_cloud (and each person's position on ~/persons). For "
        'the one camera of image; with images, see depth_images. Read-only.', read_only=True)
    depth_images: Tuple[str, ...] = _row(
        [], 'Aligned depth image topics of the cameras in images, one each in the same order '
        "('' for a camera without depth); each one's camera_info is its sibling camera_info "
        '(.../image_raw -> .../camera_info). Camera i then publishes ~/<camera>/nearest_person '
        'and ~/<camera>/persons_cloud.', read_only=True, rule=_depth_topics, items=str,
        constraints="topic names or '', as many as images")
    depth_tolerance: float = _row(
        0.03, "Seconds a depth image's stamp may differ from the colour frame's to be paired "
        'with it.', float_range=(0.0, 1.0))
    depth_wait: float = _row(
        0.05, 'Seconds a processed frame may wait for its depth image while that may still be on '
        'its way (the depth stream is alive but behind: aligned depth comes after colour), and '
        'for the first camera_info; 0 = never wait.', float_range=(0.0, 1.0))
    depth_queue_size: int = _row(
        30, 'Depth images buffered at most per camera while their colour frames wait.',
        read_only=True, int_range=(1, 300))
    depth_min: float = _row(
        0.1, 'Depth readings nearer than this (m) count as no reading.',
        float_range=(0.0, 100.0))
    depth_max: float = _row(
        10.0, 'Depth readings further than this (m) count as no reading.',
        float_range=(0.0, 1000.0), rule=_greater_than_zero())
    depth_percentile: float = _row(
        25.0, "A person's distance: this percentile of the valid depths inside its eroded mask "
        '(low: the near surface of the body, the safe side).', float_range=(0.0, 100.0))
    depth_erosion: float = _row(
        0.1, "Erosion of a person's mask before its distance is taken, as a share of its box's "
        'smaller side (drops the edge that bleeds onto the background), in [0, 0.5).',
        float_range=(0.0, 0.5), rule=_below_half)
    depth_band: float = _row(
        0.5, "~/persons_cloud keeps a person's pixels within this many metres of its distance "
        '(drops mask bleed onto what is behind or in front).', float_range=(0.0, 100.0),
        rule=_greater_than_zero())
    depth_max_points: int = _row(
        5000, 'Points in ~/persons_cloud at most (decimated: a pixel grid, then a fixed-seed '
        'random subset).', int_range=(1, 1000000))
    use_cv_bridge: bool = _row(
        True, 'Convert images with cv_bridge when it is importable (else the built-in converter '
        'is used either way).', read_only=True)
    max_age: float = _row(
        1.0, 'Skip a frame older than this (seconds) when its turn comes, its age taken as '
        'max_age_reference says; 0 = never skip.', float_range=(0.0, 3600.0))
    max_age_reference: str = _row(
        ARRIVAL, "What max_age measures: 'arrival' (how long the frame waited in the node; needs "
        "no clock sync) or 'stamp' (header stamp vs node clock; needs the camera's clock "
        'synchronised, and --clock with use_sim_time for bags).', choices=REFERENCES)
    max_image_pixels: int = _row(
        8388608, 'Largest image accepted (width x height), raw or compressed, checked before '
        'decoding; a frame costs the node up to about 23 MB per megapixel.',
        int_range=(1, MAX_SIDE * MAX_SIDE))
    probability_encoding: str = _row(
        PROBABILITY_ENCODINGS[0], "Encoding of ~/probability: 'mono8' (0-255) or '32FC1' (0-1).",
        choices=PROBABILITY_ENCODINGS)
    publish_mask: bool = _row(True, 'Publish ~/mask.', read_only=True)
    publish_overlay: bool = _row(
        True, 'Publish ~/overlay (rendered only while it has subscribers).', read_only=True)
    publish_probability: bool = _row(True, 'Publish ~/probability.', read_only=True)
    publish_person_detected: bool = _row(True, 'Publish ~/person_detected.', read_only=True)
    publish_persons: bool = _row(
        True, 'Publish ~/persons (vision_msgs/Detection2DArray, when vision_msgs is installed).',
        read_only=True)
    publish_nearest_person: bool = _row(
        True, 'Publish ~/nearest_person (geometry_msgs/PointStamped) with a depth input.',
        read_only=True)
    publish_persons_cloud: bool = _row(
        True, 'Publish ~/persons_cloud (sensor_msgs/PointCloud2) with a depth input.',
        read_only=True)
    publish_parts: bool = _row(
        True, 'Publish ~/parts (mono8 body-part labels 0-24; BodyPix models only; computed only '
        'while it has subscribers).', read_only=True)
    diagnostics_period: float = _row(1.0, 'Seconds between /diagnostics messages.',
                                     read_only=True, float_range=(0.1, 60.0))
    lifecycle: bool = _row(
        False, 'Start as a managed (lifecycle) node, unconfigured: configure loads the model, '
        'activate subscribes and publishes (ros2 lifecycle set, a lifecycle manager). Read-only.',
        read_only=True)
    bond_heartbeat_period: float = _row(
        0.1, "Managed node: seconds between the heartbeats of the bond nav2's lifecycle_manager "
        'expects while the node is active (needs bondpy); 0 = no bond.', read_only=True,
        float_range=(0.0, 10.0))

    def changed(self, values: Mapping[str, Any]) -> 'Settings':
        """Return these settings with ``values`` (ROS parameter values) set; others' ignored."""
        ours = {name: BY_NAME[name].native(value) for name, value in values.items()
                if name in BY_NAME}
        return replace(self, **ours) if ours else self


PARAMETERS: Tuple[ParameterSpec, ...] = tuple(
    ParameterSpec(name=item.name, **item.metadata['parameter']) for item in fields(Settings))
BY_NAME: Dict[str, ParameterSpec] = {spec.name: spec for spec in PARAMETERS}
# A row whose own default breaks its rule is a mistake in this file: fail at import.
for _spec in PARAMETERS:
    if _spec.problem(_spec.default) is not None:
        raise ValueError(f'parameters.py: {_spec.problem(_spec.default)}')


def depth_settings(settings: Settings) -> DepthSettings:
    """Return how people are measured in depth with ``settings`` (engine.people_3d)."""
    return DepthSettings(min_depth=settings.depth_min, max_depth=settings.depth_max,
                         percentile=settings.depth_percentile, erosion=settings.depth_erosion,
                         depth_band=settings.depth_band, max_points=settings.depth_max_points)


def defaults() -> Dict[str, Any]:
    """Return every parameter's default value (as ROS declares it)."""
    return {spec.name: spec.default for spec in PARAMETERS}


def descriptor(spec: ParameterSpec) -> ParameterDescriptor:
    """Build the ParameterDescriptor the node declares ``spec`` with."""
    description = spec.description
    if spec.choices:
        description += f' One of: {_choice_list(spec.choices)}.'
    result = ParameterDescriptor(name=spec.name, description=description,
                                 read_only=spec.read_only)
    if spec.choices:
        result.additional_constraints = f'one of {_choice_list(spec.choices)}'
    if spec.constraints:
        result.additional_constraints = spec.constraints
    if spec.float_range is not None:
        result.floating_point_range = [FloatingPointRange(
            from_value=float(spec.float_range[0]), to_value=float(spec.float_range[1]),
            step=0.0)]
    if spec.int_range is not None:
        result.integer_range = [IntegerRange(
            from_value=int(spec.int_range[0]), to_value=int(spec.int_range[1]), step=1)]
    return result


def _markdown_value(value: Any) -> str:
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, str):
        return value or '""'
    return str(value)


def markdown_table() -> str:
    """
    Return the parameter table of docs/node.md, generated from ``PARAMETERS``.

    test_node_units checks that the document holds exactly this table, so a parameter added
    here without its documentation fails the tests; ``python -m
    person_segmentation.node.parameters`` prints it for pasting.
    """
    rows = ['| parameter | default | live | range / choices | description |',
            '| --- | --- | --- | --- | --- |']
    for spec in PARAMETERS:
        if spec.choices:
            limits = ', '.join(f'`{_markdown_value(choice)}`' for choice in spec.choices)
        elif spec.float_range is not None:
            limits = f'[{spec.float_range[0]:g}, {spec.float_range[1]:g}]'
        elif spec.int_range is not None:
            limits = f'{spec.int_range[0]}..{spec.int_range[1]}'
        else:
            limits = ''
        rows.append(f'| `{spec.name}` | `{_markdown_value(spec.default)}` | '
                    f'{"yes" if spec.dynamic else "no"} | {limits} | {spec.description} |')
    return '\n'.join(rows)


def validate_changes(changes: Mapping[str, Any],
                     current: Optional[Settings] = None) -> Optional[str]:
    """
    Reason why setting ``changes`` is invalid, else None.

    Each parameter on its own, then, with ``current`` (the settings in use; default: the
    defaults), those that must agree with each other: depth_min below depth_max.
    """
    for name, value in changes.items():
        spec = BY_NAME.get(name)
        if spec is None:
            continue  # not ours (e.g. use_sim_time); ROS checks those itself
        reason = spec.problem(value)
        if reason:
            return reason
    candidate = (current if current is not None else Settings()).changed(changes)
    if not candidate.depth_min < candidate.depth_max:
        return (f'depth_min must be below depth_max, got {candidate.depth_min} and '
                f'{candidate.depth_max}')
    return None


_PARAMETER_TYPES = frozenset(value for name, value in vars(ParameterType).items()
                             if name.startswith('PARAMETER_'))


def malformed_parameter(msg) -> Optional[str]:
    """
    Why an rcl_interfaces/Parameter message in a set request must be refused, else None.

    rclpy does not check these itself: an unknown type raises inside its parameter service and
    stops the executor, and an empty name passes its check for undeclared parameters.
    """
    if not str(msg.name).strip():
        return 'parameter names must not be empty'
    if msg.value.type not in _PARAMETER_TYPES:
        return (f'parameter {msg.name!r} has type {msg.value.type}, which is not an '
                'rcl_interfaces/ParameterType')
    return None


def widen_integer(msg) -> bool:
    """
    Turn an INTEGER value for one of our DOUBLE parameters into that DOUBLE, in place.

    ``ros2 param set /person_segmentation presence_min_area 64`` sends an INTEGER (the YAML
    reading of ``64``), which rclpy refuses for a DOUBLE parameter ("expected '3' got '2'").
    Returns whether ``msg`` (an rcl_interfaces/Parameter) was changed.
    """
    spec = BY_NAME.get(msg.name)
    if spec is None or not spec.is_float \
            or msg.value.type != ParameterType.PARAMETER_INTEGER:
        return False
    msg.value.double_value = float(msg.value.integer_value)
    msg.value.type = ParameterType.PARAMETER_DOUBLE
    return True


if __name__ == '__main__':
    print(markdown_table())
