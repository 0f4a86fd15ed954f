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
Exit statuses of the node and the command-line tools, defined once.

Scripts and launch files react to these, so every entry point uses the same values.
"""

#: success, and also a clean stop on Ctrl-C for the long-running node
OK = 0
#: bad input, bad arguments, a model that cannot load: a one-line message says which
ERROR = 1
#: interrupted by Ctrl-C (128 + SIGINT) before a tool finished; partial outputs are removed
INTERRUPTED = 130
#: the command line itself is wrong (argparse's convention)
USAGE = 2
