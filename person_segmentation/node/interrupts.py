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
Remember a Ctrl-C (SIGINT) even where a library swallows the KeyboardInterrupt it raises.

The node starts in seconds of imports and model loading; a launch that stops right away sends
SIGINT during that time. Python turns it into a KeyboardInterrupt in whatever code runs, and
some third-party code catches everything there (LiteRT's generated schema wraps imports in bare
``except: pass``; a pybind11 module turns it into an ImportError that optional imports ignore).
The node then started anyway and ran on, deaf to the signal that had already come and gone.
The handler here still raises KeyboardInterrupt, as Python's does, and also records the
request, so the node can check after starting whether it was asked to stop.
"""

import signal
import threading

_REQUESTED = threading.Event()


def _on_sigint(signum, frame):
    _REQUESTED.set()
    raise KeyboardInterrupt


def install() -> None:
    """
    Record every SIGINT from now on (then raise KeyboardInterrupt, as Python does).

    Also where the process was started with SIGINT ignored (a background job of a shell script,
    and so everything a launch started that way starts): rclpy stops the node on SIGINT there
    too once it is initialised, so the node now answers SIGINT the same from its first second
    on instead of ignoring it only while it starts.
    """
    signal.signal(signal.SIGINT, _on_sigint)


def requested() -> bool:
    """Tell whether a SIGINT came since ``install``."""
    return _REQUESTED.is_set()
