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
Which Fast DDS profile the replay, the demo and the launch files give the processes they start.

The package's large-image profile by default; a file or 'none' from a launch argument; and
whatever the user set in the environment kept as it is.
"""

from person_segmentation.launch_support.arguments import ConfigError
from person_segmentation.launch_support.config_files import package_config
from person_segmentation.launch_support.fastdds import (choose_profile, PROFILES_VARIABLE,
                                                        TRANSPORTS_VARIABLE)
from person_segmentation.names import FASTDDS_PROFILE_FILE
import pytest


def test_by_default_the_package_profile_is_given():
    profile = package_config(FASTDDS_PROFILE_FILE)
    choice = choose_profile({'PATH': '/usr/bin'}, 'fastdds_profiles_file', '')
    assert choice.env == {PROFILES_VARIABLE: profile.path}
    assert choice.description == str(profile)


@pytest.mark.parametrize('environ, kept', [
    ({PROFILES_VARIABLE: '/etc/my_dds.xml'}, "FASTDDS_DEFAULT_PROFILES_FILE='/etc/my_dds.xml'"),
    ({PROFILES_VARIABLE: ''}, "FASTDDS_DEFAULT_PROFILES_FILE=''"),  # set empty: Fast DDS's own
    ({TRANSPORTS_VARIABLE: 'LARGE_DATA'}, "FASTDDS_BUILTIN_TRANSPORTS='LARGE_DATA'"),
])
def test_a_users_own_fastdds_setting_is_kept(environ, kept):
    choice = choose_profile(environ)
    assert choice.env == {}
    assert choice.description == f"the environment's ({kept})"


def test_a_launch_argument_wins_over_the_environment(tmp_path):
    mine = tmp_path / 'mine.xml'
    mine.write_text('<dds/>')
    environ = {PROFILES_VARIABLE: '/etc/other.xml'}
    chosen = choose_profile(environ, 'fastdds_profiles_file', str(mine))
    assert chosen.env == {PROFILES_VARIABLE: str(mine)}
    assert chosen.description == f'{mine} (fastdds_profiles_file:=)'
    off = choose_profile({}, 'fastdds_profiles_file', 'None')
    assert off == ({}, 'none (fastdds_profiles_file:=none)')
    with pytest.raises(ConfigError, match="fastdds_profiles_file:='/no/such.xml': no such file"):
        choose_profile({}, 'fastdds_profiles_file', '/no/such.xml')
