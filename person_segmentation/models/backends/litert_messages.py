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
What LiteRT's C++ runtime prints to stderr, routed into Python logging instead.

The runtime writes its own log lines straight to file descriptor 2, past every Python logger:
"INFO: Created TensorFlow Lite XNNPACK delegate for CPU." appears in the node's and the launch
output when the first interpreter is allocated. ``to_logging`` captures descriptor 2 around
the few calls that print (creating and allocating an interpreter) and logs each line at the
level its prefix names (INFO, WARNING, ERROR; a line without one as a warning), so the INFO
line shows only where INFO logging is wanted and every warning or error still appears.
Anything other threads write to stderr in those milliseconds is logged the same way, not lost.
"""

import contextlib
import logging
import os
import sys
import tempfile

LOG = logging.getLogger('person_segmentation.litert')
_LEVELS = {'VERBOSE': logging.DEBUG, 'INFO': logging.INFO, 'WARNING': logging.WARNING,
           'ERROR': logging.ERROR}
_STDERR = 2


def log_lines(text: str, logger: logging.Logger = LOG) -> None:
    """Log each line of the runtime's output at the level its prefix names."""
    for line in text.splitlines():
        if not line.strip():
            continue
        prefix, separator, message = line.partition(': ')
        level = _LEVELS.get(prefix) if separator else None
        if level is None:
            logger.warning('%s', line)
        else:
            logger.log(level, '%s', message)


def _flush_python_stderr() -> None:
    if sys.stderr is not None:
        sys.stderr.flush()


@contextlib.contextmanager
def to_logging(logger: logging.Logger = LOG):
    """Capture file descriptor 2 meanwhile and log what was written to it (see the module)."""
    try:
        saved = os.dup(_STDERR)
    except OSError:  # no stderr to capture (a closed descriptor): nothing can print either
        yield
        return
    try:
        with tempfile.TemporaryFile() as capture:
            _flush_python_stderr()
            os.dup2(capture.fileno(), _STDERR)
            try:
                yield
            finally:
                _flush_python_stderr()
                os.dup2(saved, _STDERR)
                capture.seek(0)
                log_lines(capture.read().decode('utf-8', 'replace'), logger)
    finally:
        os.close(saved)
