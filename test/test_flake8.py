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
flake8 with the ament configuration, as every ROS 2 Python package runs it.

In its own interpreter: flake8 checks files in a forked multiprocessing pool, and forked from a
pytest process that has run rclpy and LiteRT tests (their native threads outlive the nodes) its
workers hung until the test timed out, e.g. after ``pytest test/test_node_*.py
test/test_flake8.py``.
"""

import subprocess
import sys

from linted_paths import LINTED_PATHS
import pytest


@pytest.mark.linter
def test_flake8():
    result = subprocess.run([sys.executable, '-m', 'ament_flake8.main', *LINTED_PATHS],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f'flake8 found problems:\n{result.stdout}{result.stderr}'
    assert 'No problems found' in result.stdout, result.stdout
