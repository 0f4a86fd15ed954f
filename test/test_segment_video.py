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

"""segment_video end to end on a short real clip: outputs, summary, errors and interruption."""

import signal
import subprocess
import sys
import time

from conftest import REPO_ROOT
import cv2
import numpy as np
from person_segmentation.cli import segment_video
import pytest
from video_frames import read_all

FRAMES = 6
FPS = 12.0
MODEL = 'deeplabv3_mnv2_257'


@pytest.fixture(scope='module')
def clip(davis_dir, models_dir, tmp_path_factory):
    """Write a short 854x480 MJPG clip of DAVIS 'lucia' (one walking woman)."""
    path = tmp_path_factory.mktemp('clip') / 'lucia.avi'
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), FPS, (854, 480))
    for index in range(FRAMES):
        writer.write(cv2.imread(str(davis_dir / 'JPEGImages' / '480p' / 'lucia' /
                                    f'{index * 5:05d}.jpg')))
    writer.release()
    return path


def test_overlay_and_mask_videos_match_the_input(clip, tmp_path, capsys):
    overlay, mask = tmp_path / 'overlay.mp4', tmp_path / 'mask.avi'
    code = segment_video.main([str(clip), str(overlay), '--mask-output', str(mask),
                               '--model', MODEL, '--smoothing', '0.5', '--no-progress'])
    assert code == 0
    for path in (overlay, mask):
        fps, frames = read_all(path)
        assert fps == pytest.approx(FPS)
        assert len(frames) == FRAMES
        assert frames[0].shape[:2] == (480, 854)
    masks = read_all(mask)[1]
    assert set(np.unique(masks[0])) == {0, 255}  # lossless: still a binary mask
    summary = capsys.readouterr().err
    assert f'{FRAMES} frames' in summary and f'frames with people {FRAMES}/{FRAMES}' in summary
    assert sorted(p.name for p in tmp_path.iterdir()) == ['mask.avi', 'overlay.mp4']


def test_mask_pattern_writes_lossless_binary_frames(clip, tmp_path):
    pattern = tmp_path / 'masks' / '%05d.png'
    code = segment_video.main([str(clip), str(tmp_path / 'o.avi'), '--mask-output',
                               str(pattern), '--model', MODEL, '--no-progress'])
    assert code == 0
    names = sorted(p.name for p in (tmp_path / 'masks').iterdir())
    assert names == [f'{i:05d}.png' for i in range(FRAMES)]
    mask = cv2.imread(str(tmp_path / 'masks' / '00000.png'), cv2.IMREAD_UNCHANGED)
    assert mask.shape == (480, 854) and mask.dtype == np.uint8
    assert set(np.unique(mask)) == {0, 255}
    # the woman stands in the middle third of the first frame
    assert 0.02 < (mask > 0).mean() < 0.4


def test_keras_backend_in_batches_gives_the_litert_masks(clip, tmp_path, capsys):
    """--backend keras --batch 4 (two calls for 6 frames): LiteRT's masks, every frame written."""
    masks = {}
    for backend, extra in (('tflite', []), ('keras', ['--device', 'cpu', '--batch', '4'])):
        pattern = tmp_path / backend / '%05d.png'
        code = segment_video.main([str(clip), str(tmp_path / f'{backend}.avi'), '--mask-output',
                                   str(pattern), '--model', MODEL, '--smoothing', '0.3',
                                   '--backend', backend, '--no-progress'] + extra)
        assert code == 0
        masks[backend] = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) > 0
                          for p in sorted((tmp_path / backend).iterdir())]
    assert 'keras-' in capsys.readouterr().err and len(masks['keras']) == FRAMES
    for ours, theirs in zip(masks['keras'], masks['tflite']):
        assert np.count_nonzero(ours & theirs) / np.count_nonzero(ours | theirs) > 0.95


def test_bad_backend_device_and_batch_fail_clearly(clip, tmp_path, capsys):
    out = str(tmp_path / 'o.avi')
    assert segment_video.main([str(clip), out, '--model', MODEL, '--device', 'tpu']) == 1
    assert 'device must be' in capsys.readouterr().err
    assert segment_video.main([str(clip), out, '--model', MODEL, '--backend', 'tflite',
                               '--device', 'gpu']) == 1
    assert 'LiteRT runs on the CPU' in capsys.readouterr().err
    assert segment_video.main([str(clip), out, '--model', MODEL, '--batch', '0']) == 1
    assert '--batch must be at least 1' in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_image_sequence_input(clip, tmp_path):
    frames = tmp_path / 'frames'
    frames.mkdir()
    for index, frame in enumerate(read_all(clip)[1][:3]):
        cv2.imwrite(str(frames / f'{index:05d}.png'), frame)
    out = tmp_path / 'seq.avi'
    assert segment_video.main([str(frames / '%05d.png'), str(out), '--model', MODEL,
                               '--fps', '5', '--no-progress']) == 0
    fps, result = read_all(out)
    assert fps == pytest.approx(5.0) and len(result) == 3


