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
Launch arguments as plain data, and the one way their string values are parsed.

Both launch files declare their arguments from ``LaunchArgument`` tables and read booleans and
numbers with these parsers, so ``loop:=yes`` means the same in each. Standard library only.
"""

from typing import NamedTuple, Optional


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
