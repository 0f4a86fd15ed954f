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
The one entry point for person segmentation: frame in, probability, mask and people out.

``Segmenter`` ties the pieces together so callers (the ROS node, segment_video, replay, the
benchmarks) share exactly the same behaviour: model lookup and verification (``models.files``),
the backend (``models.backends``), aspect-preserving tiling (``input_strategy``), temporal
smoothing (``smoothing``), thresholding and per-person regions (``regions``). It never imports
rclpy.
"""

from dataclasses import dataclass, field
import os
import pathlib
import time
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

from person_segmentation.engine.input_strategy import InputPlan, STRATEGIES
from person_segmentation.engine.regions import find_regions, PersonRegion
from person_segmentation.engine.rendering import mask_from_probability
from person_segmentation.engine.smoothing import TemporalSmoother
from person_segmentation.models import registry
from person_segmentation.models.backends import check_choice, create_backend
from person_segmentation.models.files import ModelFileError, resolve_model_file
from person_segmentation.models.spec import ModelSpec

#: blobs smaller than this share of the frame are ignored as regions (not in the mask)
DEFAULT_MIN_REGION_FRACTION = 1e-4


@dataclass
class SegmentationResult:
    """What one frame gives: probability, mask and people."""

    probability: np.ndarray  # float32 H x W in [0, 1], at the input resolution
    mask: np.ndarray  # uint8 H x W, 255 = person
    regions: List[PersonRegion]  # one per person blob, largest first
    timings: Dict[str, float] = field(default_factory=dict)  # ms: preprocess/model/postprocess

    @property
    def person_detected(self) -> bool:
        """Return True when at least one region was found."""
        return bool(self.regions)


def _looks_like_path(model: str) -> bool:
    return os.sep in model or model.endswith(('.tflite', '.h5', '.keras')) or os.path.exists(
        model)


def spec_for_path(path: pathlib.Path, threads: int = 1) -> ModelSpec:
    """Infer a ModelSpec for a model file given by path."""
    if not path.is_file():
        raise ModelFileError(f'model file {path} does not exist; give a model name '
                             f'({", ".join(registry.model_names())}) or an existing file')
    if not os.access(path, os.R_OK):
        raise ModelFileError(f'model file {path} is not readable')
    for spec in registry.MODELS:
        if spec.filename == path.name and spec.backend == 'tflite':
            base = spec
            break
    else:
        base = None
    if path.suffix in ('.h5', '.keras'):
        try:
            from person_segmentation.models.backends import keras_backend
        except ImportError as error:
            raise ModelFileError(f'{path}: Keras models need the keras backend ({error})') \
                from None
        return keras_backend.spec_for_path(path)
    from person_segmentation.models.backends.tflite_backend import inspect_tflite
    try:
        inferred = inspect_tflite(path, threads)
    except ValueError as error:
        raise ModelFileError(f'{error}. Give a DeepLab Pascal VOC .tflite file or a model '
                             f'name ({", ".join(registry.model_names())}).') from None
    if base is not None and (base.input_size, base.output) == (inferred.input_size,
                                                               inferred.output):
        return ModelSpec(**{**base.__dict__, 'url': None, 'sha256': None,
                            'description': f'{base.description} (from {path})'})
    return inferred


class Segmenter:
    """
    Person segmentation of RGB frames with a DeepLab model.

    ``model`` is a registry name (default ``registry.TOOLS_DEFAULT_MODEL``) or a path to a model
    file. ``strategy`` None takes the model's default input strategy. ``smoothing`` is the EMA
    weight of the past in [0, 1) (0 = off), gated per pixel by agreement (``smoothing_gate``, see
    ``smoothing``); ``max_gap`` seconds between timestamps resets it. ``threshold`` turns
    probability into the mask. ``zoom`` scales the model input's short side to ``zoom`` x the model
    size for 'native' and 'tiles' (more pixels per person, proportional cost). ``min_region_area``
    pixels (default 0.01 % of the frame) drops specks from regions. ``threshold``, ``smoothing``
    and ``zoom`` may be changed between calls. ``backend`` 'auto' | 'tflite' | 'keras' and
    ``device`` 'auto' | 'cpu' | 'gpu' | 'gpu:N': 'auto' runs Keras on a usable GPU and LiteRT on
    the CPU otherwise (see ``models.backends.choose_backend``; ``backend.selection`` says why).
    """

    def __init__(self, model: Union[str, os.PathLike] = registry.TOOLS_DEFAULT_MODEL,
                 threads: int = 2, strategy: Optional[str] = None, smoothing: float = 0.0,
                 threshold: float = 0.5, min_region_area: Optional[int] = None,
                 max_gap: float = 1.0, model_dir: Optional[Union[str, os.PathLike]] = None,
                 smoothing_gate: float = 2.0, zoom: float = 1.0, backend: str = 'auto',
                 device: str = 'auto', **backend_opts):
        if int(threads) < 1:
            raise ValueError(f'threads must be at least 1, got {threads}')
        if strategy is not None and strategy not in STRATEGIES:
            raise ValueError(f'unknown input strategy {strategy!r}; choose one of '
                             f'{", ".join(STRATEGIES)}')
        check_choice(backend, device)
        model = os.fspath(model)
        if model in registry.model_names():
            self.spec = registry.get_spec(model)
            path = resolve_model_file(self.spec, model_dir)
        elif _looks_like_path(model):
            path = pathlib.Path(model).expanduser()
            self.spec = spec_for_path(path, int(threads))
        else:
            raise ValueError(f'unknown model {model!r}; known models: '
                             f'{", ".join(registry.model_names())} (or a model file path)')
        self.model_name = self.spec.name
        self.model_path = path
        # validate everything that needs no model first, so a bad argument loads nothing
        self.zoom = float(zoom)
        InputPlan(8, 8, 9, 'pad', zoom=self.zoom)
        self._smoother = TemporalSmoother(smoothing, max_gap, smoothing_gate)
        self.threshold = threshold
        self.min_region_area = min_region_area
        self.threads = int(threads)
        self.strategy = strategy or self.spec.strategy
        self._plan: Optional[InputPlan] = None
        try:
            self.backend = create_backend(self.spec, path, int(threads), backend, device,
                                          **backend_opts)
        except ValueError as error:
            raise ModelFileError(f'cannot load model {self.model_name!r} from {path}: {error}') \
                from None
        if self.strategy == 'native' and not self.backend.output_stride:
            self.backend.close()
            raise ValueError(f"model {self.model_name!r} cannot use strategy 'native' (its graph "
                             "does not take rectangular inputs); use 'tiles'")

    @property
    def smoothing(self) -> float:
        """EMA weight of the past in [0, 1); 0 = off."""
        return self._smoother.factor

    @smoothing.setter
    def smoothing(self, value: float) -> None:
        self._smoother.factor = value

    @property
    def max_gap(self) -> float:
        """Seconds between timestamps above which smoothing restarts."""
        return self._smoother.max_gap

    @max_gap.setter
    def max_gap(self, value: float) -> None:
        self._smoother.max_gap = float(value)

    @property
    def threshold(self) -> float:
        """Probability at or above which a pixel is person."""
        return self._threshold

    @threshold.setter
    def threshold(self, value: float) -> None:
        value = float(value)
        if not 0.0 < value <= 1.0:
            raise ValueError(f'threshold must be in (0, 1], got {value}')
        self._threshold = value

    def reset(self) -> None:
        """Forget temporal state (call between unrelated videos)."""
        self._smoother.reset()

    def _plan_for(self, height: int, width: int) -> InputPlan:
        plan = self._plan
        if plan is None or plan.shape != (height, width) or plan.strategy != self.strategy \
                or plan.zoom != self.zoom:
            plan = InputPlan(height, width, self.backend.input_size, self.strategy,
                             self.backend.output_stride,
                             self.zoom)
            if self.strategy == 'native':
                self.backend.set_input_shape(*plan.tile_shape)
            self._plan = plan
        return plan

    def probability(self, rgb: np.ndarray) -> np.ndarray:
        """Return the unsmoothed person probability of one frame (no state is touched)."""
        return self._infer(self._check(rgb))[0]

    @staticmethod
    def _check(rgb: np.ndarray) -> np.ndarray:
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError('expected an H x W x 3 uint8 RGB image, got '
                             f'shape {rgb.shape} dtype {rgb.dtype}')
        return rgb

    def _infer(self, rgb: np.ndarray):
        t0 = time.perf_counter()
        plan = self._plan_for(rgb.shape[0], rgb.shape[1])
        tiles = plan.tiles(rgb)
        t1 = time.perf_counter()
        tile_prob = self.backend.predict(tiles)
        t2 = time.perf_counter()
        probability = plan.merge(tile_prob)
        np.clip(probability, 0.0, 1.0, out=probability)
        return probability, t0, t1, t2

    def __call__(self, rgb: np.ndarray, timestamp: Optional[float] = None) -> SegmentationResult:
        """Segment one H x W x 3 uint8 RGB frame; ``timestamp`` in seconds (optional)."""
        probability, t0, t1, t2 = self._infer(self._check(rgb))
        return self._result(probability, timestamp, (t1 - t0) * 1e3, (t2 - t1) * 1e3, t2)

    def segment_batch(self, frames: Sequence[np.ndarray],
                      timestamps: Optional[Sequence[Optional[float]]] = None
                      ) -> List[SegmentationResult]:
        """
        Segment consecutive frames of one size with one backend call, in order.

        A backend that batches frames (Keras) runs all their tiles at once, which is what makes
        a GPU's offline throughput (``backend.preferred_batch`` frames per call); LiteRT takes
        them one by one. Smoothing sees the frames one after the other, so the results equal
        calling the Segmenter frame by frame. Timings are per frame (the batch's share).
        """
        frames = [self._check(rgb) for rgb in frames]
        timestamps = list(timestamps) if timestamps is not None else [None] * len(frames)
        if len(timestamps) != len(frames):
            raise ValueError(f'{len(frames)} frames but {len(timestamps)} timestamps')
        if len(frames) <= 1 or not self.backend.batches_frames:
            return [self(rgb, stamp) for rgb, stamp in zip(frames, timestamps)]
        shapes = {rgb.shape for rgb in frames}
        if len(shapes) != 1:
            raise ValueError(f'a batch must hold frames of one size, got {sorted(shapes)}')
        t0 = time.perf_counter()
        plan = self._plan_for(*frames[0].shape[:2])
        count, per_frame = plan.count, 1e3 / len(frames)
        tiles = np.empty((len(frames) * count,) + plan.tile_shape + (3,), np.uint8)
        for i, rgb in enumerate(frames):  # plan.tiles reuses one buffer: copy out each frame's
            tiles[i * count:(i + 1) * count] = plan.tiles(rgb)
        t1 = time.perf_counter()
        tile_prob = self.backend.predict(tiles)
        t2 = time.perf_counter()
        results = []
        for i, stamp in enumerate(timestamps):
            start = time.perf_counter()
            probability = plan.merge(tile_prob[i * count:(i + 1) * count])
            np.clip(probability, 0.0, 1.0, out=probability)
            results.append(self._result(probability, stamp, (t1 - t0) * per_frame,
                                        (t2 - t1) * per_frame, start))
        return results

    def _result(self, probability: np.ndarray, timestamp: Optional[float], preprocess_ms: float,
                model_ms: float, post_start: float) -> SegmentationResult:
        """Smooth, threshold and find regions; post-processing is timed from ``post_start``."""
        probability = self._smoother.update(probability, timestamp)
        mask = mask_from_probability(probability, self._threshold)
        min_area = self.min_region_area
        if min_area is None:
            min_area = max(1, int(round(DEFAULT_MIN_REGION_FRACTION * mask.size)))
        regions = find_regions(mask, probability, min_area)
        timings = {'preprocess': preprocess_ms, 'model': model_ms,
                   'postprocess': (time.perf_counter() - post_start) * 1e3}
        return SegmentationResult(probability, mask, regions, timings)

    def close(self) -> None:
        """Release the backend."""
        self.backend.close()

    def __repr__(self) -> str:
        return (f'Segmenter(model={self.model_name!r}, strategy={self.strategy!r}, '
                f'threads={self.threads}, smoothing={self.smoothing}, '
                f'threshold={self.threshold})')
