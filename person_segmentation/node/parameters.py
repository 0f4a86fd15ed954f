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
The node's parameters in one table: defaults, descriptions, ranges, and validation.

One place defines every parameter so that the node's declarations, the checks done when a value
is set live (``ros2 param set``), config/person_segmentation.yaml and docs/node.md agree. Range
checks that ROS can do itself are expressed as descriptor ranges; the rest (choices, colours,
open interval ends) are checked by ``validate_changes``, which returns the reason a value is
rejected. Uses only rcl_interfaces messages, not rclpy.
"""

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple

from person_segmentation.engine import presets
from person_segmentation.engine.presence import PresenceRule
from person_segmentation.media.image_conversion import MAX_SIDE
from person_segmentation.models.backends import BACKENDS
from person_segmentation.models.devices import DEVICE_HELP, parse_device
from person_segmentation.node.staleness import ARRIVAL, REFERENCES
from rcl_interfaces.msg import (FloatingPointRange, IntegerRange, ParameterDescriptor,
                                ParameterType)


@dataclass(frozen=True)
class ParameterSpec:
    """One node parameter."""

    name: str
    default: Any
    description: str
    read_only: bool = False
    float_range: Optional[Tuple[float, float]] = None
    int_range: Optional[Tuple[int, int]] = None
    choices: Optional[Tuple[str, ...]] = None

    @property
    def dynamic(self) -> bool:
        """Tell whether it may change while the node runs."""
        return not self.read_only


PARAMETERS: Tuple[ParameterSpec, ...] = (
    ParameterSpec('preset', presets.AUTO,
                  'Engine preset: fast (real time on a CPU), accurate (best quality) or auto '
                  '(accurate where a GPU is used, fast on a CPU). Read-only.', read_only=True,
                  choices=presets.NAMES),
    ParameterSpec('model', '',
                  'Registered model name (deeplabv3_mnv2_257, deeplabv3_mnv2_513, ...) or a '
                  "path to a model file; empty: the preset's model. Read-only: restart the node "
                  'to change it.', read_only=True),
    ParameterSpec('model_dir', '',
                  'Directory of the model cache; empty: $PERSON_SEGMENTATION_MODEL_DIR, else '
                  '~/.cache/person_segmentation/models.', read_only=True),
    ParameterSpec('threads', 2, 'CPU threads for the inference backend.', read_only=True,
                  int_range=(1, 64)),
    ParameterSpec('backend', 'auto',
                  "Inference backend: 'auto' (Keras on a usable GPU, else LiteRT on the CPU), "
                  "'tflite' (LiteRT, CPU) or 'keras' (Keras: GPU or CPU, same weights).",
                  read_only=True, choices=BACKENDS),
    ParameterSpec('device', 'auto',
                  f'Where the model runs: {DEVICE_HELP}; the GPU needs the Keras GPU install '
                  '(docs/keras_backend.md).', read_only=True),
    ParameterSpec('strategy', '',
                  'How frames are fitted to the model input (native, tiles, pad); empty: the '
                  "preset's.", read_only=True),
    ParameterSpec('threshold', 0.5,
                  'Person probability at or above which a pixel is in the mask, in (0, 1].',
                  float_range=(0.0, 1.0)),
    ParameterSpec('smoothing', 0.0,
                  'Temporal smoothing of the probability: weight of the past frames in '
                  '[0, 0.99]; 0 = off.', float_range=(0.0, 0.99)),
    ParameterSpec('min_region_area', 0,
                  'Smallest connected person region (pixels) reported on ~/persons; 0: 0.01 %'
                  ' of the frame.',
                  read_only=True, int_range=(0, 100000000)),
    ParameterSpec('overlay_color', [0, 255, 0],
                  'Overlay colour of person pixels as [R, G, B], each 0-255.'),
    ParameterSpec('overlay_alpha', 0.5, 'Overlay opacity: 0 = invisible, 1 = solid colour.',
                  float_range=(0.0, 1.0)),
    ParameterSpec('overlay_outline', 0, 'Outline thickness of person regions in the overlay '
                  '(pixels, 0 = none).', int_range=(0, 50)),
    ParameterSpec('presence_min_area', PresenceRule.min_area,
                  'A person region is evidence of presence from this many pixels at the '
                  "model's input resolution (frame pixels x scale^2; not a share of the frame).",
                  float_range=(0.0, 1000000.0)),
    ParameterSpec('presence_min_confidence', PresenceRule.min_confidence,
                  'A person region is evidence of presence from this mean probability, in '
                  '(0, 1].', float_range=(0.0, 1.0)),
    ParameterSpec('presence_on_frames', 1,
                  'person_detected becomes true after this many frames in a row with a person '
                  'present.', int_range=(1, 1000)),
    ParameterSpec('presence_off_frames', 3,
                  'person_detected becomes false after this many frames in a row without a '
                  'person present.', int_range=(1, 1000)),
    ParameterSpec('qos_reliability', 'auto',
                  "Image subscription reliability: 'auto' (match the publishers, like ros2 "
                  "topic echo), 'reliable' or 'best_effort'.", read_only=True,
                  choices=('auto', 'reliable', 'best_effort')),
    ParameterSpec('qos_depth', 1, 'Keep-last depth of the image subscription.',
                  read_only=True, int_range=(1, 10)),
    ParameterSpec('input_compressed', False,
                  'Subscribe to image/compressed (sensor_msgs/CompressedImage) instead of '
                  'image.', read_only=True),
    ParameterSpec('use_cv_bridge', True,
                  'Convert images with cv_bridge when it is importable (else the built-in '
                  'converter is used either way).', read_only=True),
    ParameterSpec('max_age', 1.0,
                  'Skip a frame older than this (seconds) when its turn comes, its age taken '
                  'as max_age_reference says; 0 = never skip.', float_range=(0.0, 3600.0)),
    ParameterSpec('max_age_reference', ARRIVAL,
                  "What max_age measures: 'arrival' (how long the frame waited in the node; "
                  "needs no clock sync) or 'stamp' (header stamp vs node clock; needs the "
                  "camera's clock synchronised, and --clock with use_sim_time for bags).",
                  choices=REFERENCES),
    ParameterSpec('max_image_pixels', 8388608,
                  'Largest image accepted (width x height), raw or compressed, checked before '
                  'decoding; a frame costs the node up to about 23 MB per megapixel.',
                  int_range=(1, MAX_SIDE * MAX_SIDE)),
    ParameterSpec('probability_encoding', 'mono8',
                  "Encoding of ~/probability: 'mono8' (0-255) or '32FC1' (0-1).",
                  choices=('mono8', '32FC1')),
    ParameterSpec('publish_mask', True, 'Publish ~/mask.', read_only=True),
    ParameterSpec('publish_overlay', True,
                  'Publish ~/overlay (rendered only while it has subscribers).', read_only=True),
    ParameterSpec('publish_probability', True, 'Publish ~/probability.', read_only=True),
    ParameterSpec('publish_person_detected', True, 'Publish ~/person_detected.',
                  read_only=True),
    ParameterSpec('publish_persons', True,
                  'Publish ~/persons (vision_msgs/Detection2DArray, when vision_msgs is '
                  'installed).', read_only=True),
    ParameterSpec('diagnostics_period', 1.0, 'Seconds between /diagnostics messages.',
                  read_only=True, float_range=(0.1, 60.0)),
)

BY_NAME: Dict[str, ParameterSpec] = {spec.name: spec for spec in PARAMETERS}


def defaults() -> Dict[str, Any]:
    """Return every parameter's default value."""
    return {spec.name: spec.default for spec in PARAMETERS}


