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
Where the launch files find the package's config files, and the ROS packages they start.

Both launch files resolve ``config/person_segmentation.yaml`` and the Fast DDS profile the same
way, and say which file they used: the package's share directory in the ament index (a colcon
or apt install), else the source tree this module was imported from (``pip install -e``, a
PYTHONPATH checkout), else ``share/`` under the Python prefix (a plain ``pip install``). Outside
an ament install the index lookup fails in three ways (ament_index_python missing,
AMENT_PREFIX_PATH unset, package not indexed); each means "look further". Standard library only
(ament_index_python is imported when there, and ships with every ROS 2 install).
"""

import os
import pathlib
import sys
from typing import NamedTuple, Optional

from person_segmentation import names
from person_segmentation.launch_support.arguments import ConfigError

SOURCE_TREE = pathlib.Path(__file__).resolve().parents[2]


def installed_prefix(package: str) -> Optional[str]:
    """Install prefix of ``package`` in the ament index, or None where it is not indexed."""
    try:
        from ament_index_python.packages import get_package_prefix
        return get_package_prefix(package)
    # no ROS 2 Python packages at all; PackageNotFoundError (a KeyError); no index (OSError)
    except (ImportError, KeyError, OSError):
        return None


class ConfigFile(NamedTuple):
    """A config file the launch uses, and where it came from (said in the launch's log)."""

    path: str
    origin: str

    def __str__(self) -> str:
        """Path and origin, e.g. ``/opt/.../person_segmentation.yaml (installed)``."""
        return f'{self.path} ({self.origin})'


def package_config(name: str) -> ConfigFile:
    """Return ``config/<name>`` of this package, from the first place that has it."""
    prefix = installed_prefix(names.PACKAGE)
    candidates = [
        (prefix and os.path.join(prefix, 'share', names.PACKAGE, 'config', name), 'installed'),
        (str(SOURCE_TREE / 'config' / name), 'source tree'),
        (os.path.join(sys.prefix, 'share', names.PACKAGE, 'config', name), 'pip install'),
    ]
    for path, origin in candidates:
        if path and os.path.isfile(path):
            return ConfigFile(path, origin)
    looked = ', '.join(path for path, _ in candidates if path)
    raise ConfigError(f'config/{name} of {names.PACKAGE} not found (looked in {looked}'
                      f'{"" if prefix else "; the package is not in the ament index"})')


def chosen_config(argument: str, value: str, name: str) -> ConfigFile:
    """Return the file a launch argument names (it must exist), else config/``name``."""
    value = str(value).strip()
    if not value:
        return package_config(name)
    path = os.path.abspath(os.path.expanduser(value))
    if not os.path.isfile(path):
        raise ConfigError(f'launch argument {argument}:={value!r}: no such file')
    return ConfigFile(path, f'{argument}:=')


def require_package(package: str, needed_for: str, remedy: str = '',
                    apt_package: str = '') -> None:
    """
    Raise ConfigError unless ``package`` is in the ament index.

    launch_ros resolves a Node's package only when it starts it, after the processes listed
    before it have started; a missing package then ends the launch but leaves those processes
    running with no parent. Checking every package before anything starts avoids that.
    ``remedy`` replaces the default advice: install the Debian package of the distribution
    (``apt_package``, by default the package's own).
    """
    if installed_prefix(package) is None:
        distro = os.environ.get('ROS_DISTRO', '<distro>')
        apt_package = (apt_package or package).replace('_', '-')
        remedy = remedy or f'install it: sudo apt install ros-{distro}-{apt_package}'
        raise ConfigError(f'{needed_for} needs the ROS package {package}, which is not in the '
                          f'ament index (AMENT_PREFIX_PATH): {remedy}')


def require_node_package(launch_file: str) -> None:
    """Raise ConfigError unless this package itself is in the ament index (colcon or apt)."""
    require_package(names.PACKAGE, launch_file,
                    'build it with colcon and source install/setup.bash (README, "Machine with '
                    'ROS 2 installed")')
