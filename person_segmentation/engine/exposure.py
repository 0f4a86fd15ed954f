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
Lift dark frames a little before inference, so a person at dusk is seen as in daylight.

A gamma curve that maps the frame's mean luma to ``target`` (only when the frame is darker than
that) is monotone and keeps every edge; well-exposed frames pass unchanged, dark ones cost about
1 ms. The presets run it on BodyPix's input (the caller's frame, and any overlay drawn on it, is
untouched). It is deliberately mild (luma to 0.30 at most, gamma >= 0.7): measured with BodyPix
(docs/engine.md, Presets) on CamVid's dusk sequence 0001TP it lifts J by +0.046 (long side 640)
to +0.109 (800), on DAVIS darkened three ways it changes J by -0.005..+0.039, and only frames
with mean luma < 0.30 are touched. The strong lift the DeepLab presets used (luma to 0.45,
gamma >= 0.3) gained more on 0001TP (+0.152) but cost a lit performer on a dark stage, upside
down (the held-back footage's failure), 0.09-0.12 J: it was dropped.
"""

import cv2
import numpy as np

#: mean luma (0..1) below which a frame is lifted, and to which
TARGET_LUMA = 0.30
#: the strongest lift (gamma exponent): keeps noise in almost black frames in check
MIN_GAMMA = 0.7


def mean_luma(rgb: np.ndarray) -> float:
    """Mean luma of an RGB uint8 frame in [0, 1], from every 4th pixel (fast, and enough)."""
    sample = np.ascontiguousarray(rgb[::4, ::4])
    return float(cv2.cvtColor(sample, cv2.COLOR_RGB2GRAY).mean()) / 255.0


def lift_dark(rgb: np.ndarray, target: float = TARGET_LUMA) -> np.ndarray:
    """Return ``rgb`` gamma-lifted so its mean luma is about ``target``; brighter frames as-is."""
    luma = mean_luma(rgb)
    if luma >= target:
        return rgb
    gamma = max(MIN_GAMMA, np.log(target) / np.log(max(luma, 1e-3)))
    table = np.clip(255.0 * (np.arange(256) / 255.0) ** gamma + 0.5, 0, 255).astype(np.uint8)
    return cv2.LUT(rgb, table)