def descriptor(spec: ParameterSpec) -> ParameterDescriptor:
    """Build the ParameterDescriptor the node declares ``spec`` with."""
    description = spec.description
    if spec.choices:
        description += f' One of: {", ".join(spec.choices)}.'
    result = ParameterDescriptor(name=spec.name, description=description,
                                 read_only=spec.read_only)
    if spec.choices:
        result.additional_constraints = f'one of {", ".join(spec.choices)}'
    if spec.name == 'overlay_color':
        result.additional_constraints = 'three integers in [0, 255]'
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
            limits = ', '.join(f'`{choice}`' for choice in spec.choices)
        elif spec.float_range is not None:
            limits = f'[{spec.float_range[0]:g}, {spec.float_range[1]:g}]'
        elif spec.int_range is not None:
            limits = f'{spec.int_range[0]}..{spec.int_range[1]}'
        else:
            limits = ''
        rows.append(f'| `{spec.name}` | `{_markdown_value(spec.default)}` | '
                    f'{"yes" if spec.dynamic else "no"} | {limits} | {spec.description} |')
    return '\n'.join(rows)


def _check_one(spec: ParameterSpec, value: Any) -> Optional[str]:
    if spec.choices is not None and value not in spec.choices:
        return f'{spec.name} must be one of {", ".join(spec.choices)}, got {value!r}'
    if spec.float_range is not None:
        low, high = spec.float_range
        if not isinstance(value, (int, float)) or not low <= float(value) <= high:
            return f'{spec.name} must be a number in [{low}, {high}], got {value!r}'
    if spec.int_range is not None:
        low, high = spec.int_range
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f'{spec.name} must be an integer in [{low}, {high}], got {value!r}'
    if spec.name == 'overlay_color':
        values = list(value) if not isinstance(value, (str, bytes)) else []
        if len(values) != 3 or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255
                for v in values):
            return f'overlay_color must be three integers [R, G, B] in 0-255, got {value!r}'
    if spec.name == 'threshold' and float(value) <= 0.0:
        return f'threshold must be greater than 0 (every pixel would be a person), got {value}'
    if spec.name == 'device':
        try:
            parse_device(value)
        except ValueError as error:
            return str(error)
    if spec.name == 'model' and value and not str(value).strip():
        return ("model must name a registered model or a model file (empty: the preset's), got "
                f'{value!r}')
    if spec.name == 'presence_min_confidence' and float(value) <= 0.0:
        return f'presence_min_confidence must be greater than 0, got {value}'
    return None


def validate_changes(changes: Mapping[str, Any]) -> Optional[str]:
    """Reason why setting ``changes`` is invalid, else None (each parameter on its own)."""
    for name, value in changes.items():
        spec = BY_NAME.get(name)
        if spec is None:
            continue  # not ours (e.g. use_sim_time); ROS checks those itself
        reason = _check_one(spec, value)
        if reason:
            return reason
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


if __name__ == '__main__':
    print(markdown_table())
