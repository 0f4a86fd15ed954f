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
BodyPix in Keras, built from the weights of its own .tflite file, equals LiteRT on DAVIS.

The proof for the Keras path of the BodyPix model (issue 19), run here on the CPU (Keras on
TensorFlow): on DAVIS frames at 480x640 and 480x848 the person masks (sigmoid(logit) >= 0.5,
upsampled to the frame the way the grid lies on it) have mean IoU >= 0.99 against LiteRT's, the
person logits stay within a small share of their range, and the 24-part argmax agrees inside the
person. The weights are compared with LiteRT's own view of the file's tensors, and a file of
another network (the DeepLab files, a tampered BodyPix) is refused naming the op.
"""

import os
import subprocess
import sys

from ai_edge_litert.interpreter import Interpreter
from conftest import REPO_ROOT, SHARED_MODELS
import cv2
import keras
import numpy as np
from person_segmentation.models import tflite_graph
from person_segmentation.models.backends.tflite_backend import load_interpreter
from person_segmentation.models.keras_bodypix import (
    build_bodypix, read_tflite_bodypix, WeightFileError)
from person_segmentation.models.keras_bodypix.weights_tflite import layer_name
from person_segmentation.models.keras_deeplab.layers import align_corners_weights
import pytest

BODYPIX = 'bodypix_mobilenet_v1_075_720_1280_16_quant.tflite'
SIZES = ((480, 640), (480, 848))
SEQUENCES = ('parkour', 'lucia', 'hike')
#: MobileNetV1 x0.75: the pointwise widths of the 13 separable blocks
WIDTHS = (48, 96, 96, 192, 192, 384, 384, 384, 384, 384, 384, 384, 384)
HEADS = {'heatmaps': 17, 'short_offsets': 34, 'mid_offsets': 64, 'segments': 1,
         'part_heatmaps': 24, 'long_offsets': 34}


@pytest.fixture(scope='module')
def bodypix_path():
    """Return the shipped BodyPix file, or skip."""
    path = SHARED_MODELS / BODYPIX
    if not path.is_file():
        pytest.skip(f'{BODYPIX} not found in {SHARED_MODELS} (see its README)')
    return path


@pytest.fixture(scope='module')
def weights(bodypix_path):
    """Return the file's weights, read once."""
    return read_tflite_bodypix(bodypix_path)


@pytest.fixture(scope='module')
def davis_frames(davis_dir):
    """Return 13 DAVIS frames (every 20th of the three sequences): (RGB, truth mask)."""
    frames = []
    for sequence in SEQUENCES:
        images = sorted((davis_dir / 'JPEGImages' / '480p' / sequence).glob('*.jpg'))
        for image in images[::20]:
            truth = davis_dir / 'Annotations' / '480p' / sequence / (image.stem + '.png')
            frames.append((cv2.cvtColor(cv2.imread(str(image)), cv2.COLOR_BGR2RGB),
                           cv2.imread(str(truth), cv2.IMREAD_GRAYSCALE) > 127))
    assert len(frames) >= 10
    return frames


class LiteRT:
    """The .tflite file on LiteRT at one input size; outputs dequantised by name."""

    def __init__(self, path, height, width):
        self.interpreter = load_interpreter(path, 2)
        self.input = self.interpreter.get_input_details()[0]['index']
        self.interpreter.resize_tensor_input(self.input, [1, height, width, 3])
        self.interpreter.allocate_tensors()
        self.outputs = {d['name']: d for d in self.interpreter.get_output_details()}

    def __call__(self, rgb):
        self.interpreter.set_tensor(self.input, rgb[None])
        self.interpreter.invoke()
        result = {}
        for name in ('segments', 'part_heatmaps'):
            detail = self.outputs['float_' + name]
            scale, zero = detail['quantization']
            values = self.interpreter.get_tensor(detail['index'])[0].astype(np.float32)
            result[name] = (values - zero) * scale
        result['segments'] = result['segments'][..., 0]
        return result


