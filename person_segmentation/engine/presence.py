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
Person presence from the share of person pixels, with hysteresis.

A single threshold on the person-pixel share makes ``person_detected`` flicker when someone is
at the edge of the view or the mask is noisy; two thresholds (switch on above ``on``, off below
``off``) give a stable signal for robots and alarms.
"""


def validate_thresholds(on_threshold: float, off_threshold: float) -> None:
    """Raise ValueError with the reason unless 0 <= off <= on <= 1."""
    if not 0.0 <= off_threshold <= 1.0 or not 0.0 <= on_threshold <= 1.0:
        raise ValueError(f'presence thresholds must be in [0, 1], got on={on_threshold}, '
                         f'off={off_threshold}')
    if off_threshold > on_threshold:
        raise ValueError(f'presence off threshold {off_threshold} must not exceed the on '
                         f'threshold {on_threshold}')


class PresenceHysteresis:
    """Turns a stream of person-pixel shares (0..1) into a debounced present/absent state."""

    def __init__(self, on_threshold: float = 0.02, off_threshold: float = 0.01):
        validate_thresholds(on_threshold, off_threshold)
        self.on_threshold = float(on_threshold)
        self.off_threshold = float(off_threshold)
        self.present = False

    def set_thresholds(self, on_threshold: float, off_threshold: float) -> None:
        """Change both thresholds (validated together); the current state is kept."""
        validate_thresholds(on_threshold, off_threshold)
        self.on_threshold = float(on_threshold)
        self.off_threshold = float(off_threshold)

    def update(self, share: float) -> bool:
        """Feed the share of person pixels in the newest frame; return the state."""
        if self.present:
            if share < self.off_threshold:
                self.present = False
        elif share >= self.on_threshold and share > 0.0:
            self.present = True
        return self.present

    def reset(self) -> None:
        """Forget the state (absent)."""
        self.present = False
