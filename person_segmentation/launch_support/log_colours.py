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
Plain log lines from the processes the launch files start, unless the launch writes to a terminal.

rcutils colours a node's log lines when the node's output is a terminal, and
segmentation.launch.py gives the node a pseudo-terminal (``emulate_tty``, so its lines arrive
unbuffered) even when ``ros2 launch`` itself writes into a file or a pipe: the colour codes then
end up there. launch does nothing about it (launch 3.7: ``emulate_tty`` only picks the pipe, the
environment is passed on as it is; its own lines are never coloured). So the processes our launch
files start get RCUTILS_COLORIZED_OUTPUT=0 unless the launch's own output is a terminal or the
user set the variable. Standard library only.
"""

import sys
from typing import Dict, Mapping, Optional

COLOUR_VARIABLE = 'RCUTILS_COLORIZED_OUTPUT'


def plain_log_env(environ: Mapping[str, str],
                  output_is_terminal: Optional[bool] = None) -> Dict[str, str]:
    """
    Return the environment that keeps colour codes out of a launch's redirected output.

    ``output_is_terminal`` is whether ``ros2 launch`` writes to a terminal (default: whether
    this process's stdout, where launch's screen output goes, is one).
    """
    if output_is_terminal is None:
        output_is_terminal = sys.stdout.isatty()
    if output_is_terminal or COLOUR_VARIABLE in environ:
        return {}
    return {COLOUR_VARIABLE: '0'}
