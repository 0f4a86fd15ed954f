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
Run a snippet in a fresh Python process under an address-space limit and measure its memory.

Memory bugs are tested where they would hurt: a frame that makes the process allocate gigabytes
must not take the test machine with it, so the snippet calls ``limit_address_space(extra_mb)``
once it is set up, and reports ``peak_growth_mb()`` (peak RSS since ``reset_peak()``) in the
JSON object it prints last. Linux only (/proc/self/status, /proc/self/clear_refs).
"""

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]

PREAMBLE = '''
import json
import resource


def _status_kb(key):
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    raise RuntimeError(key)


def limit_address_space(extra_mb):
    """Allow this process only extra_mb MB more address space than it uses now."""
    size = (_status_kb('VmSize') + extra_mb * 1024) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size, size))


def reset_peak():
    """Start measuring the peak RSS from now on."""
    global _BASE_KB
    with open('/proc/self/clear_refs', 'w') as clear_refs:
        clear_refs.write('5')
    _BASE_KB = _status_kb('VmRSS')


def peak_growth_mb():
    """Peak RSS since reset_peak(), minus the RSS then, in MB."""
    return (_status_kb('VmHWM') - _BASE_KB) / 1024.0


'''


def run_snippet(code: str, timeout: float = 300.0) -> dict:
    """
    Run ``code`` (after PREAMBLE) in a new interpreter; return the JSON it printed last.

    The package and the test helpers are importable; it runs in the repository root.
    """
    if not os.path.exists('/proc/self/clear_refs'):
        pytest.skip('needs Linux /proc/self/clear_refs to measure peak memory')
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(REPO), str(REPO / 'test'),
                                                      env.get('PYTHONPATH')]))
    process = subprocess.run([sys.executable, '-c', PREAMBLE + textwrap.dedent(code)],
                             env=env, cwd=REPO, capture_output=True, text=True,
                             timeout=timeout)
    assert process.returncode == 0, process.stderr[-3000:]
    return json.loads(process.stdout.strip().splitlines()[-1])
