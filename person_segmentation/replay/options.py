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
How a replay runs: its modes, its options, and the ROS arguments that connect the node to it.

``replay`` and the demo offer the modes as command-line choices, and the runner acts on them;
all take them from here.
"""

from dataclasses import dataclass, field
from typing import Dict, List

from person_segmentation import names
from person_segmentation.node import qos

#: publish a frame, wait for all of its outputs, then send the next one
LOSSLESS = 'lossless'
#: publish at the recorded rate regardless of the node; what it skips is reported as dropped
REALTIME = 'realtime'
MODES = (LOSSLESS, REALTIME)
#: the node as its own process (as on a robot), or in the replay's process (own ROS context)
SUBPROCESS = 'subprocess'
INPROCESS = 'inprocess'
NODE_MODES = (SUBPROCESS, INPROCESS)


@dataclass
class ReplayOptions:
    """How to replay: mode, node, its parameters and environment, and patience."""

    mode: str = LOSSLESS
    rate: float = 1.0  # realtime only: playback speed multiplier
    node: str = SUBPROCESS
    input_topic: str = '/replay/image'
    #: publish the depth recorded with the frames (an RGB-D bag) on these topics
    depth: bool = False
    depth_topic: str = '/replay/depth/image'
    depth_info_topic: str = '/replay/depth/camera_info'
    #: with depth: seconds the first frame's depth and camera_info are sent (every 0.1 s)
    #: before the frame, while the node's depth readers match the replay's writers
    depth_settle: float = 1.0
    #: also subscribe to the outputs the node computes only while watched (names.ON_DEMAND,
    #: ~/parts): when they are recorded (``replay --output-bag``), not otherwise
    on_demand_outputs: bool = False
    #: e.g. preset, model, backend, device; what is not given keeps the node's default
    node_parameters: Dict[str, object] = field(default_factory=dict)
    #: variables the replay's process and the node get before they start ROS, e.g. the Fast
    #: DDS profile (read when a process creates its first participant, so set in advance)
    environment: Dict[str, str] = field(default_factory=dict)
    startup_timeout: float = 120.0  # s for the node to load its model and appear
    retry_after: float = 10.0  # lossless: republish a frame without output after this many s
    frame_timeout: float = 60.0  # lossless: give up on a frame after this many s
    drain_idle: float = 3.0  # realtime: stop waiting for outputs after this long without any
    #: after the last result, wait for extra outputs (not every frame has them) this long
    #: after the last output of any kind
    extras_idle: float = 0.5

    def __post_init__(self):
        """Reject impossible values early, with the option's name."""
        if self.mode not in MODES:
            raise ValueError(f'mode must be one of {", ".join(MODES)}, got {self.mode!r}')
        if self.node not in NODE_MODES:
            raise ValueError(f'node must be one of {", ".join(NODE_MODES)}, got {self.node!r}')
        if not self.rate > 0:
            raise ValueError(f'rate must be positive, got {self.rate}')


def node_arguments(options: ReplayOptions) -> List[str]:
    """Command-line ROS arguments that connect the node to the replay and set its parameters."""
    args = ['--ros-args', '-r', f'image:={options.input_topic}',
            '-p', 'use_sim_time:=true', '-p', f'qos_reliability:={qos.RELIABLE}']
    if options.depth:
        args += ['-r', f'{names.DEPTH_INPUT}:={options.depth_topic}',
                 '-r', f'{names.DEPTH_INFO_INPUT}:={options.depth_info_topic}',
                 '-p', 'use_depth:=true']
    for name, value in options.node_parameters.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        args += ['-p', f'{name}:={text}']
    return args
