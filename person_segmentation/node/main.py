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
Start the node: the one start path of the executable, ``ros2 run``, ``ros2 launch`` and replay.

``main`` reads top to bottom as the node's life: Ctrl-C handler, imports, ``rclpy.init``,
construct, spin, shut down. The order is what makes Ctrl-C clean at any moment. A launch that
stops right after starting interrupts the node while it imports or loads its model, and in a
terminal Ctrl-C reaches the node twice about 10 ms apart (the terminal's SIGINT and launch's
own). So:

- The handler comes before the seconds of imports. It raises KeyboardInterrupt, as Python's
  does, for the first SIGINT only, and records it: some libraries swallow the KeyboardInterrupt
  while they are imported (LiteRT's generated schema wraps imports in a bare ``except: pass``;
  a pybind11 module turns it into an ImportError that optional imports ignore), so each step
  checks whether a stop was asked for. It is installed also where the process started with
  SIGINT ignored (a background job of a script): the node answers SIGINT from its first second
  on, as it does once rclpy is initialised.
- Any later SIGINT is only recorded: the stop is under way, and a second KeyboardInterrupt in an
  early return or in the shutdown ended the process with exit code -2 (launch: "process has
  died"), sometimes with a traceback.
- From the end of ``main`` to the process exit SIGINT is ignored: while Python finalises it puts
  the default action (death by SIGINT) back in place of any Python handler.

The installed ``person_segmentation_node`` (bin/, see setup.py) blocks SIGINT in its first line,
before Python's site set-up, and calls ``main``, which unblocks it once the handler is in place:
a SIGINT in between waits (two arrive as one). setuptools' console-script wrapper, used before,
spent ~50 ms looking up its entry point with Python's default handler in place. Only the
interpreter's own start-up, before any line of ours, is left uncovered.
"""

import argparse
import signal
import sys
import threading
from typing import List, Optional, Sequence

from person_segmentation import exit_codes, names

_STOP = threading.Event()  # a SIGINT came: the node is stopping

DESCRIPTION = f"""\
Segment people in camera images: the ROS 2 node '{names.NODE_NAME}'. Subscribes to `image`
(sensor_msgs/Image; `image/compressed` with input_compressed:=true) and publishes, with each
input's header, ~/{names.MASK}, ~/{names.PROBABILITY}, ~/{names.OVERLAY}, \
~/{names.PERSON_DETECTED}, ~/{names.PERSONS},
~/{names.PARTS} (BodyPix body-part labels, while subscribed) and /diagnostics.
Several cameras: -p "images:=[/front/image_raw, /rear/image_raw]" (outputs under
~/camera_0/, ~/camera_1/). A managed (lifecycle) node: -p lifecycle:=true.
An aligned depth camera: -p use_depth:=true with `{names.DEPTH_INPUT}` and \
`{names.DEPTH_INFO_INPUT}` remapped
adds ~/{names.NEAREST_PERSON} and ~/{names.PERSONS_CLOUD}.
Runs until Ctrl-C or SIGTERM (exit status 0); a model that cannot be loaded: exit status 1
(the managed node logs it and stays unconfigured).
"""
EPILOG = f"""\
ROS arguments (everything after --ros-args):
  -r image:=/camera/image_raw                  the camera topic to segment
  -r __ns:=/front  -r __node:=NAME             namespace, node name
  -p threshold:=0.6  -p preset:=accurate       a parameter
  --params-file share/{names.PACKAGE}/config/{names.PARAMS_FILE}
  --log-level debug

Parameters: docs/node.md (section Parameters) lists every one with its default, range and
whether it changes live; on a running node: ros2 param list /{names.NODE_NAME},
ros2 param describe /{names.NODE_NAME} threshold.
Example: ros2 run {names.PACKAGE} {names.NODE_EXECUTABLE} --ros-args -r image:=/camera/image_raw
"""


def _on_sigint(signum, frame) -> None:
    """Record every SIGINT; interrupt only with the first (see the module docstring)."""
    if not _STOP.is_set():
        _STOP.set()
        raise KeyboardInterrupt


def main(args: Optional[Sequence[str]] = None) -> int:
    """Run the node until Ctrl-C / SIGTERM; exit_codes.ERROR when it cannot start."""
    signal.signal(signal.SIGINT, _on_sigint)  # 1. before anything slow
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # held by the executable
        return _run(list(sys.argv if args is None else args))
    except KeyboardInterrupt:  # the first Ctrl-C, wherever it landed: a clean stop
        return exit_codes.OK
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # until the process has exited


def _run(argv: List[str]) -> int:
    usage = _usage(argv[1:])
    if usage is not None:
        return usage
    # 2. imports: seconds of numpy, OpenCV, rclpy and the model runtime
    try:
        from person_segmentation.node.managed_node import create_node
        from person_segmentation.node.segmentation_node import failure_reason
        import rclpy
        from rclpy.executors import ExternalShutdownException
    except ImportError as error:
        # A Ctrl-C inside a C extension's initialisation can surface as an ImportError that
        # does not name the KeyboardInterrupt at all (numpy: 'PyCapsule_Import could not import
        # module "datetime"'): after a SIGINT, any failed import is part of the stop.
        if interrupted(error) or _STOP.is_set():
            return exit_codes.OK
        raise
    if _STOP.is_set():  # a Ctrl-C that a library swallowed while it was imported
        return exit_codes.OK
    # 3. rclpy.init: from here rclpy also shuts its context down on SIGINT and SIGTERM
    rclpy.init(args=argv)
    try:
        # 4. construct: declare the parameters, load the model (seconds), subscribe; with
        # lifecycle:=true only the first (the model loads on `configure`)
        try:
            node = create_node()
        except Exception as error:  # noqa: B902 - also rclpy's parameter exceptions
            if _STOP.is_set() or not rclpy.ok():  # stopped under the constructor
                return exit_codes.OK
            rclpy.logging.get_logger(names.NODE_NAME).error(
                f'cannot start: {failure_reason(error)}')
            return exit_codes.ERROR
        # 5. spin until Ctrl-C / SIGTERM
        try:
            if not _STOP.is_set():
                rclpy.spin(node)
        except (KeyboardInterrupt, ExternalShutdownException):
            pass
        except Exception:  # noqa: B902
            if rclpy.ok():  # a real failure: keep its traceback
                raise
            # else a callback that was running when Ctrl-C / SIGTERM shut the context down
            # failed on it (e.g. "publisher's context is invalid"): part of a clean stop
        finally:
            # 6. shut down: the worker finishes its frame, then the model is released
            _STOP.set()  # a SIGINT from now on is only recorded
            node.destroy_node()
        return exit_codes.OK
    finally:
        rclpy.try_shutdown()


def _usage(arguments: Sequence[str]) -> Optional[int]:
    """
    Answer --help (exit status 0) or arguments that are not ROS arguments (2), else None.

    ROS arguments are those from each ``--ros-args`` up to ``--`` or the end; rclpy reads them.
    """
    ours, in_ros_arguments = [], False
    for argument in arguments:
        if argument == '--ros-args':
            in_ros_arguments = True
        elif in_ros_arguments and argument == '--':
            in_ros_arguments = False
        elif not in_ros_arguments:
            ours.append(argument)
    if not ours:
        return None
    parser = argparse.ArgumentParser(
        prog=names.NODE_EXECUTABLE, usage=f'{names.NODE_EXECUTABLE} [-h] [--ros-args ...]',
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    try:
        parser.parse_args(ours)
    except SystemExit as done:  # --help printed, or the error and the usage line
        return exit_codes.OK if done.code in (0, None) else exit_codes.USAGE
    return None


def interrupted(error: Optional[BaseException]) -> bool:
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


if __name__ == '__main__':
    sys.exit(main())
