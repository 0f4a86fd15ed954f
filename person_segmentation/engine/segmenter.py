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
The one entry point for person segmentation: frame in, probability, mask, people, presence out.

``Segmenter`` ties the pieces together so callers (the ROS node, segment_video, replay, the
benchmarks) share exactly the same behaviour: which model a name or file means
(``models.lookup``), the backend (``models.backends.create_backend``), the named presets
(``presets``), the lift of dark frames (``exposure``), aspect-preserving model inputs at one or
more zooms (``input_strategy``, fused by ``view_fusion``), refinement crops (``refinement``),
temporal smoothing (``smoothing``), thresholding and per-person regions (``regions``) and the
per-frame presence decision (``presence``); the time per stage is ``stage_times``'s. It never
imports rclpy.
"""

from dataclasses import dataclass, field
import os
from typing import Dict, Hashable, List, Optional, Sequence, Tuple, Union

import numpy as np

from person_segmentation.engine import presets, stage_times
from person_segmentation.engine.exposure import lift_dark
from person_segmentation.engine.input_strategy import InputPlan, STRATEGIES
from person_segmentation.engine.presence import PresenceRule
from person_segmentation.engine.refinement import Refiner
from person_segmentation.engine.regions import find_regions, PersonRegion
from person_segmentation.engine.rendering import mask_from_probability
from person_segmentation.engine.smoothing import TemporalSmoother
from person_segmentation.engine.stage_times import StageTimes
from person_segmentation.engine.view_fusion import fuse_views
from person_segmentation.models import lookup
from person_segmentation.models.backends import check_choice, create_backend
from person_segmentation.models.files import ModelFileError

#: blobs smaller than this share of the frame are ignored as regions (not in the mask)
DEFAULT_MIN_REGION_FRACTION = 1e-4
#: the stream a frame belongs to unless the caller names one (one camera, one video)
DEFAULT_STREAM = 0


@dataclass
class SegmentationResult:
    """What one frame gives: probability, mask, people and presence."""

    probability: np.ndarray  # float32 H x W in [0, 1], at the input resolution
    mask: np.ndarray  # uint8 H x W, 255 = person
    regions: List[PersonRegion]  # one per person blob, largest first
    #: ms per stage: preprocess / model / refine / postprocess (``stage_times``)
    timings: Dict[str, float] = field(default_factory=dict)
    #: a person is in view: a region with enough model pixels and confidence
    #: (``presence.PresenceRule``); independent of the share of the frame
    person_present: bool = False


#: (mask, regions) found on a probability map
Found = Tuple[np.ndarray, List[PersonRegion]]


@dataclass
class _Inference:
    """One frame's probability before smoothing (views fused, then refined)."""

    probability: np.ndarray
    timings: Dict[str, float]
    #: the mask and regions of ``probability`` when they were already needed (the presence
    #: check that decides whether to refine), else None
    found: Optional[Found] = None


