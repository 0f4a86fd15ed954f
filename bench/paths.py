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
Where the benchmarks find the repository, ../shared and the test suite's helper modules.

Also what a benchmark's model name means (``engine_arguments``), the same in every one.
"""

import importlib.util
import os
import pathlib

#: a benchmark's model name ``preset:NAME`` names a preset instead of a model
PRESET = 'preset:'
REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED = pathlib.Path(os.environ.get('PERSON_SEGMENTATION_SHARED', REPO_ROOT.parent / 'shared'))


def load_test_helper(name: str):
    """Import ``test/<name>.py``: test/ is no package (pytest puts it on its own path)."""
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / 'test' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def engine_arguments(name: str) -> dict:
    """
    Return ``{'preset': NAME}`` for ``preset:NAME``, else ``{'model': name}``.

    The Segmenter's keyword argument, the node's parameter and segment_video's option alike.
    """
    if name.startswith(PRESET):
        return {'preset': name[len(PRESET):]}
    return {'model': name}
