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
Options that choose the engine: ``--preset``, ``--model``, ``--backend``, ``--device``.

``segment_video`` runs the engine itself (default ``auto`` for the backend and device);
``replay`` and the demo hand them to the node (default: the node's own parameter), and the demo
forwards them to ``replay``. One definition, so the tools offer the same choices with the same
words. The three are offline tools: their preset is ``accurate`` (``OFFLINE_PRESET``) unless
``--preset`` or ``--model`` says otherwise (``offline_preset``), where the node's is ``auto``.
"""

import argparse
from typing import List, Optional

from person_segmentation.engine.presets import AUTO, NAMES as PRESET_NAMES
from person_segmentation.models.backends import BACKENDS
from person_segmentation.models.devices import DEVICE_HELP
from person_segmentation.models.registry import model_names

NAMES = ('preset', 'model', 'backend', 'device')
#: The offline tools' preset: on every visible set no worse than the 513 model that was their
#: default (docs/engine.md, Presets), at about 13 times plain BodyPix's cost per frame.
OFFLINE_PRESET = 'accurate'


def offline_preset(preset: Optional[str], model: Optional[str]) -> str:
    """Return an offline tool's preset: the one given, else the model plainly, else accurate."""
    return preset or (AUTO if model else OFFLINE_PRESET)


def add_engine_options(parser: argparse.ArgumentParser, default: Optional[str] = None) -> None:
    """Add the four options; ``default`` None means "the node's parameter" (it is 'auto')."""
    unset = "the node's, auto" if default is None else default
    parser.add_argument('--preset', choices=PRESET_NAMES, default=None,
                        help='fast (real time on a CPU), accurate (best quality, several passes '
                             'per frame) or auto: accurate where a GPU is used, fast on a CPU '
                             f'(default: {OFFLINE_PRESET}, about 13x the cost of fast; with '
                             '--model: that model plainly)')
    parser.add_argument('--model', default=None,
                        help=f'model name ({", ".join(model_names())}) or a path to a model '
                             "file (default: the preset's; with preset auto it runs plainly)")
    parser.add_argument('--backend', choices=BACKENDS, default=default,
                        help="'auto' (Keras on a usable GPU, else LiteRT on the CPU), 'tflite' "
                             f"or 'keras' (default: {unset})")
    parser.add_argument('--device', default=default, help=f'{DEVICE_HELP} (default: {unset})')


def engine_argv(args: argparse.Namespace) -> List[str]:
    """Return the options given in ``args`` as command-line arguments (to forward them)."""
    argv: List[str] = []
    for name in NAMES:
        if getattr(args, name):
            argv += [f'--{name}', getattr(args, name)]
    return argv
