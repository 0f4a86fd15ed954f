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
Launch arguments as plain data, the one way their string values are parsed, and name checks.

Both launch files declare their arguments from ``LaunchArgument`` tables and read booleans and
numbers with these parsers, so ``loop:=yes`` means the same in each. ``ros2 launch`` accepts any
``name:=value`` without complaint, so ``check_names`` catches misspelt names. Standard library
only.
"""

import difflib
from typing import Iterable, List, Mapping, NamedTuple, Optional


class ConfigError(ValueError):
    """A launch argument has a value that cannot work; the message names it."""


class LaunchArgument(NamedTuple):
    """A launch argument: name, default value (a string; None = required) and description."""

    name: str
    default: Optional[str]
    description: str


_TRUE = ('true', '1', 'yes', 'on')
_FALSE = ('false', '0', 'no', 'off')


def parse_bool(name: str, value: str) -> bool:
    """Launch-style boolean: true/false (also 1/0, yes/no, on/off), case-insensitive."""
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f'launch argument {name}:={value!r} must be true or false')


def parse_float(name: str, value: str, minimum: float, strict: bool) -> float:
    """Float argument that must be > minimum (strict) or >= minimum."""
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f'launch argument {name}:={value!r} is not a number') from None
    if number != number or (number <= minimum if strict else number < minimum):
        relation = '>' if strict else '>='
        raise ConfigError(f'launch argument {name}:={value!r} must be {relation} {minimum:g}')
    return number


def parse_list(name: str, value: str) -> List[str]:
    """
    Parse a list argument: ``[/a, /b]`` (YAML, as ``-p`` takes it), or names and commas.

    Empty: []. Each item must be a non-empty string without spaces.
    """
    import yaml  # PyYAML ships with every ROS 2 install

    text = str(value).strip()
    if not text:
        return []
    try:
        items = yaml.safe_load(text) if text.startswith('[') else text.split(',')
    except yaml.YAMLError as error:
        raise ConfigError(f'launch argument {name}:={value!r} is not a list: '
                          f'{str(error).splitlines()[0]}') from None
    if not isinstance(items, list):
        raise ConfigError(f'launch argument {name}:={value!r} must be a list like [a, b]')
    result = [str(item).strip() if isinstance(item, str) else item for item in items]
    bad = [item for item in result if not isinstance(item, str) or not item
           or any(c.isspace() for c in item)]
    if bad:
        raise ConfigError(f'launch argument {name}:={value!r} must list names, got {bad[0]!r}')
    return result


#: an undeclared name at least this similar (difflib ratio) to a declared one is a misspelling:
#: imgae -> image (0.80), namespce -> namespace (0.94), param_file -> params_file (0.95), while
#: names an including launch file may well have, such as robot_namespace (0.75 to namespace) or
#: camera_image (0.59 to image), stay below it.
MISSPELLING_SIMILARITY = 0.8
#: below MISSPELLING_SIMILARITY, a declared name at least this similar is still suggested
SUGGESTION_SIMILARITY = 0.6


def check_names(given: Mapping[str, str], declared: Iterable[LaunchArgument],
                launch_file: str) -> List[str]:
    """
    Raise ConfigError for a given name that is a misspelt argument; warn about other unknowns.

    ``given`` is every launch configuration the launch file sees. ``ros2 launch`` passes
    undeclared ``name:=value`` pairs on without a word, so ``imgae:=/front/image`` would start
    the node on the default camera topic. A name close to a declared one stops the launch
    with a suggestion. Other undeclared names only get a warning (returned, one line each):
    when this file is included by another launch file, that file's own configurations are
    visible here as well.
    """
    declared = [argument.name for argument in declared]
    known = ', '.join(declared)
    warnings = []
    for name in sorted(set(given) - set(declared)):
        close = difflib.get_close_matches(name, declared, n=1, cutoff=SUGGESTION_SIMILARITY)
        if close and difflib.SequenceMatcher(None, name, close[0]).ratio() \
                >= MISSPELLING_SIMILARITY:
            raise ConfigError(f'{launch_file} has no argument {name} (given {name}:='
                              f'{given[name]!r}); did you mean {close[0]}:=? Its arguments: '
                              f'{known}')
        hint = f'; did you mean {close[0]}:=?' if close else ''
        warnings.append(f'ignoring {name}:={given[name]!r}: not an argument of {launch_file}'
                        f'{hint} (its arguments: {known})')
    return warnings
