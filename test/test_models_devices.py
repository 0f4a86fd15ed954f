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

"""Device names and the GPU probe (no framework imported), checked against the driver."""

from person_segmentation.models import devices
import pytest


@pytest.mark.parametrize('text, parsed', [
    ('auto', ('auto', None)), ('cpu', ('cpu', None)), ('gpu', ('gpu', None)),
    ('gpu:0', ('gpu', 0)), ('GPU:3', ('gpu', 3)),
])
def test_device_names(text, parsed):
    assert devices.parse_device(text) == parsed


def test_gpu_probe_agrees_with_the_driver():
    """Without a CUDA device the probe says so (and 'auto' means LiteRT); with one it names it."""
    found, why = devices.probe_gpu()
    if devices.cuda_device_count() == 0:
        assert found is None and devices.gpu_device() is None
        assert 'no CUDA GPU' in why
    else:
        assert found in (None, 'gpu:0') and why
