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
What LiteRT's C++ runtime prints goes through Python logging, and real problems stay visible.

The runtime prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." straight to file
descriptor 2 when the first interpreter is allocated; it used to appear in the node's and the
launch output past every logger. Checked in fresh interpreters (the runtime says it once per
process), on the real model, as a node or a tool would load it.
"""

import logging
import os
import subprocess
import sys

from conftest import REPO_ROOT
from person_segmentation.models.backends import litert_messages
import pytest

LOAD_AND_RUN = """
import logging, sys
import numpy as np
from person_segmentation.models.backends import create_backend
from person_segmentation.models.registry import get_spec
{configure}
spec = get_spec('deeplabv3_mnv2_257')
backend = create_backend(spec, {path!r}, 1, 'tflite', 'cpu')
print('answer', backend.predict(np.zeros((1, 257, 257, 3), np.uint8)).shape, file=sys.stderr)
"""


def _stderr_of(models_dir, configure=''):
    path = str(models_dir / 'deeplabv3_257_mv_gpu.tflite')
    code = LOAD_AND_RUN.format(configure=configure, path=path)
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            cwd=REPO_ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'answer (1, 257, 257)' in result.stderr  # the model ran
    return result.stderr


def test_the_delegate_line_does_not_bypass_logging(models_dir):
    assert 'XNNPACK' not in _stderr_of(models_dir)  # Python's default: INFO is not shown


def test_the_delegate_line_is_logged_where_info_is_wanted(models_dir):
    stderr = _stderr_of(models_dir, 'logging.basicConfig(level=logging.INFO, format='
                                    '"LOGGED %(name)s %(levelname)s %(message)s")')
    assert ('LOGGED person_segmentation.litert INFO Created TensorFlow Lite XNNPACK delegate '
            'for CPU.') in stderr.splitlines()
    assert 'INFO: Created' not in stderr  # not printed a second time past the logger


def test_warnings_errors_and_unknown_lines_keep_their_weight(caplog):
    caplog.set_level(logging.DEBUG, logger=litert_messages.LOG.name)
    with pytest.raises(RuntimeError, match='allocation failed'):
        with litert_messages.to_logging():
            os.write(2, b'INFO: delegate ready\nWARNING: slow path\n\n'
                        b'ERROR: out of memory\nFatal: something unprefixed\n')
            raise RuntimeError('allocation failed')  # what was printed is still logged
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ('INFO', 'delegate ready'), ('WARNING', 'slow path'), ('ERROR', 'out of memory'),
        ('WARNING', 'Fatal: something unprefixed')]


def test_stderr_is_restored_after_the_block():
    code = ('import os\nfrom person_segmentation.models.backends import litert_messages\n'
            'with litert_messages.to_logging():\n    os.write(2, b"ERROR: inside\\n")\n'
            'os.write(2, b"after the block\\n")\n')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            cwd=REPO_ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ['inside', 'after the block']
