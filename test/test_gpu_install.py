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
The GPU install (``scripts/setup_venv --gpu``) is fully pinned and agrees with the CPU one.

Resolving it needs the network and gigabytes of wheels, so it is checked by hand (the command is
in requirements-gpu.txt); here: every line pinned, the JAX packages at one version, and no
package pinned differently in the two files (pip would refuse the combined install).
"""

import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _pins(name):
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split('#')[0].strip()
        if not line:
            continue
        match = re.fullmatch(r'([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.+\-]+)', line)
        assert match, f'{name}: {line!r} is not pinned as NAME==VERSION'
        pins[match.group(1).lower().replace('_', '-')] = match.group(2)
    return pins


def test_gpu_requirements_are_pinned_and_consistent():
    gpu, cpu = _pins('requirements-gpu.txt'), _pins('requirements.txt')
    jax = {gpu[name] for name in ('jax', 'jaxlib', 'jax-cuda12-plugin', 'jax-cuda12-pjrt')}
    assert len(jax) == 1, f'the JAX packages must share one version, got {jax}'
    clashes = {name: (cpu[name], gpu[name]) for name in gpu if name in cpu
               and cpu[name] != gpu[name]}
    assert not clashes, f'pinned differently in requirements.txt and -gpu.txt: {clashes}'
    assert any(name.startswith('nvidia-cudnn') for name in gpu)  # CUDA comes as wheels


def test_setup_script_refuses_an_unknown_option():
    result = subprocess.run([str(ROOT / 'scripts' / 'setup_venv'), '--cuda'],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and 'usage' in result.stderr
