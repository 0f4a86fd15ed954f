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
Synthetic depth scenes with known geometry, for the depth tests and bench/bench_depth.py.

A 640x480 camera with fx = fy = 500, cx = 320, cy = 240 looks at a wall; a person stands in
front of it. The person's depth is known, so the distance the geometry reports can be checked
against numbers worked out by hand. The depth can be spoiled the ways real depth is: sensor
noise (a stereo camera's, growing with the square of the distance), holes (random dropouts,
a dark-clothes patch with no reading at all) and a mask that bleeds past the person onto the
wall behind.
"""

from dataclasses import dataclass
from typing import Optional, Tuple

import cv2
import numpy as np
from person_segmentation.engine.pinhole import PinholeIntrinsics

WIDTH, HEIGHT = 640, 480
FX = FY = 500.0
CX, CY = 320.0, 240.0
INTRINSICS = PinholeIntrinsics(fx=FX, fy=FY, cx=CX, cy=CY, width=WIDTH, height=HEIGHT)

# RealSense D435-like stereo noise: sigma_z = z^2 * subpixel / (focal px * baseline)
# (Intel's depth RMS error model: subpixel 0.08, 848x480 depth focal ~430 px, baseline 50 mm)
STEREO_NOISE_PER_M2 = 0.08 / (430.0 * 0.050)


@dataclass
class Scene:
    """A person mask (0/255, as the engine gives it), its depth and the truth."""

    mask: np.ndarray
    depth: np.ndarray  # uint16 mm or float32 m
    person: np.ndarray  # bool: the pixels that are really the person
    distance: float  # depth of the person's nearest surface, m


def box_person(box=(300, 200, 40, 80)) -> np.ndarray:
    """Return a box-shaped person: True inside ``box`` (x, y, width, height)."""
    person = np.zeros((HEIGHT, WIDTH), bool)
    x, y, w, h = box
    person[y:y + h, x:x + w] = True
    return person


def silhouette(distance: float, centre_u: float = CX, height_m: float = 1.7,
               width_m: float = 0.45, feet_v: Optional[float] = None) -> np.ndarray:
    """Return the mask of a standing person (head, torso, legs) of real size at ``distance``."""
    scale = FX / distance
    person = np.zeros((HEIGHT, WIDTH), np.uint8)
    feet = feet_v if feet_v is not None else CY + 0.9 * scale  # camera 0.9 m above the floor

    def v(m):  # image row of a height above the feet
        return int(round(feet - m * scale))

    def u(m):  # image column of a lateral offset from the centre line
        return int(round(centre_u + m * scale))

    axes = (max(1, int(0.09 * scale)), max(1, int(0.12 * scale)))
    cv2.ellipse(person, (u(0.0), v(1.58)), axes, 0, 0, 360, 1, -1)
    cv2.rectangle(person, (u(-width_m / 2), v(1.45)), (u(width_m / 2), v(0.85)), 1, -1)
    cv2.rectangle(person, (u(-0.18), v(0.85)), (u(-0.03), int(round(feet))), 1, -1)
    cv2.rectangle(person, (u(0.03), v(0.85)), (u(0.18), int(round(feet))), 1, -1)
    return person.astype(bool)


def render(person: np.ndarray, distance: float, wall: float = 4.0, bleed: int = 0,
           dropout: float = 0.0, dark_patch: bool = False, noise: float = 0.0,
           rounded: float = 0.0, dtype=np.uint16, seed: int = 0) -> Scene:
    """
    Depth of ``person`` at ``distance`` in front of a wall at ``wall`` metres, and its mask.

    ``bleed``: the mask grows this many pixels past the person (onto the wall). ``dropout``:
    share of the person's pixels with no reading. ``dark_patch``: the middle third of the
    person's rows read nothing (dark clothes). ``noise``: multiplier of the stereo noise model
    (1 = D435-like). ``rounded``: the body is a cylinder of this radius (m) across its width,
    so its centre line is nearest and its sides further. uint16 depth is in millimetres (0 = no
    reading), float32 in metres (NaN = no reading).
    """
    rng = np.random.default_rng(seed)
    z = np.full((HEIGHT, WIDTH), wall, np.float64)
    z[person] = distance
    if rounded > 0:
        columns = np.nonzero(person.any(axis=0))[0]
        centre, half = (columns[0] + columns[-1]) / 2, max(1.0, (columns[-1] - columns[0]) / 2)
        offset = np.clip(np.abs(np.arange(WIDTH) - centre) / half, 0, 1)
        relief = rounded * (1 - np.sqrt(1 - offset ** 2))
        z = np.where(person, distance + relief[None, :], z)
    if noise > 0:
        z = z + rng.normal(size=z.shape) * noise * STEREO_NOISE_PER_M2 * z ** 2
    missing = np.zeros_like(person)
    if dropout > 0:
        missing |= person & (rng.random(person.shape) < dropout)
    if dark_patch:
        rows = np.nonzero(person.any(axis=1))[0]
        third = (rows[-1] - rows[0]) // 3
        band = np.zeros_like(person)
        band[rows[0] + third:rows[0] + 2 * third] = True
        missing |= person & band
    mask = person.astype(np.uint8) * 255
    if bleed > 0:
        mask = cv2.dilate(mask, np.ones((2 * bleed + 1, 2 * bleed + 1), np.uint8))
    if dtype == np.uint16:
        depth = np.clip(np.round(z * 1000), 0, 65535).astype(np.uint16)
        depth[missing] = 0
    else:
        depth = z.astype(np.float32)
        depth[missing] = np.nan
    return Scene(mask=mask, depth=depth, person=person, distance=distance)


def centroid(person: np.ndarray) -> Tuple[float, float]:
    """Mean pixel (u, v) of a mask."""
    v, u = np.nonzero(person)
    return float(u.mean()), float(v.mean())
