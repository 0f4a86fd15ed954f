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

"""The replay's options: what the node is started with, and values refused early."""

from person_segmentation.replay.options import node_arguments, REALTIME, ReplayOptions
import pytest


def test_preset_and_model_reach_the_node_as_parameters():
    args = node_arguments(ReplayOptions(node_parameters={'preset': 'accurate',
                                                         'model': 'deeplabv3_mnv2_257'}))
    assert ' '.join(args).endswith('-p preset:=accurate -p model:=deeplabv3_mnv2_257')
    assert 'preset:=' not in ' '.join(node_arguments(ReplayOptions()))  # the node's default


def test_the_node_listens_reliably_on_the_replay_clock():
    args = ' '.join(node_arguments(ReplayOptions(input_topic='/x/image')))
    assert args.startswith('--ros-args -r image:=/x/image -p use_sim_time:=true '
                           '-p qos_reliability:=reliable')


@pytest.mark.parametrize('values, message', [
    ({'mode': 'fast'}, "mode must be one of lossless, realtime, got 'fast'"),
    ({'node': 'thread'}, "node must be one of subprocess, inprocess, got 'thread'"),
    ({'mode': REALTIME, 'rate': 0}, 'rate must be positive, got 0'),
])
def test_impossible_options_are_refused_with_their_name(values, message):
    with pytest.raises(ValueError, match=message):
        ReplayOptions(**values)


def test_the_depth_of_an_rgbd_bag_reaches_the_nodes_depth_input():
    args = ' '.join(node_arguments(ReplayOptions(depth=True)))
    assert args.endswith('-r depth/image:=/replay/depth/image '
                         '-r depth/camera_info:=/replay/depth/camera_info -p use_depth:=true')
    assert 'depth' not in ' '.join(node_arguments(ReplayOptions()))
