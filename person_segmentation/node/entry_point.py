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
Entry point of the ``person_segmentation_node`` console script: import the node, then run it.

Importing the node takes seconds (numpy, OpenCV, rclpy, the model runtime), and a launch that
stops right after starting (a bag ``ros2 bag play`` cannot open, an early Ctrl-C) sends SIGINT
during that time. Caught here, it ends the process quietly with exit_codes.OK instead of a
KeyboardInterrupt traceback; segmentation_node.main handles the signals that come later.
"""

from person_segmentation import exit_codes
from person_segmentation.node import interrupts


def main(args=None) -> int:
    """Import the node and run it; a Ctrl-C while importing is a clean stop."""
    interrupts.install()  # before the heavy imports, which may swallow the KeyboardInterrupt
    try:
        from person_segmentation.node.segmentation_node import main as run_node
    except (KeyboardInterrupt, ImportError) as error:
        if interrupted(error):
            return exit_codes.OK
        raise
    return run_node(args)


def interrupted(error: BaseException) -> bool:
    """
    Tell whether ``error`` is, or was caused by, a KeyboardInterrupt.

    A SIGINT while a C extension initialises (rclpy's, seen under ros2 launch) surfaces as
    ``ImportError: initialization failed`` caused by the KeyboardInterrupt.
    """
    while error is not None:
        if isinstance(error, KeyboardInterrupt):
            return True
        error = error.__cause__ or error.__context__
    return False
