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
Reading a .tflite graph's structure without running it: the schema, operator codes, resizes.

Both the LiteRT backend (which checks and trims a DeepLab graph) and the Keras weight reader
(which rebuilds it) walk the same flatbuffer; this is what they share. LiteRT's generated
schema module does the parsing, so no TensorFlow is needed.
"""

import sys
from typing import List


def schema():
    """Return LiteRT's generated flatbuffer schema module (ImportError with the fix if absent)."""
    try:
        from ai_edge_litert import schema_py_generated
    except ImportError as error:
        # On a ROS 2 install the usual cause is an executable that starts with the system
        # Python (a plain `colcon build`), where pip may not install (PEP 668).
        raise ImportError(
            'reading .tflite models needs LiteRT (pip package ai-edge-litert), which '
            f'{sys.executable} cannot import. On a ROS 2 install: make a venv with '
            'scripts/ros_venv and build with its Python (README, "Machine with ROS 2 '
            'installed"); elsewhere: scripts/setup_venv') from error
    return schema_py_generated


def operator_codes(model) -> List[int]:
    """Return the builtin operator code of each of the model's operator-code entries."""
    codes = []
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        # newer files keep codes above 127 in BuiltinCode, older ones in the deprecated field
        codes.append(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()))
    return codes


def resize_aligns_corners(op) -> bool:
    """Tell whether a RESIZE_BILINEAR operator resizes with align_corners (as DeepLab does)."""
    table = op.BuiltinOptions()
    options = schema().ResizeBilinearOptions()
    options.Init(table.Bytes, table.Pos)
    return bool(options.AlignCorners()) and not options.HalfPixelCenters()
