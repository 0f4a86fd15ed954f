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
Licence headers: ament_copyright where installed, else the same check done here.

ament_copyright has no PyPI wheel, so in the pip environment this test checks that every
Python file opens with a copyright line and the Apache-2.0 notice that package.xml declares.
"""

import re

from linted_paths import LINTED_PATHS, python_files
import pytest


try:
    from ament_copyright.main import main as ament_copyright_main
except ImportError:  # pip environment
    ament_copyright_main = None

COPYRIGHT_LINE = re.compile(r'^# Copyright \d{4}(-\d{4})? \S.*$')
APACHE_NOTICE = '# Licensed under the Apache License, Version 2.0 (the "License");'


@pytest.mark.linter
@pytest.mark.skipif(ament_copyright_main is None,
                    reason='ament_copyright is not installed (no PyPI wheel); '
                           'test_license_headers checks the same headers')
def test_ament_copyright():
    assert ament_copyright_main(argv=LINTED_PATHS + ['--exclude', 'test/linted_paths.py']) == 0


@pytest.mark.linter
def test_license_headers():
    missing = []
    for path in python_files():
        lines = path.read_text(encoding='utf-8').splitlines()[:4]
        if not (lines and COPYRIGHT_LINE.match(lines[0]) and APACHE_NOTICE in lines):
            missing.append(str(path))
    assert not missing, 'files without the Apache-2.0 header:\n' + '\n'.join(missing)
