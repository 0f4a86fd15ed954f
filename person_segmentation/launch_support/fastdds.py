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
The Fast DDS profile for large images, and whether the processes we start get it.

Between processes, Fast DDS's default transports carry samples over 512 KB (a 640x480 bgr8
image is 900 KB) as UDP fragments: best-effort images are mostly lost, and reliable ones that
lose a fragment wait for the next heartbeat (the demo ran at 11 fps with a p99 latency of 2.2 s;
with the profile, 34 fps and 38 ms). ``config/fastdds_large_images.xml`` gives the writer a
10 MB shared-memory segment instead (docs/node.md, "QoS"). The replay, the demo and both launch
files therefore give it to the processes they start, unless the user made a Fast DDS choice of
their own: a launch argument, or FASTDDS_DEFAULT_PROFILES_FILE or FASTDDS_BUILTIN_TRANSPORTS in
the environment (set, even empty). Fast DDS reads the profile when a process creates its first
participant, so it must be in that process's environment before ``rclpy.init``. Standard
library only.
"""

from typing import Dict, Mapping, NamedTuple

from person_segmentation import names
from person_segmentation.launch_support.config_files import chosen_config

PROFILES_VARIABLE = 'FASTDDS_DEFAULT_PROFILES_FILE'
TRANSPORTS_VARIABLE = 'FASTDDS_BUILTIN_TRANSPORTS'
#: environment variables by which a user chooses Fast DDS's transports themselves
USER_SETTINGS = (PROFILES_VARIABLE, TRANSPORTS_VARIABLE)
#: launch argument value that leaves the environment as it is
NONE = 'none'


class ProfileChoice(NamedTuple):
    """The environment the started processes get, and what it means (for the log)."""

    #: variables to add to the processes' environment (empty: leave it as it is)
    env: Dict[str, str]
    #: e.g. ``/.../fastdds_large_images.xml (installed)``
    description: str


def choose_profile(environ: Mapping[str, str], argument: str = '',
                   value: str = '') -> ProfileChoice:
    """
    Return the Fast DDS profile for the processes started, from a launch argument's value.

    ``value`` names a file (it must exist), or is ``none`` (leave the environment as it is), or
    is empty: then the package's profile, unless ``environ`` holds a user's own Fast DDS setting
    (USER_SETTINGS), which is kept. Raises ConfigError for a file that does not exist.
    """
    value = str(value).strip()
    if value.lower() == NONE:
        return ProfileChoice({}, f'none ({argument}:={NONE})')
    if not value:
        own = [f'{name}={environ[name]!r}' for name in USER_SETTINGS if name in environ]
        if own:
            return ProfileChoice({}, f"the environment's ({', '.join(own)})")
    profile = chosen_config(argument, value, names.FASTDDS_PROFILE_FILE)
    return ProfileChoice({PROFILES_VARIABLE: profile.path}, str(profile))
