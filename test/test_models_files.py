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
Model files: verified in place, downloaded atomically, and clear errors when that fails.

Downloads are tested against a real HTTP server on 127.0.0.1 that serves a real model from
../shared/models and a corrupted copy of it; nothing here touches the internet.
"""

import functools
import http.server
import os
import shutil
import socket
import threading

from person_segmentation.models.files import (default_model_dir, ModelFileError,
                                              resolve_model_file, sha256_of)
from person_segmentation.models.registry import get_spec
from person_segmentation.models.spec import ModelSpec
import pytest

MODEL = 'deeplabv3_mnv2_dm05_513'  # the smallest real model (760 kB)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope='module')
def server(models_dir, tmp_path_factory):
    """Serve a real model and a corrupted copy from 127.0.0.1."""
    root = tmp_path_factory.mktemp('served')
    spec = get_spec(MODEL)
    shutil.copy(models_dir / spec.filename, root / spec.filename)
    data = bytearray((root / spec.filename).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (root / ('corrupt-' + spec.filename)).write_bytes(bytes(data))
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}/'
    httpd.shutdown()
    httpd.server_close()


def _spec(url):
    base = get_spec(MODEL)
    return ModelSpec(**{**base.__dict__, 'name': 'served_model', 'url': url})


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_present_verified_file_is_used_in_place(models_dir):
    spec = get_spec(MODEL)
    before = os.stat(models_dir / spec.filename)
    path = resolve_model_file(MODEL, models_dir)
    assert path == models_dir / spec.filename
    after = os.stat(path)
    assert (before.st_mtime_ns, before.st_ino) == (after.st_mtime_ns, after.st_ino)


def test_env_var_selects_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv('PERSON_SEGMENTATION_MODEL_DIR', str(tmp_path))
    assert default_model_dir() == tmp_path
    monkeypatch.delenv('PERSON_SEGMENTATION_MODEL_DIR')
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
    assert default_model_dir() == tmp_path / 'xdg' / 'person_segmentation' / 'models'


def test_download_from_local_server(server, tmp_path):
    spec = _spec(server + get_spec(MODEL).filename)
    path = resolve_model_file(spec, tmp_path / 'cache')
    assert path == tmp_path / 'cache' / spec.filename
    assert sha256_of(path) == spec.sha256
    assert sorted(p.name for p in path.parent.iterdir()) == [spec.filename]
    # a second call uses the file in place
    mtime = path.stat().st_mtime_ns
    assert resolve_model_file(spec, tmp_path / 'cache') == path
    assert path.stat().st_mtime_ns == mtime


def test_corrupted_download_is_refused_and_removed(server, tmp_path):
    spec = _spec(server + 'corrupt-' + get_spec(MODEL).filename)
    with pytest.raises(ModelFileError) as info:
        resolve_model_file(spec, tmp_path)
    message = str(info.value)
    assert spec.url in message
    assert spec.sha256 in message
    assert str(tmp_path / spec.filename) in message  # where to put it by hand
    assert list(tmp_path.iterdir()) == []  # nothing half-written left


def test_unreachable_url_gives_one_clear_error(tmp_path):
    spec = _spec(f'http://127.0.0.1:{_free_port()}/{get_spec(MODEL).filename}')
    with pytest.raises(ModelFileError) as info:
        resolve_model_file(spec, tmp_path)
    message = str(info.value)
    assert spec.url in message and spec.sha256 in message and 'by hand' in message
    assert list(tmp_path.iterdir()) == []


def test_missing_file_on_server_gives_clear_error(server, tmp_path):
    spec = _spec(server + 'no-such-model.tflite')
    with pytest.raises(ModelFileError, match='404'):
        resolve_model_file(spec, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_corrupt_cached_file_is_replaced_by_a_verified_download(server, tmp_path):
    spec = _spec(server + get_spec(MODEL).filename)
    (tmp_path / spec.filename).write_bytes(b'not a model')
    path = resolve_model_file(spec, tmp_path)
    assert sha256_of(path) == spec.sha256


def test_corrupt_cached_file_without_download_names_both_checksums(tmp_path):
    spec = get_spec(MODEL)
    (tmp_path / spec.filename).write_bytes(b'not a model')
    with pytest.raises(ModelFileError) as info:
        resolve_model_file(spec, tmp_path, allow_download=False)
    message = str(info.value)
    assert spec.sha256 in message and spec.url in message
    assert sha256_of(tmp_path / spec.filename) in message
