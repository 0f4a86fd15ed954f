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

"""The processes the launch files start log without colour codes unless launch has a terminal."""

from person_segmentation.launch_support.log_colours import plain_log_env


def test_redirected_launch_output_gets_plain_log_lines():
    """The node's rcutils logging coloured its lines even in a file (emulate_tty)."""
    assert plain_log_env({'PATH': '/usr/bin'}, output_is_terminal=False) == {
        'RCUTILS_COLORIZED_OUTPUT': '0'}


def test_a_terminal_or_the_users_own_setting_is_left_alone():
    assert plain_log_env({}, output_is_terminal=True) == {}
    assert plain_log_env({'RCUTILS_COLORIZED_OUTPUT': '1'}, output_is_terminal=False) == {}
