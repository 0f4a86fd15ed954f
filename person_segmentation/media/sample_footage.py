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
Obtain real sample footage (OpenCV's vtest.avi) with the ordinary Debian package client.

The demo needs footage that resembles warehouse CCTV (a fixed, elevated camera with small
pedestrians) and that may not be committed to the repository. OpenCV's ``vtest.avi`` (768x576,
10 fps, 795 frames; Apache-2.0 and BSD-3-Clause) ships in Debian's and Ubuntu's
``opencv-doc`` package, so on a fresh Debian/Ubuntu machine ``apt-get download`` fetches it
without root and without GitHub. Only that one file is extracted from the package (about
96 MB) and it is cached in a data directory; nothing else is kept.
"""

import os
import pathlib
import shutil
import subprocess
import tarfile
import tempfile
from typing import Callable, Optional

import cv2

VTEST_NAME = 'vtest.avi'
VTEST_PACKAGE = 'opencv-doc'
VTEST_MEMBER = 'usr/share/doc/opencv-doc/examples/data/vtest.avi'
VTEST_BY_HAND_URL = 'https://github.com/opencv/opencv/raw/4.x/samples/data/vtest.avi'
DATA_DIR_ENV = 'PERSON_SEGMENTATION_DATA_DIR'


class FootageError(Exception):
    """Sample footage could not be obtained; the message says how to get it by hand."""


def default_data_dir() -> pathlib.Path:
    """Return ``$PERSON_SEGMENTATION_DATA_DIR``, else ``./data`` (ignored by git)."""
    return pathlib.Path(os.environ.get(DATA_DIR_ENV) or 'data')


def _by_hand(target: pathlib.Path) -> str:
    return (f'To get it by hand: run `apt-get download {VTEST_PACKAGE}` and '
            f'`dpkg-deb -x {VTEST_PACKAGE}_*.deb DIR`, then copy DIR/{VTEST_MEMBER} to {target}; '
            f'or download {VTEST_BY_HAND_URL} to {target}; or pass any video or bag as input.')


def _decodes(path: pathlib.Path) -> bool:
    capture = cv2.VideoCapture(str(path))
    try:
        ok, frame = capture.read()
        return bool(ok) and frame is not None
    finally:
        capture.release()


def ensure_vtest(data_dir=None, log: Callable[[str], None] = print) -> pathlib.Path:
    """Return the path of vtest.avi in ``data_dir``, fetching it first when missing."""
    data_dir = pathlib.Path(data_dir) if data_dir is not None else default_data_dir()
    target = data_dir / VTEST_NAME
    if target.is_file() and target.stat().st_size > 0:
        return target
    data_dir.mkdir(parents=True, exist_ok=True)
    log(f'fetching {VTEST_NAME} from the {VTEST_PACKAGE} package (about 96 MB) into {target}')
    fetch_vtest(target)
    return target


def _run(command, cwd: pathlib.Path, target: pathlib.Path) -> None:
    try:
        result = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, check=False)
    except OSError as err:
        raise FootageError(f'`{" ".join(command)}` could not run: {err}. '
                           + _by_hand(target)) from None
    if result.returncode != 0:
        output = result.stdout.strip().splitlines()[-5:]
        hint = ''
        if 'Unable to locate package' in result.stdout or 'has no installation candidate' \
                in result.stdout:
            hint = ' The package lists may be empty: run `sudo apt-get update` first.'
        raise FootageError(f'`{" ".join(command)}` failed (exit {result.returncode}): '
                           + ' | '.join(output) + '.' + hint + ' ' + _by_hand(target))


def _extract_member(deb: pathlib.Path, member: str, destination: pathlib.Path,
                    target: pathlib.Path) -> None:
    """Copy one file out of a .deb's data archive (``dpkg-deb --fsys-tarfile``)."""
    process = subprocess.Popen(['dpkg-deb', '--fsys-tarfile', str(deb)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    found = False
    try:
        with tarfile.open(fileobj=process.stdout, mode='r|') as archive:
            for info in archive:
                if info.name.lstrip('./') == member and info.isfile():
                    with archive.extractfile(info) as src, destination.open('wb') as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
                    os.utime(destination, (info.mtime, info.mtime))
                    found = True
                    break
    except tarfile.TarError as err:
        raise FootageError(f'cannot read the data of {deb.name}: {err}. '
                           + _by_hand(target)) from None
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
        process.stderr.close()
    if not found:
        raise FootageError(f'{deb.name} has no {member}. ' + _by_hand(target))


def fetch_vtest(target, package: str = VTEST_PACKAGE, member: str = VTEST_MEMBER,
                workdir: Optional[pathlib.Path] = None) -> pathlib.Path:
    """Download ``package`` with apt-get, extract ``member`` to ``target`` atomically."""
    target = pathlib.Path(target)
    for tool in ('apt-get', 'dpkg-deb'):
        if shutil.which(tool) is None:
            raise FootageError(f'{tool} is not available (not a Debian/Ubuntu system?). '
                               + _by_hand(target))
    with tempfile.TemporaryDirectory(prefix='person_segmentation_deb_', dir=workdir) as tmp:
        tmp = pathlib.Path(tmp)
        _run(['apt-get', 'download', package], tmp, target)
        debs = sorted(tmp.glob(f'{package}_*.deb'))
        if not debs:
            raise FootageError(f'apt-get download {package} left no .deb in {tmp}. '
                               + _by_hand(target))
        partial = target.with_name(f'.{target.name}.partial')
        try:
            _extract_member(debs[0], member, partial, target)
            if not _decodes(partial):
                raise FootageError(f'{member} from {debs[0].name} does not decode as a video. '
                                   + _by_hand(target))
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
    return target
