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
BodyPix 2.0 as a named model: registry, LiteRT at any input size, parts, Keras equal to LiteRT.

The mask is checked on a DAVIS frame looked at by eye once (lucia 00030: the woman walking
right, the whole of her masked, nothing else): J against DAVIS' truth above a floor, and the
mask's area within a tolerance of the truth's own area. The stride-16 geometry is checked
against the interpreter's raw logits, the part order on frames where the person's sides are
known, and the Keras backend (BodyPix rebuilt from the same file) against LiteRT through the
Segmenter.
"""

from conftest import SHARED_MODELS
import cv2
import numpy as np
from person_segmentation import Segmenter
from person_segmentation.models import bodypix
from person_segmentation.models.backends.tflite_backend import load_interpreter
from person_segmentation.models.files import sha256_of
from person_segmentation.models.registry import BODYPIX, get_spec
from person_segmentation.models.spec import BODY_PARTS
import pytest

NAME = 'bodypix_mnv1_075'
#: lucia 00030, checked by eye (the mask rendered over the frame): J 0.827 measured
MASK_J_FLOOR = 0.78
#: the mask's area may differ from the truth's by this share (measured: 1.04 x the truth)
AREA_TOLERANCE = 0.15


@pytest.fixture(scope='module')
def bodypix_file():
    """Return the shipped BodyPix file, or skip."""
    path = SHARED_MODELS / BODYPIX.filename
    if not path.is_file():
        pytest.skip(f'{BODYPIX.filename} not found in {SHARED_MODELS} (see its README)')
    return path


@pytest.fixture(scope='module')
def segmenter(bodypix_file):
    """Return BodyPix run plainly on LiteRT."""
    segmenter = Segmenter(NAME, backend='tflite')
    yield segmenter
    segmenter.close()


def _frame(davis_dir, sequence, index):
    image = davis_dir / 'JPEGImages' / '480p' / sequence / f'{index:05d}.jpg'
    truth = davis_dir / 'Annotations' / '480p' / sequence / f'{index:05d}.png'
    return (cv2.cvtColor(cv2.imread(str(image)), cv2.COLOR_BGR2RGB),
            cv2.imread(str(truth), cv2.IMREAD_GRAYSCALE) > 127)


def _iou(a, b):
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else 1.0


def test_registry_pins_the_file_url_and_licence(bodypix_file):
    spec = get_spec(NAME)
    assert spec is BODYPIX and spec.output == 'bodypix' and spec.strategy == 'native'
    assert spec.url == ('https://github.com/google-coral/project-bodypix/raw/'
                        'a46c428d729741c82f64550d742b2c65fe92999b/models/'
                        'bodypix_mobilenet_v1_075_720_1280_16_quant.tflite')
    assert spec.licence.startswith('Apache-2.0') and spec.size_bytes == 1500824
    assert sha256_of(bodypix_file) == spec.sha256
    assert bodypix_file.stat().st_size == spec.size_bytes
    # DeepLab stays selectable by name
    assert get_spec('deeplabv3_mnv2_513').output == 'argmax'


def test_the_mask_of_a_frame_checked_by_eye(segmenter, davis_dir):
    """In lucia 00030 the walking woman is masked whole and nothing else (J, area vs truth)."""
    rgb, truth = _frame(davis_dir, 'lucia', 30)
    out = segmenter(rgb)
    mask = out.mask > 0
    assert _iou(mask, truth) >= MASK_J_FLOOR
    assert abs(np.count_nonzero(mask) - np.count_nonzero(truth)) <= (
        AREA_TOLERANCE * np.count_nonzero(truth))
    assert len(out.regions) == 1 and out.person_present
    assert segmenter.backend.name == 'tflite' and segmenter.backend.has_parts


@pytest.mark.parametrize('frame, zoom, expected', [
    ((480, 854), None, (480, 848)),   # DAVIS: the frame's own size, sides rounded to 16
    ((480, 640), None, (480, 640)),
    ((480, 854), 0.75, (352, 640)),
    ((720, 1280), 0.625, (448, 800)),  # long side 800
    ((720, 1280), 0.75, (544, 960)),   # long side 960
    ((480, 854), 1.5, (720, 1280)),
])
def test_native_runs_at_the_frames_own_size_rounded_to_16(segmenter, frame, zoom, expected):
    seg = segmenter if zoom is None else Segmenter(NAME, backend='tflite', zoom=zoom)
    rgb = np.full(frame + (3,), 100, np.uint8)
    out = seg(rgb)
    assert seg._plans[0].tile_shape == expected
    assert out.probability.shape == frame and out.mask.shape == frame


def test_probability_is_the_sigmoid_of_the_dequantised_logit_on_its_grid(
        segmenter, bodypix_file, davis_dir):
    """Cell (i, j) lies on pixel (16 i, 16 j); between cells the logit is interpolated."""
    rgb, _ = _frame(davis_dir, 'hike', 40)
    tile = np.ascontiguousarray(cv2.resize(rgb, (640, 480), interpolation=cv2.INTER_AREA))
    got = segmenter.backend.predict(tile[None])[0]
    interpreter = load_interpreter(bodypix_file, 2)
    index = interpreter.get_input_details()[0]['index']
    interpreter.resize_tensor_input(index, [1, 480, 640, 3])
    interpreter.allocate_tensors()
    interpreter.set_tensor(index, tile[None])
    interpreter.invoke()
    detail = {d['name']: d for d in interpreter.get_output_details()}['float_segments']
    scale, zero = detail['quantization']
    logits = (interpreter.get_tensor(detail['index'])[0, ..., 0].astype(np.float64) - zero) * scale
    assert logits.shape == (31, 41) and logits.max() > 2 and logits.min() < -2
    on_grid = got[::16, ::16]
    assert np.abs(on_grid - 1 / (1 + np.exp(-logits[:30, :40]))).max() < 1e-5
    between = 0.5 * (logits[10, 20] + logits[11, 20])  # pixel (168, 320): halfway
    assert got[168, 320] == pytest.approx(1 / (1 + np.exp(-between)), abs=1e-5)


def test_body_parts_come_in_bodypix_order(segmenter, davis_dir):
    """
    Face above torso above legs above feet, the person's left on the image's right.

    On a runner facing the camera (parkour 00010; rendered once and looked at).
    """
    assert len(BODY_PARTS) == 24 and BODY_PARTS[0] == 'left_face' and \
        BODY_PARTS[12] == 'torso_front' and BODY_PARTS[-1] == 'right_feet'
    rgb, truth = _frame(davis_dir, 'parkour', 10)
    out = segmenter(rgb)
    plan = segmenter._plans[0]
    probability, parts = segmenter.backend.predict(plan.tiles(rgb), parts=True)
    assert parts.dtype == np.uint8 and parts.shape == probability.shape == (1,) + plan.tile_shape
    assert parts.min() >= 1 and parts.max() <= 24
    parts = cv2.resize(parts[0], rgb.shape[1::-1], interpolation=cv2.INTER_NEAREST)
    person = (out.mask > 0) & truth

    def centre(names):
        ids = [BODY_PARTS.index(name) + 1 for name in names]
        ys, xs = np.nonzero(person & np.isin(parts, ids))
        assert len(ys) >= 30, names
        return np.mean(ys), np.mean(xs)

    face = centre(['left_face', 'right_face'])
    torso = centre(['torso_front', 'torso_back'])
    legs = centre([n for n in BODY_PARTS if '_leg_' in n])
    feet = centre(['left_feet', 'right_feet'])
    assert face[0] < torso[0] < legs[0] < feet[0]
    # arms and hands (a runner's legs cross)
    left = centre([n for n in BODY_PARTS if n.startswith('left_') and ('arm' in n or 'hand' in n)])
    right = centre([n for n in BODY_PARTS
                    if n.startswith('right_') and ('arm' in n or 'hand' in n)])
    assert left[1] > right[1] + 20


def test_part_labels_on_a_4x_grid_agree_with_every_pixels_argmax(segmenter, davis_dir):
    """The 4x grid and nearest (what predict does) against the argmax at every pixel."""
    rgb, truth = _frame(davis_dir, 'lucia', 30)
    tile = np.ascontiguousarray(rgb[:, :848])
    runner = segmenter.backend.runner(480, 848)
    heatmaps = runner.run(tile[None], [bodypix.PART_HEATMAPS])[0].astype(np.float32)
    fine = bodypix.part_labels(heatmaps, 480, 848, upsampling=16)
    coarse = bodypix.part_labels(heatmaps, 480, 848)
    inside = truth[:, :848]
    agreement = np.mean(fine[0][inside] == coarse[0][inside])
    print(f'\nparts: 4x grid + nearest vs every pixel, inside the person: {agreement:.4f}')
    assert agreement >= 0.93
    assert np.mean(fine[0][inside] == fine[0][inside][0]) < 0.9  # several parts, not one


def test_inputs_off_the_16_grid_and_parts_of_deeplab_are_refused(segmenter, models_dir):
    with pytest.raises(ValueError, match=r'cannot take a 640x481 input \(sides of multiples '
                                         r'of 16'):
        segmenter.backend.predict(np.zeros((1, 481, 640, 3), np.uint8))
    assert segmenter.backend.fit_side(489) == 496 and segmenter.backend.fit_side(3) == 16
    deeplab = Segmenter('deeplabv3_mnv2_257', backend='tflite').backend
    assert not deeplab.has_parts
    with pytest.raises(ValueError, match='no body parts'):
        deeplab.predict(np.zeros((1, 257, 257, 3), np.uint8), parts=True)


def test_keras_equals_litert_through_the_segmenter(bodypix_file, davis_dir):
    """Keras (weights from the same file) vs LiteRT: person IoU >= 0.99 mean, parts agree."""
    keras = Segmenter(NAME, backend='keras', device='cpu')
    litert = Segmenter(NAME, backend='tflite')
    assert keras.backend.name.startswith('keras-') and keras.backend.has_parts
    ious, agreements = [], []
    for sequence in ('parkour', 'lucia', 'hike'):
        for index in (5, 45):
            rgb, _ = _frame(davis_dir, sequence, index)
            a, b = keras(rgb), litert(rgb)
            ious.append(_iou(a.mask > 0, b.mask > 0))
            tiles = litert._plans[0].tiles(rgb)
            _, parts_keras = keras.backend.predict(tiles, parts=True)
            _, parts_litert = litert.backend.predict(tiles, parts=True)
            person = (a.mask > 0) & (b.mask > 0)
            person = cv2.resize(person.astype(np.uint8), tiles.shape[2:0:-1],
                                interpolation=cv2.INTER_NEAREST) > 0
            agreements.append(np.mean(parts_keras[0][person] == parts_litert[0][person]))
    print(f'\nBodyPix Keras vs LiteRT through the Segmenter: IoU mean {np.mean(ious):.4f} '
          f'min {np.min(ious):.4f}; parts agreement mean {np.mean(agreements):.4f}')
    assert np.mean(ious) >= 0.99 and np.min(ious) >= 0.97
    assert np.mean(agreements) >= 0.95
    keras.close()
    litert.close()
