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
package.xml and setup.py describe the same package, and colcon installs every data file.

A colcon build on a ROS install reads package.xml for dependencies and setup.py for what to
install. If they drift (another version, a launch file not listed in data_files) `ros2 launch`
fails on the robot while everything passes here, so this test ties them together. The two
dependencies only PyPI has are named in package.xml and pinned in requirements-ros.txt (what
scripts/ros_venv installs on a ROS install) at the versions of requirements.txt.
"""

import os
import pathlib
import re
import subprocess
import sys
from xml.etree import ElementTree

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = 'person_segmentation'


@pytest.fixture(scope='module')
def manifest():
    return ElementTree.parse(REPO_ROOT / 'package.xml').getroot()


@pytest.fixture(scope='module')
def distribution():
    from distutils.core import run_setup
    cwd = os.getcwd()
    os.chdir(REPO_ROOT)
    try:
        return run_setup('setup.py', stop_after='init')
    finally:
        os.chdir(cwd)


def test_manifest_is_format_3_ament_python(manifest):
    assert manifest.get('format') == '3'
    assert manifest.findtext('export/build_type') == 'ament_python'


def test_name_version_maintainer_license_agree(manifest, distribution):
    assert manifest.findtext('name') == distribution.get_name() == PACKAGE
    assert manifest.findtext('version') == distribution.get_version()
    maintainer = manifest.find('maintainer')
    assert maintainer.text == distribution.get_maintainer()
    assert maintainer.get('email') == distribution.get_maintainer_email()
    assert manifest.findtext('license') == distribution.get_license()


def test_run_dependencies_declared(manifest):
    exec_deps = {e.text for e in manifest.findall('exec_depend')}
    for dep in ('rclpy', 'sensor_msgs', 'std_msgs', 'diagnostic_msgs', 'cv_bridge',
                'python3-numpy', 'python3-opencv', 'python3-pil'):
        assert dep in exec_deps, f'package.xml lacks <exec_depend>{dep}</exec_depend>'
    test_deps = {e.text for e in manifest.findall('test_depend')}
    assert {'ament_flake8', 'ament_pep257', 'ament_copyright', 'python3-pytest'} <= test_deps


def installed_files(distribution):
    files = {}
    for target, sources in distribution.data_files:
        for source in sources:
            files[source] = target
    return files


def test_marker_manifest_launch_and_config_are_installed(distribution):
    files = installed_files(distribution)
    assert files.get(f'resource/{PACKAGE}') == 'share/ament_index/resource_index/packages'
    assert files.get('package.xml') == f'share/{PACKAGE}'
    for folder in ('launch', 'config'):
        on_disk = sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / folder).iterdir()
                         if p.is_file())
        assert on_disk, f'{folder}/ is empty'
        for path in on_disk:
            assert files.get(path) == f'share/{PACKAGE}/{folder}', f'{path} is not installed'


def test_setup_cfg_puts_executables_where_ros2_run_looks():
    text = (REPO_ROOT / 'setup.cfg').read_text()
    assert f'script_dir=$base/lib/{PACKAGE}' in text
    assert f'install_scripts=$base/lib/{PACKAGE}' in text


def test_console_scripts_resolve(distribution):
    import importlib
    scripts = distribution.entry_points['console_scripts']
    names = {line.split('=')[0].strip() for line in scripts}
    assert {'segment_video', 'video_to_bag', 'replay'} <= names
    # The node's executable is a script of its own (its first line holds Ctrl-C back).
    assert distribution.scripts == ['bin/person_segmentation_node']
    assert os.access(REPO_ROOT / distribution.scripts[0], os.X_OK)
    for line in scripts:
        target = line.split('=')[1].strip()
        module, func = target.split(':')
        assert callable(getattr(importlib.import_module(module), func)), target


def test_the_node_script_runs_from_the_source_tree(distribution):
    """
    ``bin/person_segmentation_node`` run as it is, by its own first line.

    setuptools rewrites that line on install; run from a checkout, the kernel reads it, and
    ``#!/usr/bin/env python3 -S`` (an option after the interpreter) failed with "No such file
    or directory".
    """
    first = (REPO_ROOT / distribution.scripts[0]).read_text().splitlines()[0]
    assert first.startswith('#!') and first.endswith('python3 -S'), first
    env = dict(os.environ, PATH=os.pathsep.join([str(pathlib.Path(sys.executable).parent),
                                                 os.environ.get('PATH', '')]))
    done = subprocess.run([str(REPO_ROOT / distribution.scripts[0]), '--help'], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('usage: person_segmentation_node'), done.stdout


def pins(name: str) -> dict:
    """Map each package pinned in a requirements file to (version, the line's comment)."""
    found = {}
    for line in (REPO_ROOT / name).read_text().splitlines():
        requirement, _, comment = line.partition('#')
        match = re.match(r'\s*([\w.-]+)==([^\s;]+)(.*)', requirement)
        if match:
            key = re.sub(r'[-_.]+', '-', match.group(1)).lower()
            found.setdefault(key, []).append((match.group(2), match.group(3).strip(), comment))
    return found


def test_pip_only_dependencies_are_named_and_pinned_as_in_requirements_txt():
    comments = ' '.join(re.findall(r'<!--(.*?)-->', (REPO_ROOT / 'package.xml').read_text(),
                                   re.DOTALL))
    ros, development = pins('requirements-ros.txt'), pins('requirements.txt')
    for name in ('ai-edge-litert', 'rosbags'):
        assert name in comments, f'package.xml does not say where {name} comes from'
        assert [version for version, _, _ in ros[name]] == \
            [version for version, _, _ in development[name]], name
    assert 'numpy' not in ros, "numpy must stay the distribution's (scripts/ros_venv pins it)"
    for name, entries in ros.items():
        for version, marker, comment in entries:
            same = [version] == [v for v, _, _ in development.get(name, [])]
            assert same or 'differs:' in comment, \
                f'{name}=={version} {marker}: another version than requirements.txt, say why'


def test_no_pip_keys_for_rosdep(manifest):
    # rosdep installs -pip keys with `sudo pip install -U` into the system Python (PEP 668).
    keys = [e.text for e in manifest.iter() if e.tag.endswith('depend')]
    assert not [key for key in keys if key.endswith('-pip')], keys
