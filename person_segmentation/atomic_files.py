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
One file written whole or not at all: a temporary name beside the target, renamed when done.

Model downloads and the pictures the tools write must never leave a file cut short (a network
error, a full disk, Ctrl-C) under the name of a complete one. Standard library only, so every
layer may use it.
"""

import contextlib
import os
import pathlib
import tempfile
from typing import BinaryIO, Iterator, Union


@contextlib.contextmanager
def replace_when_complete(target: Union[str, os.PathLike],
                          suffix: str = '.partial') -> Iterator[BinaryIO]:
    """
    Yield a binary file in ``target``'s directory that becomes ``target`` when the block ends.

    On a normal end the bytes are flushed to disk, the file made world-readable (0644) and
    renamed over ``target``; on any exception (also KeyboardInterrupt, or one the block raises
    to reject what it wrote) the temporary file is removed and ``target`` left as it was.
    """
    target = pathlib.Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f'.{target.name}.', suffix=suffix, dir=target.parent)
    try:
        with os.fdopen(fd, 'wb') as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