def to_frame(grid, height, width):
    """Upsample a logit grid whose cell (i, j) lies on pixel (16 i, 16 j) to the frame."""
    for axis, size in ((0, height), (1, width)):
        lower, upper, weight = align_corners_weights(grid.shape[axis], size + 1)
        shape = [1] * grid.ndim
        shape[axis] = -1
        low, high = np.take(grid, lower, axis), np.take(grid, upper, axis)
        grid = low + (high - low) * weight.reshape(shape)
    return grid[:height, :width]


def iou(a, b):
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else 1.0


def test_file_facts_are_read_from_the_file(weights, bodypix_path):
    """MobileNetV1 x0.75 at output stride 16, uint8 input (x - 128) / 128, six heads."""
    backbone = weights.backbone
    assert [conv.name for conv in backbone] == ['Conv2d_0'] + [
        f'Conv2d_{i}_{part}' for i in range(1, 14) for part in ('depthwise', 'pointwise')]
    assert [conv.kernel.shape[-1] for conv in backbone[2::2]] == list(WIDTHS)
    assert backbone[0].kernel.shape == (3, 3, 3, 24)
    assert [conv.name for conv in backbone if conv.strides != (1, 1)] == [
        'Conv2d_0', 'Conv2d_2_depthwise', 'Conv2d_4_depthwise', 'Conv2d_6_depthwise']
    assert all(conv.dilations == (1, 1) and conv.same_padding for conv in backbone)
    assert all(conv.clip == (0.0, 6.0) for conv in backbone)  # ReLU6 = the int8 range
    assert weights.output_stride == 16
    assert (weights.input_zero, weights.input_scale) == (128.0, 1 / 128)
    assert weights.input_padding == ((0, 1), (0, 1))  # one zero row and column after
    assert weights.input_hw == (1280, 720)
    assert weights.output_hw(1280, 720) == (81, 46)  # the file's own output shape
    assert weights.output_hw(480, 640) == (31, 41)
    assert {name: head.channels for name, head in weights.heads.items()} == HEADS
    assert [conv.name for conv in weights.heads['mid_offsets'].convolutions] == [
        'displacement_fwd_2', 'displacement_bwd_2']
    # a head is clamped to its int8 output range, as LiteRT reports it
    litert = LiteRT(bodypix_path, 1280, 720)
    scale, zero = litert.outputs['float_segments']['quantization']
    low, high = weights.heads['segments'].convolutions[0].clip
    assert low == pytest.approx((0 - zero) * scale) and high == pytest.approx((255 - zero) * scale)


def test_weights_equal_litert_dequantised(weights, bodypix_path):
    """Every kernel and bias equals LiteRT's view of the file: int8 x scale per channel."""
    interpreter = load_interpreter(bodypix_path, 1)
    interpreter.allocate_tensors()
    tensors = {}
    for detail in interpreter.get_tensor_details():
        if detail['dtype'] == np.int8 and detail['name'].split(';')[0].endswith('/conv'):
            tensors[layer_name(detail['name']), 'kernel'] = detail
        elif detail['dtype'] == np.int32 and len(detail['shape']) == 1:  # not the paddings
            tensors[layer_name(detail['name']), 'bias'] = detail
    convolutions = list(weights.backbone) + [
        conv for head in weights.heads.values() for conv in head.convolutions]
    assert len(convolutions) == 34 and len(tensors) == 2 * 34
    for conv in convolutions:
        kernel, bias = tensors[conv.name, 'kernel'], tensors[conv.name, 'bias']
        scales = kernel['quantization_parameters']['scales']
        axis = kernel['quantization_parameters']['quantized_dimension']
        shape = [1, 1, 1, 1]
        shape[axis] = -1
        want = interpreter.get_tensor(kernel['index']) * scales.reshape(shape)
        want = (want[0, ..., None] if conv.depthwise else want.transpose(1, 2, 3, 0))
        assert np.allclose(conv.kernel, want, rtol=1e-6, atol=0), conv.name
        want_bias = interpreter.get_tensor(bias['index']) * bias['quantization_parameters'][
            'scales']
        assert np.allclose(conv.bias, want_bias, rtol=1e-3, atol=1e-7), conv.name
        assert np.abs(conv.bias).max() > 0 and np.abs(conv.kernel).max() > 0.1


