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
(``presets``), the mild lift of dark frames (``exposure``), aspect-preserving model inputs for
each whole-frame view (``input_strategy``, ``views``: long side, mirror averaging), fused by
blob size (``view_fusion``), a second model's opinion on large people (``second_opinion``), weak
blobs dropped (``weak_blobs``), temporal smoothing (``smoothing``), thresholding and per-person
regions (``regions``), the per-frame presence decision (``presence``, with BodyPix's keypoints)
and body parts (``body_parts``); the time per stage is ``stage_times``'s. It never imports rclpy.
"""

from dataclasses import dataclass, field
import os
from typing import Callable, Dict, Hashable, List, Optional, Sequence, Tuple, Union

import numpy as np

from person_segmentation.engine import presets, stage_times
from person_segmentation.engine.exposure import lift_dark
from person_segmentation.engine.input_strategy import InputPlan, STRATEGIES
from person_segmentation.engine.presence import keypoints_under, PresenceRule
from person_segmentation.engine.regions import label_regions, PersonRegion
from person_segmentation.engine.rendering import mask_from_probability
from person_segmentation.engine.second_opinion import average_inside, large_blob_boxes
from person_segmentation.engine.smoothing import TemporalSmoother
from person_segmentation.engine.stage_times import StageTimes
from person_segmentation.engine.view_fusion import fuse_views
from person_segmentation.engine.views import mirror_mean, View
from person_segmentation.engine.weak_blobs import drop_weak_blobs
from person_segmentation.models import bodypix, lookup
from person_segmentation.models.backends import check_choice, create_backend
from person_segmentation.models.files import ModelFileError

#: blobs smaller than this share of the frame are ignored as regions (not in the mask)
DEFAULT_MIN_REGION_FRACTION = 1e-4
#: the stream a frame belongs to unless the caller names one (one camera, one video)
DEFAULT_STREAM = 0
#: the mask threshold of a model run plainly
DEFAULT_THRESHOLD = 0.5


@dataclass
class SegmentationResult:
    """What one frame gives: probability, mask, people, presence (and body parts)."""

    probability: np.ndarray  # float32 H x W in [0, 1], at the input resolution
    mask: np.ndarray  # uint8 H x W, 255 = person
    regions: List[PersonRegion]  # one per person blob, largest first
    #: ms per stage: preprocess / model / second_opinion / postprocess / parts
    #: (``stage_times``)
    timings: Dict[str, float] = field(default_factory=dict)
    #: a person is in view: a region with enough model pixels and confidence (or BodyPix
    #: keypoints) (``presence.PresenceRule``); independent of the share of the frame
    person_present: bool = False
    #: uint8 H x W body parts: 0 = not a person (outside ``mask``), 1..24 =
    #: ``body_parts.PART_NAMES[label - 1]``; None unless asked for (``parts``), and for a model
    #: without body parts (DeepLab)
    parts: Optional[np.ndarray] = None
    #: int32 H x W connected components of ``mask``: region ``r`` is ``labels == r.label``
    #: (``regions.label_regions``), so that depth and keypoints need not label the mask again
    labels: Optional[np.ndarray] = None


@dataclass
class _Inference:
    """One frame's probability before smoothing, and what its first view's pass also gave."""

    probability: np.ndarray
    timings: Dict[str, float]
    #: BodyPix grids of the first view's pass (``models.bodypix.PART_LOGITS``,
    #: ``KEYPOINT_SCORES``), for an input of ``input_shape`` that is the frame resized
    grids: Dict[str, np.ndarray] = field(default_factory=dict)
    input_shape: Optional[Tuple[int, int]] = None


class Segmenter:
    """
    Person segmentation of RGB frames with BodyPix or a DeepLab model.

    ``preset`` ('fast', 'accurate' or 'auto': see ``presets``) sets the model, its views, the
    dark-frame lift, the second model, the threshold and the presence rule; with neither
    ``preset`` nor ``model`` the 'auto' preset is used (accurate where a GPU is used, fast on a
    CPU). ``model`` is a registry name or a path to a model file; named alone (or with preset
    'auto') it runs that model plainly (one whole-frame view), named with 'fast' or 'accurate'
    it replaces that preset's model. ``strategy`` None takes the preset's or the model's default
    input strategy. ``smoothing`` is the EMA weight of the past in [0, 1) (0 = off), gated per
    pixel by agreement (``smoothing_gate``, see ``smoothing``); a gap of over a second between
    timestamps resets it. ``threshold`` turns probability into the mask (None: the preset's,
    0.5 for a model run plainly). ``zoom`` scales the model input: a plain model's short side
    to ``zoom`` x its size ('native', 'tiles'), a preset's views' long sides ``zoom`` times.
    ``min_region_area`` pixels (default 0.01 % of the frame) drops specks from regions.
    ``parts``: give every result its body parts (``SegmentationResult.parts``; each call may
    ask with its own ``parts``); BodyPix only. ``threshold``, ``smoothing``, ``zoom``,
    ``parts`` and ``presence_rule`` may be changed between calls.
    Frames of several cameras may share one Segmenter (one model): ``stream`` (any hashable,
    e.g. the camera's index) keeps each camera's temporal smoothing apart.
    ``backend`` 'auto' | 'tflite' | 'keras' and ``device`` 'auto' | 'cpu' | 'gpu' | 'gpu:N':
    'auto' runs Keras on a usable GPU and LiteRT on the CPU otherwise (see
    ``models.backends.choose_backend``; ``backend.selection`` says why). A preset with a second
    model loads it on the same backend and device (``second_backend``).
    """

    def __init__(self, model: Optional[Union[str, os.PathLike]] = None, threads: int = 2,
                 strategy: Optional[str] = None, smoothing: float = 0.0,
                 threshold: Optional[float] = None, min_region_area: Optional[int] = None,
                 model_dir: Optional[Union[str, os.PathLike]] = None,
                 smoothing_gate: float = 2.0, zoom: Optional[float] = None,
                 preset: Optional[str] = None, backend: str = 'auto', device: str = 'auto',
                 parts: bool = False, **backend_opts):
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
        self.parts = bool(parts)
        self.threads = int(threads)
        self._backend_args = (int(threads), backend, device, backend_opts)
        self.second_backend = None
        self._second_plan: Optional[InputPlan] = None
        self._cells: Dict[Tuple[int, int, int, int], Tuple[np.ndarray, np.ndarray]] = {}
        self.backend = self._new_backend(self.spec, self.model_path)
        try:
            if preset in (None, presets.AUTO) and model is None:
                self._follow_the_backend(model_dir, strategy, zoom)
                self.threshold = threshold  # the preset's, if it changed
            if self.strategy == 'native' and not self.backend.output_stride:
                if strategy is not None or self.preset is None:
                    raise ValueError(f"model {self.model_name!r} cannot use strategy 'native' "
                                     "(its graph does not take rectangular inputs); use 'tiles'")
                self.strategy = 'tiles'  # a preset's 'native' on a backend that cannot reshape
            second = self.preset.second_opinion if self.preset is not None else None
            if second is not None:  # one backend per model: views on the first, this its own
                spec, path = lookup.resolve(second.model, model_dir)
                self.second_backend = self._new_backend(spec, path)
                self._second_strategy = backend_strategy(self.second_backend, spec.strategy)
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
        self._views: Tuple[View, ...] = chosen.views if chosen is not None else (View(),)
        self.zoom = 1.0 if zoom is None else float(zoom)
        InputPlan(8, 8, 9, 'pad', zoom=self.zoom)
        self.lift_dark = chosen is not None and chosen.lift_dark
        self.default_threshold = chosen.threshold if chosen else DEFAULT_THRESHOLD
        self.default_presence_rule = chosen.presence if chosen else presets.plain_presence(
            self.spec)
        self.presence_rule = self.default_presence_rule
        self.strategy = strategy or (chosen.strategy if chosen else self.spec.strategy)
        self._plans: List[Optional[InputPlan]] = [None] * len(self._views)

    def _follow_the_backend(self, model_dir, strategy, zoom) -> None:
        """
        Make preset 'auto' the one for the backend actually running, not the one planned.

        'auto' picks the GPU's preset (accurate) when a GPU looks usable; when Keras then fails
        there and LiteRT took over on the CPU, that preset would run at several frames a
        second: use the CPU's preset (fast) instead, and say so in the backend's selection.
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
        self.backend = self._new_backend(self.spec, self.model_path)
        self.backend.selection = f'{why}; preset auto: {on_cpu.name}, not {planned} (LiteRT)'

    def _new_backend(self, spec, path):
        """Load a model: one backend per model serves every view of it."""
        threads, backend, device, options = self._backend_args
        try:
            return create_backend(spec, path, threads, backend, device, **options)
        except ValueError as error:
            raise ModelFileError(f'cannot load model {spec.name!r} from {path}: {error}') \
                from None

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
        """Probability at or above which a pixel is person (set None: the preset's)."""
        return self._threshold

    @threshold.setter
    def threshold(self, value: Optional[float]) -> None:
        value = self.default_threshold if value is None else float(value)
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

    @property
    def has_parts(self) -> bool:
        """Tell whether results can have body parts (BodyPix, one whole-frame input)."""
        return self.backend.has_parts

    def reset(self) -> None:
        """Forget temporal state, of every stream (call between unrelated videos)."""
        for smoother in self._smoothers.values():
            smoother.reset()

    def _plan_for(self, height: int, width: int, view: int = 0) -> InputPlan:
        plan, long_side = self._plans[view], self._views[view].long_side
        long_side = None if long_side is None else long_side * self.zoom
        zoom = self.zoom if long_side is None else 1.0
        # a plan given a long side works out its own zoom ('tiles'): compare what was asked
        if plan is None or plan.shape != (height, width) or plan.strategy != self.strategy \
                or plan.long_side != long_side or (long_side is None and plan.zoom != zoom):
            plan = self._plans[view] = self._plan(self.backend, height, width, self.strategy,
                                                  zoom, long_side)
        return plan

    @staticmethod
    def _plan(backend, height, width, strategy, zoom=1.0, long_side=None) -> InputPlan:
        return InputPlan(height, width, backend.input_size, strategy, zoom=zoom,
                         fit_side=backend.fit_side if backend.output_stride else None,
                         frame_sized=backend.native_size is None, long_side=long_side)

    @staticmethod
    def _check(rgb: np.ndarray) -> np.ndarray:
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError('expected an H x W x 3 uint8 RGB image, got '
                             f'shape {rgb.shape} dtype {rgb.dtype}')
        return rgb

    def _grids_wanted(self, parts: bool) -> Tuple[str, ...]:
        """Return the BodyPix grids the first view's pass must give (parts, keypoints)."""
        wanted = []
        if parts and self.backend.has_parts:
            wanted.append(bodypix.PART_LOGITS)
        if self._presence_rule.min_keypoints and self.backend.has_keypoints:
            wanted.append(bodypix.KEYPOINT_SCORES)
        return tuple(wanted)

    def _infer_batch(self, frames: List[np.ndarray], parts: bool) -> List[_Inference]:
        """
        Return each frame's probability: its views fused, the second opinion, weak blobs out.

        Each view runs one model call for the inputs of all the frames (and their mirrors);
        the second model one call for the frames that have large people; fusion and the rest
        run per frame. Timings are per frame: a share of the batch's work plus the frame's own.
        """
        batch = StageTimes()
        with batch.measure('preprocess'):
            inputs = [lift_dark(rgb) if self.lift_dark else rgb for rgb in frames]
        wanted = self._grids_wanted(parts)
        by_view, grids, input_shape = [], None, None
        for view in range(len(self._views)):
            probabilities, found, shape = self._view_probabilities(
                inputs, view, batch, wanted if view == 0 else ())
            by_view.append(probabilities)
            if view == 0:
                grids, input_shape = found, shape
        shared = batch.share(len(frames))
        inferences = []
        for index in range(len(frames)):
            times = StageTimes()
            with times.measure('preprocess'):
                probability = fuse_views([view[index] for view in by_view],
                                         self._plans[0].scale, self._threshold)
                np.clip(probability, 0.0, 1.0, out=probability)
            inferences.append(_Inference(probability, stage_times.add(shared, times.ms),
                                         grids[index], input_shape))
        if self.second_backend is not None:
            self._second_opinions(frames, inferences)
        minimum = self.preset.min_blob_confidence if self.preset is not None else None
        if minimum is not None:
            for inference in inferences:
                times = StageTimes()
                with times.measure('postprocess'):
                    drop_weak_blobs(inference.probability, self._threshold, minimum)
                inference.timings = stage_times.add(inference.timings, times.ms)
        return inferences

    def _view_probabilities(self, inputs: List[np.ndarray], view: int, times: StageTimes,
                            wanted: Tuple[str, ...]):
        """
        Return each frame's probability through one view (one backend call for all).

        Also each frame's ``wanted`` grids and the input shape they belong to (else {}, None).
        """
        height, width = inputs[0].shape[:2]
        mirrored = self._views[view].mirrored
        with times.measure('preprocess'):
            plan = self._plan_for(height, width, view)
            if len(inputs) == 1 and not mirrored:
                tiles = plan.tiles(inputs[0])
            else:  # plan.tiles reuses one buffer: copy out each frame's tiles
                tiles = np.concatenate([plan.tiles(rgb).copy() for rgb in inputs])
            if mirrored:
                tiles = np.concatenate([tiles, tiles[:, :, ::-1]])
            input_shape = plan.frame_input_shape if wanted else None
        with times.measure('model'):
            if input_shape is not None:
                probability, found = self.backend.predict_grids(tiles, wanted)
            else:
                probability, found = self.backend.predict(tiles), {}
        with times.measure('preprocess'):
            count = len(inputs) * plan.count
            if mirrored:
                probability = mirror_mean(probability[:count], probability[count:])
            merged = [plan.merge(probability[index * plan.count:(index + 1) * plan.count])
                      for index in range(len(inputs))]
        grids = [{name: grid[index] for name, grid in found.items()}
                 for index in range(len(inputs))]
        return merged, grids, input_shape

    def _second_opinions(self, frames: List[np.ndarray], inferences: List[_Inference]) -> None:
        """Average the second model in around each frame's large blobs (one call for all)."""
        rule, backend = self.preset.second_opinion, self.second_backend
        times = StageTimes()
        with times.measure('second_opinion'):
            boxes = [large_blob_boxes(inference.probability, self._threshold, rule)
                     for inference in inferences]
            asking = [index for index, found in enumerate(boxes) if found]
            if asking:
                height, width = frames[0].shape[:2]
                plan = self._second_plan
                if plan is None or plan.shape != (height, width):
                    plan = self._second_plan = self._plan(backend, height, width,
                                                          self._second_strategy)
                tiles = np.concatenate([plan.tiles(frames[index]).copy() for index in asking])
                probability = backend.predict(tiles)
                for place, index in enumerate(asking):
                    other = plan.merge(probability[place * plan.count:(place + 1) * plan.count])
                    average_inside(inferences[index].probability, other, boxes[index])
        # the frames the model ran for share its cost; with none, the look for boxes: all
        paying = asking or range(len(frames))
        share = {stage: ms / len(paying) for stage, ms in times.ms.items()}
        for index in paying:
            inferences[index].timings = stage_times.add(inferences[index].timings, share)

    def _regions(self, probability: np.ndarray):
        """Return the mask of ``probability``, its regions and their label image."""
        mask = mask_from_probability(probability, self._threshold)
        min_area = self.min_region_area
        if min_area is None:
            min_area = max(1, int(round(DEFAULT_MIN_REGION_FRACTION * mask.size)))
        regions, labels = label_regions(mask, probability, min_area)
        return mask, regions, labels

    def _keypoint_counter(self, inference: _Inference, labels: np.ndarray,
                          regions: List[PersonRegion]) -> Optional[Callable[[int], int]]:
        """Return ``count(i)``: keypoints under ``regions[i]`` (None: no keypoints here)."""
        scores = inference.grids.get(bodypix.KEYPOINT_SCORES)
        if scores is None:
            return None
        key = labels.shape + tuple(inference.input_shape)
        cells = self._cells.get(key)
        if cells is None:
            cells = self._cells[key] = (
                bodypix.nearest_cells(labels.shape[0], inference.input_shape[0]),
                bodypix.nearest_cells(labels.shape[1], inference.input_shape[1]))
        rows, cols = cells
        min_score = self._presence_rule.keypoint_score

        def count(index: int) -> int:
            x, y, w, h = regions[index].bbox
            region = labels[y:y + h, x:x + w] == regions[index].label
            return keypoints_under(region, rows[y:y + h], cols[x:x + w], scores, min_score)
        return count

    def __call__(self, rgb: np.ndarray, timestamp: Optional[float] = None,
                 stream: Hashable = DEFAULT_STREAM,
                 parts: Optional[bool] = None) -> SegmentationResult:
        """
        Segment one H x W x 3 uint8 RGB frame; ``timestamp`` in seconds (optional).

        ``stream`` names the camera (or video) the frame comes from: smoothing blends it only
        with that stream's earlier frames. ``parts`` (None: the Segmenter's ``parts``) asks
        for the body parts.
        """
        parts = self.parts if parts is None else bool(parts)
        return self._result(self._infer_batch([self._check(rgb)], parts)[0], timestamp, stream,
                            parts)

    def segment_batch(self, frames: Sequence[np.ndarray],
                      timestamps: Optional[Sequence[Optional[float]]] = None,
                      streams: Optional[Sequence[Hashable]] = None,
                      parts: Optional[bool] = None) -> List[SegmentationResult]:
        """
        Segment frames of one size with one backend call per view, in order.

        A backend that batches frames (Keras) runs all their inputs at once, which is what makes
        a GPU's offline throughput (``backend.preferred_batch`` frames per call); LiteRT takes
        them one by one. Smoothing and presence see the frames one after the other, so the
        results equal calling the Segmenter frame by frame. ``streams`` (default: all
        DEFAULT_STREAM, consecutive frames of one video) names each frame's stream, so frames
        of several cameras can share a call. ``parts`` as for a call, for every frame. Timings
        are per frame.
        """
        frames = [self._check(rgb) for rgb in frames]
        timestamps = list(timestamps) if timestamps is not None else [None] * len(frames)
        streams = list(streams) if streams is not None else [DEFAULT_STREAM] * len(frames)
        if not len(timestamps) == len(streams) == len(frames):
            raise ValueError(f'{len(frames)} frames but {len(timestamps)} timestamps and '
                             f'{len(streams)} streams')
        if len(frames) <= 1 or not self.backend.batches_frames:
            return [self(rgb, stamp, stream, parts)
                    for rgb, stamp, stream in zip(frames, timestamps, streams)]
        shapes = {rgb.shape for rgb in frames}
        if len(shapes) != 1:
            raise ValueError(f'a batch must hold frames of one size, got {sorted(shapes)}')
        parts = self.parts if parts is None else bool(parts)
        return [self._result(inference, stamp, stream, parts) for inference, stamp, stream
                in zip(self._infer_batch(frames, parts), timestamps, streams)]

    def _result(self, inference: _Inference, timestamp: Optional[float], stream: Hashable,
                parts: bool) -> SegmentationResult:
        """Smooth, threshold, find regions, decide presence (and decode parts) for one frame."""
        times = StageTimes()
        with times.measure('postprocess'):
            smoothed = self._smoother(stream).update(inference.probability, timestamp)
            mask, regions, labels = self._regions(smoothed)
            present = self._presence_rule.is_evidence(
                regions, self._plans[0].scale, self._keypoint_counter(inference, labels, regions))
        part_labels = None
        part_logits = inference.grids.get(bodypix.PART_LOGITS)
        if parts and part_logits is not None:
            with times.measure('parts'):
                part_labels = bodypix.frame_part_labels(part_logits, inference.input_shape,
                                                        mask > 0)
        return SegmentationResult(smoothed, mask, regions,
                                  stage_times.add(inference.timings, times.ms), present,
                                  part_labels, labels)

    def describe(self) -> str:
        """Return what runs, for logs: preset, model(s), strategy, backend and device."""
        preset = f'preset {self.preset.name}: ' if self.preset is not None else ''
        second = (f' + {self.preset.second_opinion.model}'
                  if self.second_backend is not None else '')
        return (f'{preset}{self.model_name}{second} [{self.strategy}, {self.backend.name} on '
                f'{self.backend.device}]')

    def close(self) -> None:
        """Release the backends (the views' model and the second model)."""
        for backend in (getattr(self, 'backend', None), getattr(self, 'second_backend', None)):
            if backend is not None:
                backend.close()

    def __repr__(self) -> str:
        preset = f'preset={self.preset.name!r}, ' if self.preset is not None else ''
        return (f'Segmenter({preset}model={self.model_name!r}, strategy={self.strategy!r}, '
                f'threads={self.threads}, smoothing={self.smoothing}, '
                f'threshold={self.threshold})')


def backend_strategy(backend, strategy: str) -> str:
    """Return ``strategy``, or 'tiles' where it is 'native' and the backend cannot reshape."""
    return 'tiles' if strategy == 'native' and not backend.output_stride else strategy
