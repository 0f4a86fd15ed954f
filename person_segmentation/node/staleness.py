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
When a frame is too old to be worth segmenting: by how long it waited in the node, or by stamp.

The default judges a frame by the time from its arrival in the node to the start of its
processing, on one steady clock: it needs no clock agreement with the camera, so a bag played
without ``--clock`` or a camera computer whose clock is off still gets answered. Judging by
header stamp (``stamp``) also catches frames delayed before they reached the node, but only
means something when the camera's clock and the node's agree (chrony/NTP across computers;
``--clock`` and ``use_sim_time`` for bags); a stamp that far ahead of the node clock shows they
do not. Kept free of rclpy.
"""

from typing import Optional, Tuple

ARRIVAL = 'arrival'
STAMP = 'stamp'
REFERENCES = (ARRIVAL, STAMP)

_CLOCK_ADVICE = ('header stamp vs node clock: if the camera runs on another computer, '
                 'synchronise the clocks (chrony/NTP); play bags with --clock and run the node '
                 'with use_sim_time:=true; or judge by arrival (max_age_reference: arrival)')


def stale_reason(reference: str, max_age: float, waited: float,
                 stamp_age: Optional[float]) -> Optional[Tuple[str, str]]:
    """
    Return (kind, message) when a frame is too old to process, else None.

    ``waited``: seconds from its arrival in the node until now (steady clock). ``stamp_age``:
    node clock now minus its header stamp, in seconds; None for a zero stamp (never stale by
    stamp). ``max_age`` 0 disables the check.
    """
    if max_age <= 0.0:
        return None
    if reference == ARRIVAL:
        if waited > max_age:
            return ('stale', f'skipping a frame that waited {waited:.3f} s in the node for the '
                             f'previous one to finish (max_age {max_age:g} s)')
        return None
    if stamp_age is None or -max_age <= stamp_age <= max_age:
        return None
    when = 'behind' if stamp_age > 0 else 'ahead of'
    return (f'stale stamp {when}',
            f'skipping a frame stamped {abs(stamp_age):.3f} s {when} the node clock '
            f'(max_age {max_age:g} s, max_age_reference stamp; {_CLOCK_ADVICE})')
