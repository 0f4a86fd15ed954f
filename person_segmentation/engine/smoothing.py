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
Temporal smoothing of the person probability, against flicker and limbs that drop out.

An exponential moving average of the probability map, ``s = w * s_prev + (1 - w) * p``, whose
weight of the past is the configurable factor ``a`` in [0, 1) (0 turns smoothing off), gated
per pixel by how much the new frame agrees with the running average:
``w = a * (1 - |p - s_prev|) ** gate``. Where the two agree (jitter at a boundary, a limb whose
probability wavers) the average smooths fully; where they disagree strongly (a person moved)
the new frame wins, so a fast runner is not dragged behind. ``gate=0`` is the plain EMA.

Measured on DAVIS (docs/engine.md): the plain EMA lowers J on fast motion (parkour) for every
factor, the gated one (gate 2) keeps J within 0.001 at factor 0.5 while cutting the
frame-to-frame mask change by 8-13 %.

The state is forgotten when the frame size changes, when the time between two timestamps exceeds
``max_gap`` seconds, or when time runs backwards (a replayed or looped stream), so a new scene
never shows a ghost of the old one.
"""

from typing import Optional

import cv2
import numpy as np


class TemporalSmoother:
    """Exponential moving average of probability maps with automatic resets."""

    def __init__(self, factor: float = 0.0, max_gap: float = 1.0, gate: float = 2.0):
        self.factor = factor
        self.max_gap = max_gap
        if gate < 0:
            raise ValueError(f'smoothing gate must be >= 0, got {gate}')
        self.gate = float(gate)
        self._state: Optional[np.ndarray] = None
        self._last_time: Optional[float] = None

    @property
    def factor(self) -> float:
        """Weight of the past in [0, 1); 0 means no smoothing."""
        return self._factor

    @factor.setter
    def factor(self, value: float) -> None:
        value = float(value)
        if not 0.0 <= value < 1.0:
            raise ValueError(f'smoothing factor must be in [0, 1), got {value}')
        self._factor = value

    def reset(self) -> None:
        """Forget the running average."""
        self._state = None
        self._last_time = None

    def update(self, probability: np.ndarray, timestamp: Optional[float] = None) -> np.ndarray:
        """Blend ``probability`` (float32 H x W) into the state and return the smoothed map."""
        if timestamp is not None:
            timestamp = float(timestamp)
            if self._last_time is not None and (timestamp < self._last_time or
                                                timestamp - self._last_time > self.max_gap):
                self._state = None
            self._last_time = timestamp
        if self._state is not None and self._state.shape != probability.shape:
            self._state = None
        if self._factor == 0.0:
            self._state = None
            return probability
        if self._state is None:
            self._state = probability.astype(np.float32, copy=True)
            return probability
        state = self._state
        if self.gate == 0.0:
            cv2.addWeighted(state, self._factor, probability, 1.0 - self._factor, 0.0, dst=state)
            return state.copy()
        diff = np.subtract(probability, state, dtype=np.float32)
        weight = 1.0 - np.abs(diff)
        if self.gate == 2.0:
            np.multiply(weight, weight, out=weight)
        elif self.gate != 1.0:
            np.power(weight, self.gate, out=weight)
        # s + (1 - w) * (p - s)  with  w = a * agreement ** gate
        weight *= -self._factor
        weight += 1.0
        diff *= weight
        state += diff
        return state.copy()
