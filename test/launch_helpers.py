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
Test helpers for the launch files: ament prefixes, loading a launch file, and launch itself.

``launch`` and ``launch_ros`` are not on PyPI, so the tests that need them skip here with the
reason; they run wherever a ROS 2 install (or a checkout of ros2/launch) is importable. The
ament index is real: ``ament_prefix`` writes a prefix in the layout colcon installs (package
markers under share/ament_index, executables under lib/<package>).
"""

import importlib.util
import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
LAUNCH_DIR = REPO / 'launch'


def require_launch():
    """Skip unless launch and launch_ros are importable."""
    # (plain 'launch' would import the repository's launch/ folder as a namespace package)
    for module in ('launch.actions', 'launch_ros.actions'):
        pytest.importorskip(module, reason=f'{module.split(".")[0]} is not installable here '
                                           '(not on PyPI; it comes with a ROS 2 install)')


def load_launch_file(name: str):
    """Import launch/<name> the way ros2 launch does (a module from a file)."""
    spec = importlib.util.spec_from_file_location(name.replace('.', '_'), LAUNCH_DIR / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ament_prefix(root: pathlib.Path, packages, executables=None) -> pathlib.Path:
    """
    Create an install prefix holding ``packages`` in its ament index.

    ``executables`` maps a package to {name: target}: lib/<package>/<name> links to target, as
    ``ros2 run`` and launch_ros look executables up.
    """
    index = root / 'share' / 'ament_index' / 'resource_index' / 'packages'
    index.mkdir(parents=True, exist_ok=True)
    for package in packages:
        (index / package).touch()
        (root / 'share' / package).mkdir(parents=True, exist_ok=True)
    for package, links in (executables or {}).items():
        (root / 'lib' / package).mkdir(parents=True, exist_ok=True)
        for name, target in links.items():
            (root / 'lib' / package / name).symlink_to(target)
    return root


def prepend_ament_prefix(monkeypatch, prefix: pathlib.Path) -> None:
    """Put ``prefix`` first on AMENT_PREFIX_PATH, keeping what is there (a sourced install)."""
    existing = os.environ.get('AMENT_PREFIX_PATH')
    monkeypatch.setenv('AMENT_PREFIX_PATH', os.pathsep.join(filter(None, [str(prefix),
                                                                          existing])))
