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

"""The tools offer one set of engine options; the demo forwards what was given to replay."""

from person_segmentation.cli import demo, replay, segment_video
from person_segmentation.cli.engine_options import engine_argv, NAMES, offline_preset


def _options(parser):
    return {action.dest: action for action in parser._actions if action.dest in NAMES}


def test_the_tools_offer_the_same_engine_options():
    parsers = {'demo': demo.build_parser(), 'replay': replay.build_parser(),
               'segment_video': segment_video.build_parser()}
    found = {tool: _options(parser) for tool, parser in parsers.items()}
    assert all(set(options) == set(NAMES) for options in found.values()), found
    for name in NAMES:
        assert len({(a.choices and tuple(a.choices), a.option_strings[0])
                    for a in (options[name] for options in found.values())}) == 1, name
    # segment_video runs the engine itself; the others leave the node's parameters alone,
    # except the preset: every tool resolves it with offline_preset (below)
    assert found['segment_video']['backend'].default == 'auto'
    assert all(options['preset'].default is None for options in found.values())
    assert found['replay']['device'].default is None and found['demo']['device'].default is None


def test_the_offline_tools_run_accurate_unless_told_otherwise():
    """Issue 19: the tools' default is accurate (no worse than the old 513 default anywhere)."""
    assert offline_preset(None, None) == 'accurate'
    assert offline_preset(None, 'deeplabv3_mnv2_257') == 'auto'  # a model alone, plainly
    assert offline_preset('fast', None) == 'fast'
    parse = replay.build_parser().parse_args
    assert replay.node_parameters(parse(['bag'])) == {'preset': 'accurate'}
    assert replay.node_parameters(parse(['bag', '--model', 'm'])) == {'model': 'm',
                                                                      'preset': 'auto'}
    assert replay.node_parameters(parse(['bag', '--param', 'preset:=fast'])) == {
        'preset': 'fast'}
    # the demo forwards nothing it was not given: replay decides
    assert engine_argv(demo.build_parser().parse_args([])) == []


def test_the_demo_forwards_only_what_was_given():
    args = demo.build_parser().parse_args(['video.mp4', '--preset', 'accurate',
                                           '--device', 'gpu:1'])
    assert engine_argv(args) == ['--preset', 'accurate', '--device', 'gpu:1']
    forwarded = replay.build_parser().parse_args(['bag'] + engine_argv(args))
    assert (forwarded.preset, forwarded.model, forwarded.device) == ('accurate', None, 'gpu:1')
