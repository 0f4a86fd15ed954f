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
Which config files the launch files use, and the packages they check before starting anything.

Both launch files resolve their files one way in every kind of install: the ament index (colcon,
apt), else the source tree (pip -e, PYTHONPATH). The three ways an ament lookup fails outside a
colcon install (AMENT_PREFIX_PATH unset, set without this package, package without the file)
are each tested with a real ament index (ament_index_python from the ROS wheels).
"""

import pathlib

from launch_helpers import ament_prefix, prepend_ament_prefix
from person_segmentation import names
from person_segmentation.launch_support import config_files
from person_segmentation.launch_support.arguments import ConfigError
import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_outside_an_ament_install_the_source_tree_config_is_used(tmp_path, monkeypatch):
    want = config_files.ConfigFile(str(REPO / 'config' / names.PARAMS_FILE), 'source tree')
    monkeypatch.delenv('AMENT_PREFIX_PATH', raising=False)  # ament_index raises OSError
    assert config_files.package_config(names.PARAMS_FILE) == want
    # a sourced ROS install that does not hold this package: PackageNotFoundError
    monkeypatch.setenv('AMENT_PREFIX_PATH', str(ament_prefix(tmp_path / 'ros', ['rclpy'])))
    assert config_files.package_config(names.PARAMS_FILE) == want
    # indexed, but without this file in its share/config: looked for further
    prepend_ament_prefix(monkeypatch, ament_prefix(tmp_path / 'ws', [names.PACKAGE]))
    assert config_files.package_config(names.PARAMS_FILE) == want
    assert str(want) == f'{want.path} (source tree)'


def test_an_installed_config_comes_first(tmp_path, monkeypatch):
    prefix = ament_prefix(tmp_path / 'install', [names.PACKAGE])
    installed = prefix / 'share' / names.PACKAGE / 'config' / names.FASTDDS_PROFILE_FILE
    installed.parent.mkdir()
    installed.write_text('<dds/>')
    prepend_ament_prefix(monkeypatch, prefix)
    found = config_files.package_config(names.FASTDDS_PROFILE_FILE)
    assert found == (str(installed), 'installed')


def test_a_missing_config_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.delenv('AMENT_PREFIX_PATH', raising=False)
    monkeypatch.setattr(config_files, 'SOURCE_TREE', tmp_path)
    with pytest.raises(ConfigError, match=rf'config/{names.PARAMS_FILE} of person_segmentation '
                                          rf'not found \(looked in {tmp_path}/config/'):
        config_files.package_config(names.PARAMS_FILE)


def test_a_given_file_must_exist(tmp_path):
    given = tmp_path / 'mine.yaml'
    given.write_text('{}')
    assert config_files.chosen_config('params_file', f' {given} ', names.PARAMS_FILE) == (
        str(given), 'params_file:=')
    with pytest.raises(ConfigError, match=r"params_file:='/no/such.yaml': no such file"):
        config_files.chosen_config('params_file', '/no/such.yaml', names.PARAMS_FILE)


def test_required_packages_are_checked_in_the_ament_index(tmp_path, monkeypatch):
    monkeypatch.setenv('ROS_DISTRO', 'humble')
    monkeypatch.setenv('AMENT_PREFIX_PATH', str(ament_prefix(tmp_path / 'ros', ['rclpy'])))
    with pytest.raises(ConfigError, match=r'viewer:=true needs the ROS package rqt_image_view, '
                                          r'.*sudo apt install ros-humble-rqt-image-view'):
        config_files.require_package('rqt_image_view', 'viewer:=true')
    with pytest.raises(ConfigError, match='person_segmentation.*build it with colcon'):
        config_files.require_node_package('x.launch.py')
    prepend_ament_prefix(monkeypatch, ament_prefix(tmp_path / 'more', ['rqt_image_view']))
    config_files.require_package('rqt_image_view', 'viewer:=true')
    monkeypatch.delenv('AMENT_PREFIX_PATH')
    with pytest.raises(ConfigError, match='not in the ament index'):
        config_files.require_package('rqt_image_view', 'viewer:=true')