@pytest.mark.parametrize('quantise, min_mean_iou, max_logit_share, max_mean_share, '
                         'min_part_agreement', [
                             (True, 0.99, 0.03, 0.003, 0.97),
                             (False, 0.98, 0.08, 0.0075, 0.95),
                         ])
@pytest.mark.parametrize('size', SIZES, ids=[f'{h}x{w}' for h, w in SIZES])
def test_keras_equals_litert_on_davis(weights, bodypix_path, davis_frames, size, quantise,
                                      min_mean_iou, max_logit_share, max_mean_share,
                                      min_part_agreement):
    """
    Person masks, logits and part argmax of Keras against LiteRT on 13 DAVIS frames.

    Keras' mask is its 'person_probability' output (upsampled on the device) >= 0.5, LiteRT's
    the same geometry in numpy on its logits.

    Default (``quantise``, activations rounded to their int8 step as the graph stores them):
    mean person IoU >= 0.99, logits within 3 % of their range (0.3 % on average over a frame,
    which a single wrong clamp in the first block already exceeds), part agreement >= 97 %.
    Plain float: 0.98, 8 % (0.75 %), 95 %. Both find the person (J against DAVIS' truth).
    """
    height, width = size
    model = build_bodypix(weights, height, width, quantise=quantise,
                          outputs=('segments', 'part_heatmaps', 'person_probability'))
    litert = LiteRT(bodypix_path, height, width)
    ious, shares, mean_shares, agreements, truth_j = [], [], [], [], []
    for rgb, truth in davis_frames:
        rgb = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
        want = litert(rgb)
        got = {name: np.asarray(value)[0] for name, value in model(rgb[None]).items()}
        assert got['segments'].shape == want['segments'].shape == (
            height // 16 + 1, width // 16 + 1)
        assert got['part_heatmaps'].shape == want['part_heatmaps'].shape[:2] + (24,)
        spread = float(want['segments'].max() - want['segments'].min())
        assert spread > 10  # real logits: the frame has person and background
        difference = np.abs(got['segments'] - want['segments'])
        shares.append(difference.max() / spread)
        mean_shares.append(difference.mean() / spread)
        upsampled = to_frame(got['segments'], height, width)
        assert np.abs(got['person_probability'] - 1 / (1 + np.exp(-upsampled))).max() < 1e-5
        mask = got['person_probability'] >= 0.5
        ious.append(iou(mask, to_frame(want['segments'], height, width) >= 0))
        truth_j.append(iou(mask, cv2.resize(truth.astype(np.uint8), (width, height),
                                            interpolation=cv2.INTER_NEAREST) > 0))
        person = (got['segments'] >= 0) & (want['segments'] >= 0)
        assert person.sum() >= 20
        agreements.append(np.mean(got['part_heatmaps'].argmax(-1)[person]
                                  == want['part_heatmaps'].argmax(-1)[person]))
    print(f'\nBodyPix Keras vs LiteRT {height}x{width} quantise={quantise}, {len(ious)} DAVIS '
          f'frames: person IoU mean {np.mean(ious):.4f} worst {np.min(ious):.4f}; max |logit '
          f'diff| / range {np.max(shares):.4f} (frame mean {np.max(mean_shares):.5f}); part '
          f'agreement mean {np.mean(agreements):.4f} worst {np.min(agreements):.4f}; Keras J '
          f'vs truth {np.mean(truth_j):.3f}')
    assert np.mean(ious) >= min_mean_iou, np.round(ious, 4)
    assert np.min(ious) >= min_mean_iou - 0.05, np.round(ious, 4)
    assert np.max(shares) <= max_logit_share, np.round(shares, 4)
    assert np.max(mean_shares) <= max_mean_share, np.round(mean_shares, 5)
    assert np.mean(agreements) >= min_part_agreement, np.round(agreements, 4)
    assert np.mean(truth_j) >= 0.7  # the person is found, not just the same noise twice


@pytest.mark.filterwarnings('ignore:Warning. Enabling `experimental_preserve_all_tensors`')
def test_first_block_equals_litert_int8_tensors(weights, bodypix_path, davis_frames):
    """
    The first layers' outputs, on their int8 grid, equal LiteRT's integer tensors.

    What the network's end-to-end tolerance cannot show: dequantisation, bias scale, padding
    and clamps are exact, so Keras differs from LiteRT's kernels only where a value lies on a
    rounding boundary (one in 10^5 after the first block; rounding flips then spread).
    """
    height, width = 480, 640
    rgb = cv2.resize(davis_frames[0][0], (width, height), interpolation=cv2.INTER_AREA)
    interpreter = Interpreter(model_path=str(bodypix_path), num_threads=2,
                              experimental_preserve_all_tensors=True)
    index = interpreter.get_input_details()[0]['index']
    interpreter.resize_tensor_input(index, [1, height, width, 3])
    interpreter.allocate_tensors()
    interpreter.set_tensor(index, rgb[None])
    interpreter.invoke()
    activations = {layer_name(d['name']): d for d in interpreter.get_tensor_details()
                   if d['name'].split(';')[0].endswith('/Relu6')}
    model = build_bodypix(weights, height, width)
    names = [conv.name for conv in weights.backbone[:3]]
    probe = keras.Model(model.input, [model.get_layer(name + '_round').output for name in names])
    for name, got in zip(names, probe(rgb[None])):
        detail = activations[name]
        scale, zero = detail['quantization']
        want = interpreter.get_tensor(detail['index']).astype(np.int32)
        steps = np.round(np.asarray(got) / scale).astype(np.int32) + zero
        assert steps.shape == want.shape, name
        mismatch = np.count_nonzero(steps != want) / want.size
        assert mismatch <= 1e-3, (name, mismatch)
        assert len(np.unique(want)) > 50  # a real activation, not a constant


def test_batches_and_float_input_give_the_single_uint8_answer(weights, davis_frames):
    """A batch of frames, or float pixels, give what one uint8 frame at a time gives."""
    height, width = 480, 640
    frames = np.stack([cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
                       for rgb, _ in davis_frames[::4]])
    model = build_bodypix(weights, height, width)
    batched = model(frames)
    floats = model(frames.astype(np.float32))
    for i, frame in enumerate(frames):
        single = model(frame[None])
        for name in ('segments', 'part_heatmaps'):
            spread = float(np.ptp(np.asarray(single[name])))
            assert np.abs(np.asarray(batched[name])[i] - np.asarray(single[name])[0]).max() \
                <= 0.01 * spread, (name, i)
            assert np.abs(np.asarray(floats[name])[i] - np.asarray(batched[name])[i]).max() \
                <= 0.01 * spread, (name, i)
    segments = np.asarray(batched['segments'])
    assert iou(segments[0] >= 0, segments[-1] >= 0) < 0.9  # the frames do differ


def test_sizes_and_outputs_are_checked(weights):
    """Inputs off the 16-pixel grid and unknown heads are refused with the reason."""
    with pytest.raises(ValueError, match='multiple of its output stride 16.*480x650'):
        build_bodypix(weights, 480, 650)
    with pytest.raises(ValueError, match="unknown BodyPix output.*'persons'"):
        build_bodypix(weights, 64, 64, outputs=('segments', 'persons'))
    model = build_bodypix(weights, 64, 96, outputs=('mid_offsets', 'heatmaps',
                                                    'person_probability'))
    shapes = {name: tuple(value.shape) for name, value in model.output.items()}
    assert shapes == {'mid_offsets': (None, 5, 7, 64), 'heatmaps': (None, 5, 7, 17),
                      'person_probability': (None, 64, 96)}


def _patched(path, tmp_path, edit):
    """Write a copy of the BodyPix file with ``edit(bytearray)`` applied; return its path."""
    content = bytearray(path.read_bytes())
    edit(content)
    target = tmp_path / 'edited.tflite'
    target.write_bytes(bytes(content))
    return target


def _options_field(content, op_index, slot):
    """Return the byte position of field ``slot`` of an op's builtin options table."""
    model = tflite_graph.schema().Model.GetRootAs(bytes(content), 0)
    op = model.Subgraphs(0).Operators(op_index)
    table = op.BuiltinOptions()
    return table.Pos + table.Offset(4 + 2 * slot)


def test_other_networks_are_refused_naming_the_op(bodypix_path, models_dir, tmp_path):
    """The DeepLab files, a tampered stride, renamed heads: a WeightFileError naming the op."""
    for name in ('deeplabv3_mnv2_pascal_quant.tflite', 'deeplabv3_257_mv_gpu.tflite'):
        with pytest.raises(WeightFileError,
                           match=r'op \d+ ADD \(-> MobilenetV2/.*\) is not part of a BodyPix'):
            read_tflite_bodypix(models_dir / name)

    # op 5 is Conv2d_2_depthwise (stride 2); field 2 of DepthwiseConv2DOptions is stride_h
    def stride_one(content):
        position = _options_field(content, 5, 2)
        assert content[position] == 2
        content[position] = 1
    with pytest.raises(WeightFileError, match=r'op 5 DEPTHWISE_CONV_2D \(-> MobilenetV1/'
                       r'Conv2d_2_depthwise/Relu6\) maps \[1, 641, 361, 48\] to '
                       r'\[1, 321, 181, 48\] .* give \[1, 641, 181, 48\]'):
        read_tflite_bodypix(_patched(bodypix_path, tmp_path, stride_one))

    def rename_parts(content):
        content[:] = content.replace(b'float_part_heatmaps', b'float_part_heatmapz')
    with pytest.raises(WeightFileError, match='no output float_part_heatmaps with 24 '
                       'channel'):
        read_tflite_bodypix(_patched(bodypix_path, tmp_path, rename_parts))
    not_tflite = tmp_path / 'model.tflite'
    not_tflite.write_bytes(b'\0' * 64)
    with pytest.raises(WeightFileError, match='not a TFLite flatbuffer'):
        read_tflite_bodypix(not_tflite)


_JAX_CHECK = r"""
import sys
import numpy as np
import keras
sys.path.insert(0, 'test')
from test_models_keras_bodypix import LiteRT, iou, to_frame
from person_segmentation.models.keras_bodypix import build_bodypix, read_tflite_bodypix
path = sys.argv[1]
frame = np.load(sys.argv[2])
model = build_bodypix(read_tflite_bodypix(path), 480, 640)
got = np.asarray(model(frame[None])['segments'])[0]
want = LiteRT(path, 480, 640)(frame)['segments']
print(keras.backend.backend(), iou(to_frame(got, 480, 640) >= 0, to_frame(want, 480, 640) >= 0),
      np.abs(got - want).max() / np.ptp(want))
"""


def test_keras_on_jax_equals_litert(bodypix_path, davis_frames, tmp_path):
    """The same code on Keras' JAX backend (the GPU machines' framework), in a subprocess."""
    import importlib.util
    if importlib.util.find_spec('jax') is None:
        pytest.skip('JAX is not installed here (scripts/setup_venv --gpu installs it)')
    frame = tmp_path / 'frame.npy'
    np.save(frame, cv2.resize(davis_frames[0][0], (640, 480), interpolation=cv2.INTER_AREA))
    env = dict(os.environ, KERAS_BACKEND='jax', JAX_PLATFORMS='cpu')
    result = subprocess.run([sys.executable, '-c', _JAX_CHECK, str(bodypix_path), str(frame)],
                            capture_output=True, text=True, cwd=REPO_ROOT, env=env,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    name, overlap, share = result.stdout.split()[-3:]
    assert name == 'jax'
    assert float(overlap) >= 0.98 and float(share) <= 0.03
