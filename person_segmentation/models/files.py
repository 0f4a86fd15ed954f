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
Find, verify and (when missing) download model files, so callers only ever name a model.

Model files are large, versioned upstream, and must never be committed to the repository. This
module keeps them in one cache directory, checks every file against the sha256 pinned in the
model registry, and downloads a missing file atomically (temporary file in the same directory,
checksum, rename), so an interrupted or corrupt download never looks like a usable model.

Cache directory, first match wins: the explicit ``model_dir`` argument, the environment variable
``PERSON_SEGMENTATION_MODEL_DIR``, ``$XDG_CACHE_HOME/person_segmentation/models`` (default
``~/.cache/person_segmentation/models``). A present file that verifies is used in place and never
rewritten, so the directory may be read-only (tests and CI point it at ``../shared/models``).
"""

import hashlib
import os
import pathlib
from typing import Optional, Union
import urllib.error
import urllib.request

from person_segmentation import names
from person_segmentation.atomic_files import replace_when_complete
from person_segmentation.models.registry import get_spec
from person_segmentation.models.spec import ModelSpec

ENV_MODEL_DIR = 'PERSON_SEGMENTATION_MODEL_DIR'
DOWNLOAD_TIMEOUT_S = 30.0
_CHUNK = 1 << 20


class ModelFileError(Exception):
    """A model file is missing, unreadable, corrupt, or could not be downloaded."""


def user_cache_dir() -> pathlib.Path:
    """Return this package's directory in the user's cache (``$XDG_CACHE_HOME``, ~/.cache)."""
    xdg = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return pathlib.Path(xdg) / names.PACKAGE


def default_model_dir() -> pathlib.Path:
    """Return the cache directory used when no explicit directory is given."""
    env = os.environ.get(ENV_MODEL_DIR)
    if env:
        return pathlib.Path(env).expanduser()
    return user_cache_dir() / 'models'


def sha256_of(path: Union[str, os.PathLike]) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _by_hand_hint(spec: ModelSpec, target: pathlib.Path) -> str:
    where = (f'put it at {target} (or point {ENV_MODEL_DIR} / --model-dir at the directory '
             f'holding {spec.filename})')
    if spec.url is None:
        return (f'No pinned download exists for {spec.name!r} ({spec.description}); obtain '
                f'{spec.filename} and {where}.')
    checksum = spec.sha256 or '(not pinned)'
    return f'Download {spec.url} by hand, check that its sha256 is {checksum}, and {where}.'


def verify_file(path: pathlib.Path, spec: ModelSpec) -> bool:
    """Return True when ``path`` is a readable file whose checksum matches the spec."""
    if not path.is_file():
        return False
    if spec.sha256 is None:
        return True
    try:
        return sha256_of(path) == spec.sha256
    except OSError as error:
        raise ModelFileError(f'model file {path} cannot be read: {error}. '
                             + _by_hand_hint(spec, path)) from error


def download(url: str, target: pathlib.Path, sha256: Optional[str],
             timeout: float = DOWNLOAD_TIMEOUT_S) -> pathlib.Path:
    """
    Download ``url`` to ``target`` atomically; verify ``sha256`` before the rename.

    The bytes go to a temporary file in the target's directory; on any failure (network,
    checksum, disk, Ctrl-C) that temporary file is removed and ``target`` is left untouched.
    """
    digest = hashlib.sha256()
    with replace_when_complete(target, suffix='.part') as out:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            for chunk in iter(lambda: response.read(_CHUNK), b''):
                digest.update(chunk)
                out.write(chunk)
        got = digest.hexdigest()
        if sha256 is not None and got != sha256:
            raise ModelFileError(f'downloaded {url} has sha256 {got}, expected {sha256}')
    return target


def resolve_model_file(spec_or_name: Union[ModelSpec, str],
                       model_dir: Optional[Union[str, os.PathLike]] = None,
                       allow_download: bool = True) -> pathlib.Path:
    """
    Return the path of a verified model file, downloading it when it is missing or corrupt.

    Raise ``ModelFileError`` naming the URL, the expected sha256 and where to put the file by
    hand when no verified file can be provided.
    """
    spec = get_spec(spec_or_name) if isinstance(spec_or_name, str) else spec_or_name
    directory = pathlib.Path(model_dir).expanduser() if model_dir else default_model_dir()
    target = directory / spec.filename
    if verify_file(target, spec):
        return target
    problem = (f'model file {target} has sha256 {sha256_of(target)}, expected {spec.sha256}'
               if target.is_file() else f'model file {target} is missing')
    if not allow_download or spec.url is None:
        raise ModelFileError(f'{problem}. ' + _by_hand_hint(spec, target))
    try:
        return download(spec.url, target, spec.sha256)
    except ModelFileError as error:
        raise ModelFileError(f'{problem}; {error}. ' + _by_hand_hint(spec, target)) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        if isinstance(error, urllib.error.HTTPError):
            reason = f'HTTP {error.code} {error.reason}'
        else:
            reason = getattr(error, 'reason', None) or error
        raise ModelFileError(f'{problem}; downloading {spec.url} failed: {reason}. '
                             + _by_hand_hint(spec, target)) from None
