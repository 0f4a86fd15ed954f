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
The package's layering, checked from the code's own imports.

README (Layout) describes the layers; this keeps the code honest about them: no import cycle,
rclpy only in the two ROS adapters, the engine and the models free of ROS and of the tools, the
concrete inference backends reached only through ``models.backends.create_backend``, and
``launch_support`` light enough for the system Python that runs ``ros2 launch``.
"""

import ast
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / 'person_segmentation'
# Modules every layer may use: stdlib-only constants and the atomic file write.
BASE = {'person_segmentation', 'person_segmentation.names', 'person_segmentation.exit_codes',
        'person_segmentation.atomic_files'}
# layer -> the layers (or single modules) it may import from, besides itself and BASE
ALLOWED = {
    'models': (),
    'engine': ('models',),
    'media': (),
    'node': ('engine', 'models', 'media'),
    'replay': ('media', 'node'),
    'launch_support': ('media.bag_topics', 'media.bag_storage'),
    'cli': ('engine', 'models', 'media', 'node', 'replay', 'launch_support'),
}
#: Inside ``models`` only: the concrete backends and what they are built from. Other layers know
#: a model through ``models.lookup`` and run it through ``models.backends`` (``create_backend``,
#: the ``Backend`` interface of ``models.backends.base``), so a new backend is a local change.
MODELS_PRIVATE = ('person_segmentation.models.backends.',
                  'person_segmentation.models.keras_deeplab',
                  'person_segmentation.models.keras_bodypix',
                  'person_segmentation.models.tflite_graph')
MODELS_INTERFACE = {'person_segmentation.models.backends.base'}
# The node's rclpy adapter and its start path; the replay tool's runner. The node's messages,
# per-frame pipeline and parameters stay rclpy-free (testable without a ROS graph).
ROS_ADAPTERS = {'person_segmentation.node.segmentation_node', 'person_segmentation.node.main',
                'person_segmentation.node.managed_node',
                'person_segmentation.replay.runner'}
HEAVY = ('numpy', 'cv2', 'tensorflow', 'keras', 'jax', 'torch', 'ai_edge_litert', 'rosbags',
         'rclpy', 'h5py')


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob('*.py'))}


def _imports(name: str):
    """Every module ``name`` imports (at any depth of its code), as absolute names."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f'{name}: use absolute imports'
            found.add(node.module)
            # "from package import module" imports the module
            found.update(f'{node.module}.{alias.name}' for alias in node.names
                         if f'{node.module}.{alias.name}' in MODULES)
    return found


GRAPH = {name: {m for m in _imports(name) if m in MODULES and m != name} for name in MODULES}


def _layer(name: str) -> str:
    parts = name.split('.')
    return parts[1] if len(parts) > 1 else ''


def test_every_module_is_in_a_layer():
    loose = [n for n in MODULES if n not in BASE and _layer(n) not in ALLOWED]
    assert not loose, f'modules outside the layers of README (Layout): {loose}'


def test_no_import_cycle():
    state = {}

    def visit(name, path):
        state[name] = 'open'
        for other in sorted(GRAPH[name]):
            if state.get(other) == 'open':
                cycle = path[path.index(other):] + [other]
                pytest.fail('import cycle: ' + ' -> '.join(cycle))
            if other not in state:
                visit(other, path + [other])
        state[name] = 'done'

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize('layer', sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer):
    allowed = tuple(f'person_segmentation.{part}' for part in (layer,) + ALLOWED[layer])
    bad = sorted(f'{name} imports {other}'
                 for name, others in GRAPH.items() if _layer(name) == layer
                 for other in others
                 if other not in BASE and not any(other == a or other.startswith(a + '.')
                                                  for a in allowed))
    assert not bad, 'imports against the layering (README, Layout):\n' + '\n'.join(bad)


def test_only_models_reaches_the_concrete_backends():
    bad = sorted(f'{name} imports {other}'
                 for name, others in GRAPH.items() if _layer(name) != 'models'
                 for other in others
                 if other.startswith(MODELS_PRIVATE) and other not in MODELS_INTERFACE)
    assert not bad, 'use models.lookup and models.backends.create_backend:\n' + '\n'.join(bad)


def test_rclpy_only_in_the_ros_adapters():
    users = sorted(name for name in MODULES
                   if any(m == 'rclpy' or m.startswith('rclpy.') for m in _imports(name)))
    assert set(users) == ROS_ADAPTERS, users


def test_the_node_start_path_is_light_until_its_handler_is_in_place():
    """
    Importing node/main.py (what the executable does first) loads none of the heavy packages.

    Its Ctrl-C handler must be in place before the seconds of imports: main() imports them.
    """
    code = ('import sys\nimport person_segmentation.node.main\n'
            f'print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '[]', f'node/main.py loads {result.stdout.strip()}'


def test_launch_support_stays_light_under_a_fresh_interpreter():
    """Importing what the launch files import loads none of the heavy packages."""
    light = sorted(n for n in MODULES if _layer(n) == 'launch_support') + [
        'person_segmentation.media.bag_topics', 'person_segmentation.media.bag_storage']
    code = ('import sys\n' + ''.join(f'import {name}\n' for name in light)
            + 'from person_segmentation.launch_support import bag_replay, segmentation\n'
            + 'bag_replay.ARGUMENTS, segmentation.node_settings\n'
            + f'print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '[]', f'launch_support loads {result.stdout.strip()}'


def test_launch_files_import_only_launch_support_and_names():
    for launch_file in sorted((ROOT / 'launch').glob('*.launch.py')):
        tree = ast.parse(launch_file.read_text())
        ours = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module.startswith('person_segmentation')}
        assert ours <= {'person_segmentation', 'person_segmentation.launch_support'} | {
            n for n in MODULES if _layer(n) == 'launch_support'}, (launch_file.name, ours)
