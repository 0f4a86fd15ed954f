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

A preset is data: which model, the whole-frame views it runs (``views.View``: the input's long
side, and whether the mirror is averaged in; several are fused by the size of each blob:
``view_fusion``), whether dark frames are lifted a little (``exposure``), a second model's
opinion on large people (``second_opinion``), the mask threshold, whether weak blobs are dropped
(``weak_blobs``) and the presence rule (``presence``). Both are built on BodyPix 2.0, a network
trained on people; every setting was chosen on one half of ``../shared/eval`` (DAVIS,
Penn-Fudan, CamVid), vtest.avi and people-free footage and confirmed on the other half:
docs/engine.md, section Presets, and ``bench/bench_presets.py``. ``auto`` picks ``accurate``
where a GPU is used and ``fast`` on a CPU.
"""

from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

from person_segmentation.engine.presence import PresenceRule
from person_segmentation.engine.second_opinion import SecondOpinion
from person_segmentation.engine.views import View
from person_segmentation.models.spec import BODYPIX_OUTPUT

AUTO = 'auto'
BODYPIX = 'bodypix_mnv1_075'


@dataclass(frozen=True)
class Preset:
    """Everything a named preset sets; explicit Segmenter arguments override it."""

    name: str
    model: str
    #: whole-frame views, fused by ``view_fusion``; the first one's scale measures sizes for
    #: fusion and presence, and its (un-mirrored) pass gives the body parts and keypoints
    views: Tuple[View, ...]
    threshold: float = 0.5  # probability at or above which a pixel is in the mask
    strategy: str = 'native'
    lift_dark: bool = True  # lift dark frames a little before the views (engine.exposure)
    #: a second model averaged in around large people (None: none)
    second_opinion: Optional[SecondOpinion] = None
    #: blobs whose mean probability is below this are dropped from the mask (None: kept)
    min_blob_confidence: Optional[float] = None
    presence: PresenceRule = field(default_factory=PresenceRule)
    description: str = ''


#: BodyPix at long side 720 (640x480 -> 720x544): the largest input that kept the node at
#: >= 25 fps here under load; J grows with the input up to 800-960 on every set. Threshold 0.55
#: trades the outline of large people (+0.004..+0.025 J) against far ones (vtest_far J -0.02).
#: Against plain BodyPix at 640x480 it is better on every visible number, small people found
#: included; DAVIS 0.825 vs the DeepLab fast's 0.791, CamVid 0.323 vs 0.284.
FAST = Preset(
    name='fast', model=BODYPIX, views=(View(720),), threshold=0.55,
    presence=PresenceRule(min_confidence=0.70, keypoint_confidence=0.60),
    description='real time on a CPU: BodyPix on the whole frame at long side 720')
#: Two scales, each with its mirror, fused by blob size: far people found (vtest_far 25-50 px
#: 0.79 vs 0.11 for fast); DeepLab 513 averaged in on people >= 25 % of the short side: DAVIS
#: 0.851 -> 0.877; blobs with mean probability < 0.6 dropped: CamVid 0.29 -> 0.40.
ACCURATE = Preset(
    name='accurate', model=BODYPIX, views=(View(800, mirrored=True), View(1280, mirrored=True)),
    second_opinion=SecondOpinion('deeplabv3_mnv2_513', min_height=0.25, margin=0.10),
    min_blob_confidence=0.6,
    presence=PresenceRule(min_confidence=0.75, keypoint_confidence=0.65),
    description='best quality: BodyPix at long sides 800 and 1280 with their mirrors, fused by '
                'blob size; DeepLab 513 averaged in around large people; weak blobs dropped')

#: the presence rule of a DeepLab model run plainly (chosen for the DeepLab presets before
#: BodyPix: 128 model pixels, mean probability 0.6; it has no keypoints)
DEEPLAB_PRESENCE = PresenceRule(min_area=128.0, min_confidence=0.6, keypoint_confidence=0.6,
                                min_keypoints=0)


def plain_presence(spec) -> PresenceRule:
    """Return the presence rule of a model run plainly: fast's for BodyPix, else DeepLab's."""
    return FAST.presence if spec.output == BODYPIX_OUTPUT else DEEPLAB_PRESENCE


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
    the presets' views and rules are tuned to their own model, and ``auto`` is the default of
    the node, so ``model:=X`` alone must mean the model X, not X inside a preset chosen for
    another one.
    """
    if preset not in (None, AUTO):
        return get(preset, backend, device)
    return None if model is not None else get(AUTO, backend, device)