class Segmenter:
    """
    Person segmentation of RGB frames with a DeepLab model.

    ``preset`` ('fast', 'accurate' or 'auto': see ``presets``) sets the model, input strategy,
    zooms, refinement crops, dark-frame lift and presence rule; with neither ``preset`` nor
    ``model`` the 'auto' preset is used (accurate where a GPU is used, fast on a CPU).
    ``model`` is a registry name or a path to a model file; named alone (or with preset 'auto')
    it runs that model plainly (one whole-frame view), named with 'fast' or 'accurate' it
    replaces that preset's model. ``strategy`` None takes the preset's or the model's default
    input strategy. ``smoothing`` is the EMA weight of the past in [0, 1) (0 = off), gated per
    pixel by agreement (``smoothing_gate``, see ``smoothing``); a gap of over a second between
    timestamps resets it. ``threshold`` turns probability into the mask. ``zoom`` scales the
    model input's short side to ``zoom`` x the model size for 'native' and 'tiles' (more pixels
    per person, proportional cost; a preset's further views keep their ratio to it).
    ``min_region_area`` pixels (default 0.01 % of the frame) drops specks from regions.
    ``threshold``, ``smoothing``, ``zoom`` and ``presence_rule`` may be changed between calls.
    Frames of several cameras may share one Segmenter (one model): ``stream`` (any hashable,
    e.g. the camera's index) keeps each camera's temporal smoothing apart.
    ``backend`` 'auto' | 'tflite' | 'keras' and ``device`` 'auto' | 'cpu' | 'gpu' | 'gpu:N':
    'auto' runs Keras on a usable GPU and LiteRT on the CPU otherwise (see
    ``models.backends.choose_backend``; ``backend.selection`` says why).
    """

    def __init__(self, model: Optional[Union[str, os.PathLike]] = None, threads: int = 2,
                 strategy: Optional[str] = None, smoothing: float = 0.0,
                 threshold: float = 0.5, min_region_area: Optional[int] = None,
                 model_dir: Optional[Union[str, os.PathLike]] = None,
                 smoothing_gate: float = 2.0, zoom: Optional[float] = None,
                 preset: Optional[str] = None, backend: str = 'auto', device: str = 'auto',
                 **backend_opts):
        check_choice(backend, device)
        if int(threads) < 1:
            raise ValueError(f'threads must be at least 1, got {threads}')
        if strategy is not None and strategy not in STRATEGIES:
            raise ValueError(f'unknown input strategy {strategy!r}; choose one of '
                             f'{", ".join(STRATEGIES)}')
        chosen = presets.choose(preset, model, backend, device)
        self._configure(chosen, model, model_dir, strategy, zoom)
        self._smoothing_gate = smoothing_gate
        #: temporal state per stream (camera): one stream's frames never blend into another's
        self._smoothers: Dict[Hashable, TemporalSmoother] = {
            DEFAULT_STREAM: TemporalSmoother(smoothing, gate=smoothing_gate)}
        self.threshold = threshold
        self.min_region_area = min_region_area
        self.threads = int(threads)
        self._backend_args = (int(threads), backend, device, backend_opts)
        self.backend = self._new_backend()
        self._refiner: Optional[Refiner] = None
        try:
            if preset in (None, presets.AUTO) and model is None:
                self._follow_the_backend(model_dir, strategy, zoom)
            if self.strategy == 'native' and not self.backend.output_stride:
                if strategy is not None or self.preset is None:
                    raise ValueError(f"model {self.model_name!r} cannot use strategy 'native' "
                                     "(its graph does not take rectangular inputs); use 'tiles'")
                self.strategy = 'tiles'  # a preset's 'native' on a backend that cannot reshape
            if self.preset is not None and self.preset.refinement is not None:
                # one backend for every view and the crops: it keeps an input shape each
                self._refiner = Refiner(self.preset.refinement, self.backend)
        except BaseException:
            self.close()
            raise

    def _configure(self, chosen, model, model_dir, strategy, zoom) -> None:
        """Set what the preset (or the model alone) decides; validate it before any load."""
        self.preset = chosen
        if chosen is not None:
            model = chosen.model if model is None else model
        self.spec, self.model_path = lookup.resolve(model, model_dir)
        self.model_name = self.spec.name
        # validate everything that needs no model first, so a bad argument loads nothing
        zooms = chosen.zooms if chosen is not None else (1.0,)
        self.zoom = zooms[0] if zoom is None else float(zoom)
        self._view_zooms = tuple(z / zooms[0] for z in zooms)  # relative to self.zoom
        for view_zoom in self._view_zooms:
            InputPlan(8, 8, 9, 'pad', zoom=self.zoom * view_zoom)
        self.lift_dark = chosen is not None and chosen.lift_dark
        self.presence_rule = chosen.presence if chosen else PresenceRule()
        self.strategy = strategy or (chosen.strategy if chosen else self.spec.strategy)
        self._plans: List[Optional[InputPlan]] = [None] * len(self._view_zooms)

    def _follow_the_backend(self, model_dir, strategy, zoom) -> None:
        """
        Make preset 'auto' the one for the backend actually running, not the one planned.

        'auto' picks the GPU's preset (accurate) when a GPU looks usable; when Keras then fails
        there and LiteRT took over on the CPU, that preset would run at 0.6 s per frame: use the
        CPU's preset (fast) and its model instead, and say so in the backend's selection.
        """
        if self.backend.name.startswith('keras'):
            return
        on_cpu = presets.get(presets.AUTO, 'tflite', 'cpu')
        if self.preset is on_cpu:
            return
        planned, why = self.preset.name, self.backend.selection
        self.backend.close()
        self._configure(on_cpu, None, model_dir, strategy, zoom)
        threads, _, _, options = self._backend_args
        self._backend_args = (threads, 'tflite', 'cpu', options)
        self.backend = self._new_backend()
        self.backend.selection = f'{why}; preset auto: {on_cpu.name}, not {planned} (LiteRT)'

    def _new_backend(self):
        """Load the model: one backend serves every view and the refinement crops."""
        threads, backend, device, options = self._backend_args
        try:
            return create_backend(self.spec, self.model_path, threads, backend, device,
                                  **options)
        except ValueError as error:
            raise ModelFileError(f'cannot load model {self.model_name!r} from '
                                 f'{self.model_path}: {error}') from None

    @property
    def smoothing(self) -> float:
        """EMA weight of the past in [0, 1); 0 = off (every stream's)."""
        return self._smoothers[DEFAULT_STREAM].factor

    @smoothing.setter
    def smoothing(self, value: float) -> None:
        self._smoothers[DEFAULT_STREAM].factor = value  # validates before any stream changes
        for smoother in self._smoothers.values():
            smoother.factor = value

    def _smoother(self, stream: Hashable) -> TemporalSmoother:
        smoother = self._smoothers.get(stream)
        if smoother is None:
            smoother = self._smoothers[stream] = TemporalSmoother(self.smoothing,
                                                                  gate=self._smoothing_gate)
        return smoother

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

    @property
    def presence_rule(self) -> PresenceRule:
        """Return what makes ``person_present`` true (a ``presence.PresenceRule``)."""
        return self._presence_rule

    @presence_rule.setter
    def presence_rule(self, rule: PresenceRule) -> None:
        if not isinstance(rule, PresenceRule):
            raise TypeError(f'presence_rule must be a PresenceRule, got {type(rule).__name__}')
        self._presence_rule = rule

    def reset(self) -> None:
        """Forget temporal state, of every stream (call between unrelated videos)."""
        for smoother in self._smoothers.values():
            smoother.reset()

    def _plan_for(self, height: int, width: int, view: int = 0) -> InputPlan:
        plan, zoom = self._plans[view], self.zoom * self._view_zooms[view]
        if plan is None or plan.shape != (height, width) or plan.strategy != self.strategy \
                or plan.zoom != zoom:
            backend = self.backend
            plan = InputPlan(height, width, backend.input_size, self.strategy, zoom=zoom,
                             fit_side=backend.fit_side if backend.output_stride else None,
                             frame_sized=backend.native_size is None)
            self._plans[view] = plan
        return plan

    @staticmethod
    def _check(rgb: np.ndarray) -> np.ndarray:
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError('expected an H x W x 3 uint8 RGB image, got '
                             f'shape {rgb.shape} dtype {rgb.dtype}')
        return rgb

    def _infer(self, rgb: np.ndarray) -> _Inference:
        """Return one frame's probability before smoothing (see ``_infer_batch``)."""
        return self._infer_batch([rgb])[0]

    def _infer_batch(self, frames: List[np.ndarray]) -> List[_Inference]:
        """
        Return each frame's probability: its views fused, then refined (frames of one size).

        Each view runs one model call for the tiles of all the frames; fusion, the presence
        check and refinement crops run per frame. Timings are per frame: a share of the batch's
        work plus the frame's own.
        """
        batch = StageTimes()
        with batch.measure('preprocess'):
            inputs = [lift_dark(rgb) if self.lift_dark else rgb for rgb in frames]
        by_view = [self._view_probabilities(inputs, view, batch)
                   for view in range(len(self._view_zooms))]
        shared = batch.share(len(frames))
        return [self._fuse_and_refine(model_input, [view[index] for view in by_view], shared)
                for index, model_input in enumerate(inputs)]

    def _view_probabilities(self, inputs: List[np.ndarray], view: int,
                            times: StageTimes) -> List[np.ndarray]:
        """Return each frame's probability seen through one view (one backend call for all)."""
        height, width = inputs[0].shape[:2]
        with times.measure('preprocess'):
            plan = self._plan_for(height, width, view)
            if len(inputs) == 1:
                tiles = plan.tiles(inputs[0])
            else:  # plan.tiles reuses one buffer: copy out each frame's tiles
                tiles = np.concatenate([plan.tiles(rgb).copy() for rgb in inputs])
        with times.measure('model'):
            tile_probability = self.backend.predict(tiles)
        with times.measure('preprocess'):
            return [plan.merge(tile_probability[index * plan.count:(index + 1) * plan.count])
                    for index in range(len(inputs))]

    def _fuse_and_refine(self, model_input: np.ndarray, views: List[np.ndarray],
                         shared: Dict[str, float]) -> _Inference:
        """Fuse one frame's views and refine them where nobody large enough was found."""
        times = StageTimes()
        refiner, scale = self._refiner, self._plans[0].scale
        with times.measure('preprocess'):
            probability = fuse_views(views, scale, self._threshold)
            np.clip(probability, 0.0, 1.0, out=probability)
            found = None
            if refiner is not None and refiner.refinement.only_when_absent:
                found = self._regions(probability)  # refine only while nobody is found
        if refiner is not None and (found is None or
                                    not self._presence_rule.is_evidence(found[1], scale)):
            with times.measure('refine'):
                probability = refiner(model_input, probability, scale)
            found = None  # refined in place: not the map they were found in
        return _Inference(probability, stage_times.add(shared, times.ms), found)

    def _regions(self, probability: np.ndarray) -> Found:
        """Return the mask and regions of ``probability``."""
        mask = mask_from_probability(probability, self._threshold)
        min_area = self.min_region_area
        if min_area is None:
            min_area = max(1, int(round(DEFAULT_MIN_REGION_FRACTION * mask.size)))
        return mask, find_regions(mask, probability, min_area)

    def __call__(self, rgb: np.ndarray, timestamp: Optional[float] = None,
                 stream: Hashable = DEFAULT_STREAM) -> SegmentationResult:
        """
        Segment one H x W x 3 uint8 RGB frame; ``timestamp`` in seconds (optional).

        ``stream`` names the camera (or video) the frame comes from: smoothing blends it only
        with that stream's earlier frames.
        """
        return self._result(self._infer(self._check(rgb)), timestamp, stream)

    def segment_batch(self, frames: Sequence[np.ndarray],
                      timestamps: Optional[Sequence[Optional[float]]] = None,
                      streams: Optional[Sequence[Hashable]] = None
                      ) -> List[SegmentationResult]:
        """
        Segment frames of one size with one backend call per view, in order.

        A backend that batches frames (Keras) runs all their tiles at once, which is what makes
        a GPU's offline throughput (``backend.preferred_batch`` frames per call); LiteRT takes
        them one by one. Smoothing and presence see the frames one after the other, so the
        results equal calling the Segmenter frame by frame. ``streams`` (default: all
        DEFAULT_STREAM, consecutive frames of one video) names each frame's stream, so frames
        of several cameras can share a call. Timings are per frame.
        """
        frames = [self._check(rgb) for rgb in frames]
        timestamps = list(timestamps) if timestamps is not None else [None] * len(frames)
        streams = list(streams) if streams is not None else [DEFAULT_STREAM] * len(frames)
        if not len(timestamps) == len(streams) == len(frames):
            raise ValueError(f'{len(frames)} frames but {len(timestamps)} timestamps and '
                             f'{len(streams)} streams')
        if len(frames) <= 1 or not self.backend.batches_frames:
            return [self(rgb, stamp, stream)
                    for rgb, stamp, stream in zip(frames, timestamps, streams)]
        shapes = {rgb.shape for rgb in frames}
        if len(shapes) != 1:
            raise ValueError(f'a batch must hold frames of one size, got {sorted(shapes)}')
        return [self._result(inference, stamp, stream) for inference, stamp, stream
                in zip(self._infer_batch(frames), timestamps, streams)]

    def _result(self, inference: _Inference, timestamp: Optional[float],
                stream: Hashable) -> SegmentationResult:
        """Smooth, threshold, find regions and decide presence for one frame, in order."""
        times = StageTimes()
        with times.measure('postprocess'):
            smoothed = self._smoother(stream).update(inference.probability, timestamp)
            # the regions found before refinement hold unless smoothing changed the map
            found = inference.found
            mask, regions = (found if found is not None and smoothed is inference.probability
                             else self._regions(smoothed))
            present = self._presence_rule.is_evidence(regions, self._plans[0].scale)
        return SegmentationResult(smoothed, mask, regions,
                                  stage_times.add(inference.timings, times.ms), present)

    def describe(self) -> str:
        """Return what runs, for logs: preset, model, strategy, backend and device."""
        preset = f'preset {self.preset.name}: ' if self.preset is not None else ''
        return (f'{preset}{self.model_name} [{self.strategy}, {self.backend.name} on '
                f'{self.backend.device}]')

    def close(self) -> None:
        """Release the backend (one for every view and the crops)."""
        backend = getattr(self, 'backend', None)
        if backend is not None:
            backend.close()

    def __repr__(self) -> str:
        preset = f'preset={self.preset.name!r}, ' if self.preset is not None else ''
        return (f'Segmenter({preset}model={self.model_name!r}, strategy={self.strategy!r}, '
                f'threads={self.threads}, smoothing={self.smoothing}, '
                f'threshold={self.threshold})')
