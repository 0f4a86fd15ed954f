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
Every command README.md and docs/ show runs as written after the README's setup command.

The commands are read from the fenced bash blocks. A command that starts with a path
(``.venv/bin/replay``, ``./scripts/demo``) must exist and answer ``--help``, and every option
it shows must be one its ``--help`` lists. ``ros2 launch person_segmentation F a:=b`` must name
a launch file of the package and arguments it declares; ``ros2 run person_segmentation X`` a
console script it installs. Other commands (git, colcon, ros2 bag) belong to other tools.
"""

import os
import pathlib
import re
import shlex
import subprocess

from person_segmentation.launch_support import bag_replay, segmentation
import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
DOCUMENTS = [REPO / 'README.md'] + sorted((REPO / 'docs').glob('*.md'))
PATH_PREFIXES = ('.venv/', './', 'scripts/', 'bench/')
LAUNCH_ARGUMENTS = {'segmentation.launch.py': segmentation.LAUNCH_ARGUMENTS,
                    'bag_replay.launch.py': bag_replay.ARGUMENTS}
REPO_PATH = re.compile(r'^(test|bench|scripts|launch|config|docs)/[\w./-]+$')


def _commands(document: pathlib.Path):
    """Yield (line number, tokens) of each command in the document's bash blocks."""
    inside = False
    pending, start = '', 0
    for number, line in enumerate(document.read_text().splitlines(), 1):
        if line.startswith('```'):
            inside = not inside and line[3:].strip() in ('bash', 'sh')
            continue
        if not inside:
            continue
        pending, start = (pending + ' ' + line.strip(), start) if pending else (line, number)
        if pending.endswith('\\'):
            pending = pending[:-1]
            continue
        for command in re.split(r'\s&&\s', pending):
            tokens = shlex.split(command, comments=True)
            if tokens:
                yield start, tokens
        pending = ''


COMMANDS = [(f'{document.name}:{number}', tokens) for document in DOCUMENTS
            for number, tokens in _commands(document)]
PATH_COMMANDS = [(where, tokens) for where, tokens in COMMANDS
                 if tokens[0].startswith(PATH_PREFIXES)]
ROS2_COMMANDS = [(where, tokens) for where, tokens in COMMANDS
                 if tokens[:1] == ['ros2'] and tokens[1:2] in (['launch'], ['run'])]


def test_the_documents_show_commands():
    """The extraction finds what the README shows (guards against a parser that finds none)."""
    readme = [tokens[0] for where, tokens in PATH_COMMANDS if where.startswith('README')]
    assert {'./scripts/demo', './scripts/test', '.venv/bin/segment_video',
            '.venv/bin/video_to_bag', '.venv/bin/replay'} <= set(readme)
    assert any(tokens[1] == 'launch' for _, tokens in ROS2_COMMANDS)


def _help_command(tokens):
    """Return the command's program (``python -m M``, ``python script``) plus --help."""
    if tokens[0].endswith('/python'):
        program = tokens[:3] if tokens[1] == '-m' else tokens[:2]
    else:
        program = tokens[:1]
    return program + ['--help']


_HELP = {}


def _help_text(command):
    key = tuple(command)
    if key not in _HELP:
        env = dict(os.environ, PERSON_SEGMENTATION_SKIP_PIXELLIB='1')
        result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, f'{" ".join(command)} failed:\n{result.stderr}'
        _HELP[key] = result.stdout
    return _HELP[key]


@pytest.mark.parametrize('where, tokens', PATH_COMMANDS, ids=[w for w, _ in PATH_COMMANDS])
def test_path_commands_exist_and_take_the_options_shown(where, tokens):
    if not (REPO / '.venv' / 'bin' / 'python').exists():
        pytest.skip('no .venv: run ./scripts/setup_venv (the README setup) first')
    program = REPO / tokens[0]
    assert program.exists() and os.access(program, os.X_OK), f'{where}: no {tokens[0]}'
    for token in tokens[1:]:
        if REPO_PATH.match(token):
            assert (REPO / token).exists(), f'{where}: {token} does not exist'
    text = _help_text(_help_command(tokens))
    assert 'usage' in text.lower(), f'{where}: {tokens[0]} --help shows no usage'
    options = {token.strip('[]').split('=')[0] for token in tokens
               if token.strip('[').startswith('--')}
    missing = sorted(option for option in options if option not in text)
    assert not missing, f'{where}: {tokens[0]} has no {missing}'


def _console_scripts():
    """Return the executables setup.py installs: console scripts and its own scripts (bin/)."""
    setup = (REPO / 'setup.py').read_text()
    return set(re.findall(r"'(\w+) = person_segmentation\.[\w.]+:main'", setup)) | set(
        re.findall(r"'bin/(\w+)'", setup))


@pytest.mark.parametrize('where, tokens', ROS2_COMMANDS, ids=[w for w, _ in ROS2_COMMANDS])
def test_ros2_commands_name_what_the_package_installs(where, tokens):
    assert tokens[2] == 'person_segmentation', where
    if tokens[1] == 'run':
        assert tokens[3] in _console_scripts(), f'{where}: no executable {tokens[3]}'
        return
    launch_file = tokens[3]
    assert (REPO / 'launch' / launch_file).is_file(), f'{where}: no launch/{launch_file}'
    declared = {argument.name for argument in LAUNCH_ARGUMENTS[launch_file]}
    given = {token.strip('[]').split(':=')[0] for token in tokens[4:] if ':=' in token}
    assert given <= declared, f'{where}: {launch_file} has no {sorted(given - declared)}'
