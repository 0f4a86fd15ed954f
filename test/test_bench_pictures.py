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
The README's picture generators on a few real frames: bench_presets --json/--plot and the picture.

A short bench_presets run (every 60th frame of DAVIS, Penn-Fudan and CamVid; two models and one
whose weights are not here) writes the run JSON, the chart PNG and its CSV; the README picture
is made from a real frame with that run's ms. Both are decoded and checked: size, numbers,
content, determinism and nothing left behind on failure.
"""

import csv
import json
import types

from bench import bench_presets, preset_chart, preset_results, readme_picture
import cv2
import numpy as np
from person_segmentation import Segmenter
from person_segmentation.engine.rendering import render_overlay
from person_segmentation.models.spec import BODY_PARTS
import pytest

MODELS = ['deeplabv3_mnv2_257', 'bodypix_mnv1_075', 'deeplabv3plus_mobilenetv2']
#: the bench_presets configurations that run them plainly
CONFIGS = [next(c for c, s in bench_presets.CONFIGS.items() if s == {'model': m}) for m in MODELS]
#: README picture of ``CONFIGS[:2]`` from a 960x540 video: 3 panels of 320x180 per row
PICTURE_SIZE = (3 * 320 + 2 * readme_picture.GAP,
                readme_picture.TITLE_H + 2 * (readme_picture.CAPTION_H + 180)
                + readme_picture.FOOTER_H)


@pytest.fixture(scope='module')
def run(models_dir, davis_dir, pennfudan_dir, camvid_dir, tmp_path_factory):
    """Run bench_presets on every 60th frame; return (run JSON path, chart path, run dict)."""
    out = tmp_path_factory.mktemp('bench')
    status = bench_presets.main(['--configs', *CONFIGS, '--sets', 'davis', 'pennfudan',
                                 'camvid', '--stride', '60', '--speed-repeats', '2',
                                 '--json', str(out / 'run.json'),
                                 '--plot', str(out / 'chart.png')])
    assert status == 0
    return out / 'run.json', out / 'chart.png', preset_results.load(out / 'run.json')


def test_run_json_keeps_every_configuration(run):
    _, _, summary = run
    assert list(summary['configs']) == CONFIGS
    skipped = summary['configs'][CONFIGS[2]]
    assert 'deeplabv3_mobilenetv2_tf_dim_ordering_tf_kernels.h5' in skipped['skipped']
    for config, model in zip(CONFIGS[:2], MODELS):
        entry = summary['configs'][config]
        assert entry['skipped'] is None and entry['settings'] == {'model': model}
        assert 1 < entry['ms_per_640x480'] < 10000
        assert set(entry['sequences']) == {
            'davis/parkour', 'davis/lucia', 'davis/hike', 'pennfudan/labelled',
            'pennfudan/unlabelled', 'camvid/0001TP', 'camvid/0006R0', 'camvid/0016E5',
            'camvid/Seq05VD'}
        # parkour: 100 frames at stride 60 -> 2; DAVIS J is the mean of its sequences
        assert entry['sequences']['davis/parkour']['frames'] == 2
        davis = [entry['sequences'][f'davis/{s}']['J'] for s in ('parkour', 'lucia', 'hike')]
        assert entry['J']['DAVIS'] == pytest.approx(np.mean(davis))
        assert entry['J']['Penn-Fudan labelled'] == entry['sequences']['pennfudan/labelled']['J']
        assert 0.5 < entry['J']['DAVIS'] < 1 and 0 <= entry['J']['CamVid'] <= 1
    # the person-trained model outlines the DAVIS people better than the 257 model
    assert summary['configs'][CONFIGS[1]]['J']['DAVIS'] > \
        summary['configs'][CONFIGS[0]]['J']['DAVIS']


def test_chart_png_and_its_numbers(run):
    _, chart, summary = run
    image = cv2.imread(str(chart))
    assert image.shape == (preset_chart.SIZE[1], preset_chart.SIZE[0], 3)
    assert len(np.unique(image.reshape(-1, 3), axis=0)) <= preset_chart.PALETTE
    assert chart.stat().st_size < 60_000
    for colour in ('#1f77b4', '#ff7f0e'):  # C0, C1: one marker colour per measured config
        rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        assert (np.abs(image[..., ::-1].astype(int) - rgb).max(axis=2) < 8).sum() > 50
    lines = chart.with_suffix('.csv').read_text().splitlines()
    assert lines[0].startswith(f'# bench_presets run: commit {summary["commit"]}')
    rows = list(csv.DictReader(lines[1:]))
    assert [r['config'] for r in rows] == CONFIGS[:2]  # the skipped model has no row
    assert [r['label'] for r in rows] == MODELS[:2]
    for row in rows:
        entry = summary['configs'][row['config']]
        assert float(row['ms_per_640x480']) == pytest.approx(entry['ms_per_640x480'], abs=5e-4)
        for name, _, _ in preset_results.DATASETS:
            assert float(row[f'J {name}']) == pytest.approx(entry['J'][name], abs=5e-4)


def test_chart_again_from_the_json_is_the_same(run, tmp_path):
    run_json, chart, _ = run
    assert preset_chart.main([str(run_json), '--output', str(tmp_path / 'again.png')]) == 0
    assert (tmp_path / 'again.png').read_bytes() == chart.read_bytes()
    assert (tmp_path / 'again.csv').read_bytes() == chart.with_suffix('.csv').read_bytes()


def test_chart_failure_writes_nothing(run, tmp_path):
    _, _, summary = run
    untimed = json.loads(json.dumps(summary))
    for entry in untimed['configs'].values():
        entry['ms_per_640x480'] = None
    with pytest.raises(ValueError, match='time per 640x480'):
        preset_chart.write(untimed, tmp_path / 'chart.png')
    assert list(tmp_path.iterdir()) == []
    (tmp_path / 'other.json').write_text('{"rows": []}')
    with pytest.raises(ValueError, match='not a bench_presets run'):
        preset_chart.main([str(tmp_path / 'other.json'), '--output', str(tmp_path / 'c.png')])
    assert sorted(p.name for p in tmp_path.iterdir()) == ['other.json']


def test_a_run_that_measured_nothing_says_so_and_writes_nothing(
        models_dir, davis_dir, tmp_path, capsys):
    """Every model file missing: one clear line and exit 1 (it was a chart traceback)."""
    status = bench_presets.main(['--configs', CONFIGS[2], '--sets', 'davis', '--stride', '60',
                                 '--json', str(tmp_path / 'run.json'),
                                 '--plot', str(tmp_path / 'chart.png')])
    captured = capsys.readouterr()
    assert status == 1
    assert 'no configuration could be measured' in captured.err
    assert f'# {CONFIGS[2]} not measured' in captured.out
    assert list(tmp_path.iterdir()) == []


def _picture(video, output, run_json, frame=40):
    return readme_picture.main(['--video', str(video), '--frame', str(frame),
                                '--configs', *CONFIGS[:2], '--run', str(run_json),
                                '--output', str(output)])


def test_readme_picture_of_a_real_frame(run, eval_videos_dir, tmp_path, capsys):
    run_json, _, summary = run
    video = eval_videos_dir / 'bedroom.mp4'
    assert _picture(video, tmp_path / 'picture.png', run_json) == 0
    out = capsys.readouterr().out
    picture = cv2.imread(str(tmp_path / 'picture.png'))
    assert picture.shape == (PICTURE_SIZE[1], PICTURE_SIZE[0], 3)
    # the caption: each configuration's person count on this frame and the run's ms
    rgb = readme_picture.read_frame(video, 40)
    top = readme_picture.TITLE_H
    for row, (config, model) in enumerate(zip(CONFIGS, MODELS[:2])):
        segmenter = Segmenter(model=model)
        result = segmenter(rgb)
        segmenter.close()
        ms = summary['configs'][config]['ms_per_640x480']
        people = len(result.regions)
        assert people >= 1
        assert (f'{model}: {people} {"person" if people == 1 else "people"}, {ms:.0f} ms per '
                f'640x480 frame') in out
        # panels: the node's overlay, then the mask, at 320x180
        y = top + row * (readme_picture.CAPTION_H + 180) + readme_picture.CAPTION_H
        overlay = cv2.resize(render_overlay(rgb, result.mask), (320, 180),
                             interpolation=cv2.INTER_AREA)
        assert np.abs(picture[y:y + 180, :320, ::-1].astype(int) - overlay).mean() < 4
        shown = picture[y:y + 180, 324:644, 1] > 127
        mask = cv2.resize(result.mask, (320, 180), interpolation=cv2.INTER_AREA) > 127
        assert np.count_nonzero(shown & mask) / np.count_nonzero(shown | mask) > 0.95


def test_readme_picture_is_small_and_deterministic(run, eval_videos_dir, tmp_path, capsys):
    run_json = run[0]
    video = eval_videos_dir / 'bedroom.mp4'
    for name in ('a.jpg', 'b.jpg'):
        assert _picture(video, tmp_path / name, run_json) == 0
    assert (tmp_path / 'a.jpg').read_bytes() == (tmp_path / 'b.jpg').read_bytes()
    assert cv2.imread(str(tmp_path / 'a.jpg')).shape == (PICTURE_SIZE[1], PICTURE_SIZE[0], 3)
    assert (tmp_path / 'a.jpg').stat().st_size < 150_000 - preset_chart.SIZE[0] * 50
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a.jpg', 'b.jpg']


def test_readme_picture_failure_keeps_the_old_file(run, eval_videos_dir, tmp_path):
    (tmp_path / 'picture.jpg').write_bytes(b'old')
    with pytest.raises(ValueError, match='no frame 5000'):
        _picture(eval_videos_dir / 'bedroom.mp4', tmp_path / 'picture.jpg', run[0], frame=5000)
    assert (tmp_path / 'picture.jpg').read_bytes() == b'old'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['picture.jpg']


def test_parts_panel_colours_each_part_and_falls_back_to_blobs(photo):
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[100:200, 100:160] = 255
    mask[300:350, 400:420] = 255
    parts = np.zeros(photo.shape[:2], np.uint8)
    parts[100:150, 100:160] = 1  # left_face
    parts[150:200, 100:160] = len(BODY_PARTS)  # right_feet
    with_parts = types.SimpleNamespace(mask=mask, parts=parts)
    shown, has_parts = readme_picture.panels(photo, with_parts)
    assert has_parts
    assert np.array_equal(shown[1][..., 0], mask)
    third = shown[2]
    assert (third[120, 130] == readme_picture.PART_COLOURS[0]).all()
    assert (third[180, 130] == readme_picture.PART_COLOURS[-1]).all()
    assert not np.array_equal(readme_picture.PART_COLOURS[0], readme_picture.PART_COLOURS[-1])
    assert third[320, 410].max() == third[320, 410].min() <= 255 // 3  # no part: dimmed grey
    # without parts (DeepLab models), each blob of the mask in its own colour
    shown, has_parts = readme_picture.panels(photo, types.SimpleNamespace(mask=mask, parts=None))
    assert not has_parts
    first, second = shown[2][150, 130], shown[2][320, 410]
    assert not np.array_equal(first, second)
    assert {tuple(first), tuple(second)} <= {tuple(c) for c in readme_picture.BLOB_COLOURS}