def test_unreadable_input_fails_clearly_and_leaves_nothing(tmp_path, capsys):
    junk = tmp_path / 'junk.mp4'
    junk.write_bytes(b'this is not a video')
    out = tmp_path / 'out.mp4'
    assert segment_video.main([str(junk), str(out), '--model', MODEL]) == 1
    assert 'junk.mp4' in capsys.readouterr().err
    assert segment_video.main([str(tmp_path / 'missing.mp4'), str(out), '--model', MODEL]) == 1
    assert 'does not exist' in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ['junk.mp4']


def test_bad_model_and_output_fail_clearly(clip, tmp_path, capsys):
    assert segment_video.main([str(clip), str(tmp_path / 'o.mp4'), '--model', 'nope']) == 1
    assert 'unknown model' in capsys.readouterr().err
    assert segment_video.main([str(clip), str(tmp_path / 'o.xyz'), '--model', MODEL]) == 1
    assert 'extension' in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_interrupt_removes_partial_outputs(clip, tmp_path, monkeypatch, capsys):
    calls = {'n': 0}
    real = segment_video.render_overlay

    def interrupt_on_third_frame(*args, **kwargs):
        calls['n'] += 1
        if calls['n'] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(segment_video, 'render_overlay', interrupt_on_third_frame)
    code = segment_video.main([str(clip), str(tmp_path / 'o.mp4'), '--mask-output',
                               str(tmp_path / 'm' / '%05d.png'), '--model', MODEL,
                               '--no-progress'])
    assert code == 130
    assert 'interrupted' in capsys.readouterr().err
    leftovers = [p for p in tmp_path.rglob('*') if p.is_file()]
    assert leftovers == []


def test_console_script_module_runs(clip, tmp_path):
    out = tmp_path / 'o.avi'
    done = subprocess.run([sys.executable, '-m', 'person_segmentation.cli.segment_video',
                           str(clip), str(out), '--model', MODEL], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.is_file() and 'frames with people' in done.stderr


def test_real_ctrl_c_leaves_no_output(davis_dir, models_dir, tmp_path):
    """SIGINT to a running segment_video: exit code 130 and no output files, partial or not."""
    pattern = davis_dir / 'JPEGImages' / '480p' / 'parkour' / '%05d.jpg'  # 100 frames
    out = tmp_path / 'out.mp4'
    process = subprocess.Popen(
        [sys.executable, '-m', 'person_segmentation.cli.segment_video', str(pattern), str(out),
         '--model', MODEL, '--mask-output', str(tmp_path / 'masks' / '%05d.png')],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob('masks/.partial-*/*.png')) and time.monotonic() < deadline:
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    if process.returncode == 0:
        pytest.skip('segment_video finished before the interrupt arrived')
    assert process.returncode == 130, err
    assert 'interrupted' in err
    assert [p for p in tmp_path.rglob('*') if p.is_file()] == []


def test_preset_chooses_the_engine_and_model_overrides_it(clip, tmp_path, capsys):
    # the offline default (issue 19): accurate, no worse than the old 513 default anywhere
    assert segment_video.main([str(clip), str(tmp_path / 'default.mp4'), '--no-progress']) == 0
    assert 'preset accurate: bodypix_mnv1_075 + deeplabv3_mnv2_513' in capsys.readouterr().err
    assert segment_video.main([str(clip), str(tmp_path / 'fast.mp4'), '--preset', 'fast',
                               '--no-progress']) == 0
    summary = capsys.readouterr().err
    assert 'preset fast: bodypix_mnv1_075 [native' in summary
    assert f'frames with people {FRAMES}/{FRAMES}' in summary  # person_present on each frame
    assert segment_video.main([str(clip), str(tmp_path / 'own.mp4'), '--preset', 'fast',
                               '--model', MODEL, '--no-progress']) == 0
    assert f'preset fast: {MODEL}' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        segment_video.main([str(clip), str(tmp_path / 'x.mp4'), '--preset', 'fastest'])
