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
The engine's presets: ``fast`` (real time on a CPU) and ``accurate`` (the best quality).

A preset is data: which model, how frames are fitted to it (strategy and whole-frame zooms, fused
by the size of each blob: ``view_fusion``), whether small candidates get refinement crops
(``refinement``), whether dark frames are lifted (``exposure``), and the presence rule
(``presence``). Every choice here was measured on all of
``../shared/eval`` (DAVIS, Penn-Fudan, CamVid), vtest.avi and people-free footage, per dataset
and sequence: docs/engine.md, section Presets, and ``bench/bench_presets.py``. ``auto`` picks
``accurate`` where a GPU is used and ``fast`` on a CPU.
"""

from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

from person_segmentation.engine.presence import PresenceRule
from person_segmentation.engine.refinement import Refinement

AUTO = 'auto'


@dataclass(frozen=True)
class Preset:
    """Everything a named preset sets; explicit Segmenter arguments override it."""

    name: str
    model: str
    strategy: str = 'native'
    #: whole-frame views (zoom of the model input's short side), fused by ``view_fusion``;
    #: the first one's scale measures sizes for fusion, refinement and presence
    zooms: Tuple[float, ...] = (1.0,)
    refinement: Optional[Refinement] = None
    lift_dark: bool = True  # gamma-lift dark frames before inference (engine.exposure)
    presence: PresenceRule = field(default_factory=PresenceRule)
    description: str = ''


#: The half-width 513 model with a 385 px short side costs what the 257 model did at 257 px
#: (x1.06, measured in one process) and is far better: DAVIS J 0.791 vs 0.734, Penn-Fudan
#: 0.811 vs 0.773, vtest frames with people flagged 97 % vs 29 %. Refinement crops (two at most,
#: 257 px) only in frames where the whole frame shows nobody: the cost goes where the presence
#: decision is unsure, none is added while a person is in view (vtest 100 % flagged, CamVid
#: 0.284).
FAST = Preset(
    name='fast', model='deeplabv3_mnv2_dm05_513', zooms=(0.75,),
    refinement=Refinement(max_zoom=4.0, max_windows=2, crop_size=257, only_when_absent=True),
    description='real time on a CPU: the half-width 513 model on the whole frame (short side '
                '385 px); a closer look at small candidates while nobody is found')
#: The full 513 model at zoom 1 and 2 (fused by blob size) and refinement crops at up to 4x:
#: the far people of a 3x3 vtest mosaic (18-39 px tall) found 84 % vs 3 % (plain 513).
ACCURATE = Preset(
    name='accurate', model='deeplabv3_mnv2_513', zooms=(1.0, 2.0),
    refinement=Refinement(max_zoom=4.0, max_windows=16),
    description='best quality: the 513 model on the whole frame at zoom 1 and 2, and '
                'refinement crops around small candidates')

PRESETS: Dict[str, Preset] = {preset.name: preset for preset in (FAST, ACCURATE)}
NAMES: Tuple[str, ...] = (AUTO,) + tuple(PRESETS)


def default_name(backend: str = 'auto', device: str = 'auto') -> str:
    """
    Return 'accurate' where the inference runs on a GPU, else 'fast' (imports no framework).

    ``backend`` and ``device`` are the Segmenter's: an explicit CPU choice (``device='cpu'``,
    ``backend='tflite'``) means 'fast' even on a machine with a GPU, ``device='gpu'`` means
    'accurate'; with both 'auto' it follows ``models.devices.gpu_device``.
    """
    from person_segmentation.models import devices
    kind, _ = devices.parse_device(device)
    if backend == 'tflite' or kind == 'cpu':
        return FAST.name
    if kind == 'gpu':
        return ACCURATE.name
    return ACCURATE.name if devices.gpu_device() else FAST.name


def get(name: str, backend: str = 'auto', device: str = 'auto') -> Preset:
    """Look a preset up by name ('auto' resolves to the default for ``backend`` and ``device``)."""
    if name == AUTO:
        name = default_name(backend, device)
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f'unknown preset {name!r}; choose one of {", ".join(NAMES)}') from None


def choose(preset: Optional[str], model: Optional[str], backend: str = 'auto',
           device: str = 'auto') -> Optional[Preset]:
    """
    Return the preset a Segmenter uses, or None for a model run plainly.

    A named preset (``fast``, ``accurate``) applies with ``model`` replacing its model. With no
    preset or ``auto``, a named model runs plainly (one whole-frame view, as before presets):
    the presets' zooms and crop sizes are tuned to their own models (``fast``'s zoom 0.75 would
    give the 257 model a 193 px input), and ``auto`` is the default of the node and the CLIs,
    so ``model:=X`` alone must mean the model X, not X inside a preset chosen for another one.
    """
    if preset not in (None, AUTO):
        return get(preset, backend, device)
    return None if model is not None else get(AUTO, backend, device)
