# Copyright (c) vpd_mm contributors. All rights reserved.
"""One video through every stage: decode -> detect -> track -> athlete -> pose -> crops -> flow.

Two passes over the video bound the memory to one chunk of frames (plus the detections):

1. decode (chunks) + detect people -> track -> pick the athlete track;
2. decode again -> 2D pose on the athlete box of every frame -> crop boxes -> crops -> flow
   -> JPEG files; optionally the athlete's segmentation mask -> ``mask_%05d.png`` crops.

**Frames without an athlete box** (long gaps the athlete selector leaves missing, frames before
the athlete first appears): their keypoints and scores are NaN (never confident, so the
distillation dataset never trains on them) and ``athlete_box`` is NaN, but they still get a crop
and a flow pair, cut with the nearest earlier athlete box (the first one for frames before it;
:func:`vpd_mm.structures.fill_missing_boxes`), so ``crop_box`` is finite on every frame and every
frame has ``img_``, ``flow_x_`` and ``flow_y_`` files (the layout of ``docs/data_layout.md``;
inference and feature extraction run on every frame).
"""
import math
import os
import os.path as osp
import time
from collections import defaultdict
from typing import Callable, Dict, Iterator, List, Optional, Tuple, Union

import cv2
import numpy as np

from vpd_mm.codecs import FlowQuantizer, pose_confidence
from vpd_mm.structures.crops import athlete_crop_boxes, cut_crop, fill_missing_boxes
from .masks import MASK_TMPL, mask_to_crop, write_mask_png
from .readers.base import actions_on_prepared_frames
from .stages.flow import BaseFlowEstimator
from .stages.segmentation import MMDetAthleteSegmenter  # noqa: F401 (registers the stage)
from .stages.video import BACKENDS, VideoReadError, check_sampling, iter_video_chunks, probe_video

#: Why a video is skipped (the ``reason`` of a skip record).
SKIP_REASONS = ('unreadable', 'no person', 'track too short', 'no confident pose')


class SkipVideo(Exception):
    """A video that cannot be prepared for a known reason (one of :data:`SKIP_REASONS`).

    Args:
        reason (str): The reason.
        message (str): Details (names the file).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f'{reason}: {message}')
        self.reason, self.message = reason, message


class PrepareOptionError(ValueError):
    """An option of the preparation (a config key such as ``fps``, or a command-line argument
    such as ``--shard``) whose value cannot work; the message names the key and the value."""


def _is_number(value) -> bool:
    """A real number, not a bool (nor a string)."""
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, (int, float, np.integer, np.floating))


def _is_integer(value) -> bool:
    """An integer, or a float with an integral value (``64.0``)."""
    return _is_number(value) and math.isfinite(value) and float(value).is_integer()


def check_options(fps: Optional[float] = None,
                  sampling: Union[None, str, dict] = None,
                  crop_size: int = 128,
                  crop_pad: float = 0.1,
                  chunk_size: int = 64,
                  video_backend: str = 'decord',
                  allow_truncated: bool = False,
                  conf_thr: float = 0.5,
                  flow_bound: float = 20.0,
                  jpeg_quality: int = 90) -> None:
    """Refuse option values of :class:`VideoPreparer` that would make every video fail.

    Checked: ``fps`` None or a finite number > 0; ``sampling`` (:func:`check_sampling`, its
    numbers finite); ``crop_size`` and ``chunk_size`` integers >= 1; ``crop_pad`` a finite number
    > -0.5 (a crop of positive size); ``video_backend`` one of
    :data:`~vpd_mm.preparation.stages.video.BACKENDS`; ``allow_truncated`` a bool; ``conf_thr``
    a finite number; ``flow_bound`` a finite number > 0; ``jpeg_quality`` an integer in
    ``[0, 100]``. Integers may be given as integral floats (``64.0``), never as strings or bools.

    The arguments are those of :class:`VideoPreparer`.

    Raises:
        PrepareOptionError: ``'<key>=<value>: <what it must be>'`` for the first bad value.
    """

    def fail(key: str, value, rule: str) -> None:
        raise PrepareOptionError(f'{key}={value!r}: {rule}')

    if fps is not None and not (_is_number(fps) and math.isfinite(fps) and fps > 0):
        fail('fps', fps, 'the prepared frame rate must be a finite number > 0 (or None: the '
             'source rate)')
    try:
        check_sampling(sampling)
    except (TypeError, ValueError) as e:
        fail('sampling', sampling, str(e))
    for key, value in (('crop_size', crop_size), ('chunk_size', chunk_size)):
        if not (_is_integer(value) and value >= 1):
            fail(key, value, 'must be an integer >= 1')
    if not (_is_number(crop_pad) and math.isfinite(crop_pad) and crop_pad > -0.5):
        fail('crop_pad', crop_pad,
             'the padding (a fraction of the crop side, on each side) must be a finite number '
             '> -0.5')
    if video_backend not in BACKENDS:
        fail('video_backend', video_backend, f'must be one of {BACKENDS}')
    if not isinstance(allow_truncated, (bool, np.bool_)):
        fail('allow_truncated', allow_truncated, 'must be True or False')
    if not (_is_number(conf_thr) and math.isfinite(conf_thr)):
        fail('conf_thr', conf_thr, 'must be a finite number (a mean joint score)')
    if not (_is_number(flow_bound) and math.isfinite(flow_bound) and flow_bound > 0):
        fail('flow_bound', flow_bound, 'the flow quantisation bound must be a finite number > 0 '
             '(pixels)')
    if not (_is_integer(jpeg_quality) and 0 <= jpeg_quality <= 100):
        fail('jpeg_quality', jpeg_quality, 'must be an integer in [0, 100]')


class StageTimer:
    """Seconds and frames spent per stage (for progress bars, summaries and benchmarks)."""

    def __init__(self) -> None:
        self.seconds: Dict[str, float] = defaultdict(float)
        self.frames: Dict[str, int] = defaultdict(int)

    def add(self, stage: str, seconds: float, frames: int) -> None:
        self.seconds[stage] += seconds
        self.frames[stage] += int(frames)

    def run(self, stage: str, frames: int, fn: Callable, *args, **kwargs):
        """Call ``fn(*args, **kwargs)`` and book its time on ``stage``."""
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        self.add(stage, time.perf_counter() - t0, frames)
        return out

    def timed_iter(self, stage: str, it: Iterator[Tuple[np.ndarray, np.ndarray]]):
        """Iterate over ``(indices, frames)`` chunks, booking the time of each ``next``."""
        while True:
            t0 = time.perf_counter()
            try:
                item = next(it)
            except StopIteration:
                self.add(stage, time.perf_counter() - t0, 0)
                return
            self.add(stage, time.perf_counter() - t0, len(item[0]))
            yield item

    def fps(self) -> Dict[str, float]:
        """Frames per second of each stage."""
        return {k: self.frames[k] / s if s > 0 else float('inf') for k, s in self.seconds.items()}

    def summary(self) -> Dict[str, dict]:
        """``{stage: {seconds, frames, frames_per_s}}``."""
        return {
            k: dict(
                seconds=round(self.seconds[k], 3),
                frames=self.frames[k],
                frames_per_s=round(self.frames[k] / self.seconds[k], 2)
                if self.seconds[k] > 0 else None)
            for k in self.seconds
        }


class VideoPreparer:
    """Runs the stages on one video and writes its crops and flow.

    Args:
        detector (callable): ``detector(frames [n, H, W, 3], video=record, frame_indices=idx)
            -> [n x [N_i, 5]]`` (``idx`` [n]: the chunk's source frame indices, which simulated
            components use to read ground truth).
        tracker (callable): ``tracker(detections, img_shape=(H, W), video=record) ->
            {track id: [T, 5]}``.
        athlete (callable): ``athlete(tracks, img_shape, video=record) -> AthleteTrack``
            (``boxes`` [T, 4] NaN where missing, ``scores`` [T], ``interpolated`` [T]); raises an
            error whose ``reason`` is ``'no person'`` or ``'track too short'``.
        teacher (callable): ``teacher(frames, boxes [n, 4], video=record, frame_indices=idx)
            -> (keypoints
            [n, 17, 2], scores [n, 17])``.
        flow (BaseFlowEstimator): Flow estimator (``batch`` of crop pairs).
        segmenter (callable, optional): ``segmenter(frames, boxes [n, 4], video=record,
            frame_indices=idx) -> [n x (bool [H, W] | None)]``, the athlete's mask per frame
            (e.g. :class:`MMDetAthleteSegmenter`); each mask is cut with the frame's crop box
            into ``mask_{t:05d}.png`` (frames without a mask, or whose mask misses the crop,
            get no file). None: no masks (the training noise then uses the athlete box).
            Defaults to None.
        fps (float, optional): Prepared frame rate; None keeps the source rate.
        sampling (None | str | dict): How ``fps`` picks source frames
            (:func:`~vpd_mm.preparation.stages.video.check_sampling`): None / ``'round'``, or
            ``dict(type='accumulator', increment_offset=..., start_balance=...)``. Defaults to
            None.
        crop_size (int): Crop side. Defaults to 128.
        crop_pad (float): Crop padding on each side, fraction of the side. Defaults to 0.1.
        chunk_size (int): Frames decoded at a time. Defaults to 64.
        video_backend (str): ``'decord'`` or ``'opencv'``. Defaults to ``'decord'``.
        allow_truncated (bool): Keep the frames before the damage of a truncated video instead
            of skipping it. Defaults to False.
        conf_thr (float): A video without a frame of mean joint score >= ``conf_thr`` is
            skipped (``'no confident pose'``). Defaults to 0.5.
        flow_bound (float): Flow quantisation bound in pixels. Defaults to 20.
        jpeg_quality (int): JPEG quality of crops and flow. Defaults to 90.
        timer (StageTimer, optional): Collects the stage timings. Defaults to a new one.

    Raises:
        PrepareOptionError: an option value that would make every video fail
            (:func:`check_options`).
    """

    def __init__(self,
                 detector: Callable,
                 tracker: Callable,
                 athlete: Callable,
                 teacher: Callable,
                 flow: BaseFlowEstimator,
                 segmenter: Optional[Callable] = None,
                 fps: Optional[float] = None,
                 sampling: Union[None, str, dict] = None,
                 crop_size: int = 128,
                 crop_pad: float = 0.1,
                 chunk_size: int = 64,
                 video_backend: str = 'decord',
                 allow_truncated: bool = False,
                 conf_thr: float = 0.5,
                 flow_bound: float = 20.0,
                 jpeg_quality: int = 90,
                 timer: Optional[StageTimer] = None) -> None:
        # a bad option fails here, not in every video
        check_options(
            fps=fps,
            sampling=sampling,
            crop_size=crop_size,
            crop_pad=crop_pad,
            chunk_size=chunk_size,
            video_backend=video_backend,
            allow_truncated=allow_truncated,
            conf_thr=conf_thr,
            flow_bound=flow_bound,
            jpeg_quality=jpeg_quality)
        self.detector, self.tracker, self.athlete = detector, tracker, athlete
        self.teacher, self.flow, self.segmenter = teacher, flow, segmenter
        self.fps = None if fps is None else float(fps)
        self.sampling = sampling
        self.crop_size, self.crop_pad = int(crop_size), float(crop_pad)
        self.chunk_size, self.video_backend = int(chunk_size), video_backend
        self.allow_truncated, self.conf_thr = bool(allow_truncated), float(conf_thr)
        self.quantizer = FlowQuantizer(flow_bound)
        self.jpeg_params = [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)]
        self.timer = timer if timer is not None else StageTimer()

    def check_flow(self) -> None:
        """Run the flow estimator once on two blank crops of ``crop_size``.

        Some estimators refuse small images (OpenCV's DIS flow needs a side of at least 12
        pixels); calling this before a run turns that into one error instead of a failure of
        every video.

        Raises:
            PrepareOptionError: the estimator fails on crops of ``crop_size``; the message names
                ``crop_size``, the estimator and its error.
        """
        size = self.crop_size
        blank = np.zeros((1, size, size, 3), np.uint8)
        try:
            flows = np.asarray(self.flow.batch(blank, blank))
        except Exception as e:  # the estimator's own error, e.g. cv2.error
            msg = ' '.join(str(e).split())
            raise PrepareOptionError(
                f'crop_size={size}: the flow estimator {type(self.flow).__name__} cannot compute '
                f'flow on {size}x{size} crops ({type(e).__name__}: {msg:.300})') from None
        if flows.shape != (1, size, size, 2):
            raise PrepareOptionError(
                f'crop_size={size}: the flow estimator {type(self.flow).__name__} returned '
                f'flow of shape {list(flows.shape)} for one {size}x{size} crop pair, expected '
                f'[1, {size}, {size}, 2]')

    def _chunks(self, path: str):
        return self.timer.timed_iter(
            'decode',
            iter_video_chunks(
                path,
                fps=self.fps,
                sampling=self.sampling,
                chunk_size=self.chunk_size,
                backend=self.video_backend,
                allow_truncated=self.allow_truncated))

    def _pass1(self, record: dict) -> Tuple[np.ndarray, List[np.ndarray], Tuple[int, int]]:
        """Decode + detect. Returns source indices [T], detections, (H, W)."""
        indices, dets, shape = [], [], None
        for idx, frames in self._chunks(record['path']):
            shape = frames.shape[1:3]
            indices.append(idx)
            dets += self.timer.run('detect', len(idx), self.detector, frames, video=record,
                                   frame_indices=idx)
        if not indices:
            raise SkipVideo('unreadable', f'{record["path"]}: no frame decoded')
        return np.concatenate(indices), dets, (int(shape[0]), int(shape[1]))

    def _write(self, out_dir: str, t: int, crop: np.ndarray, q: np.ndarray) -> None:
        name = f'{t + 1:05d}.jpg'
        images = (('img_', crop[..., ::-1]), ('flow_x_', q[..., 0]), ('flow_y_', q[..., 1]))
        for prefix, img in images:  # crops RGB -> BGR for cv2
            path = osp.join(out_dir, prefix + name)
            if not cv2.imwrite(path, np.ascontiguousarray(img), self.jpeg_params):
                raise OSError(f'could not write {path}')

    def _write_masks(self, out_dir: str, t: int, frames: np.ndarray, boxes: np.ndarray,
                     crop_boxes: np.ndarray, record: dict, idx: np.ndarray) -> int:
        """Segment the athlete of a chunk and write its mask crops; returns how many."""
        n, (h, w) = len(frames), frames.shape[1:3]
        masks = self.timer.run('segment', n, self.segmenter, frames, boxes, video=record,
                               frame_indices=idx)
        if len(masks) != n:
            raise ValueError(f'the segmenter returned {len(masks)} masks for {n} frames')
        t0 = time.perf_counter()
        written = 0
        for i, mask in enumerate(masks):
            if mask is None:
                continue
            if np.shape(mask) != (h, w):
                raise ValueError(f'the segmenter returned a mask of shape {list(np.shape(mask))} '
                                 f'for frames of [{h}, {w}]')
            crop = mask_to_crop(mask, crop_boxes[i], self.crop_size)  # [S, S] uint8
            if crop.any():
                write_mask_png(osp.join(out_dir, MASK_TMPL.format(t + i + 1)), crop)
                written += 1
        self.timer.add('mask', time.perf_counter() - t0, n)
        return written

    def __call__(self, record: dict, out_dir: str) -> dict:
        """Prepare one video.

        Args:
            record (dict): The reader's record (``video``, ``path``, ``split``, ``label``,
                ``actions``); passed to every stage as ``video=``.
            out_dir (str): Existing empty folder for ``img_/flow_x_/flow_y_%05d.jpg`` (and
                ``mask_%05d.png`` with a segmenter).

        Returns:
            dict: ``annotation`` (the PoseDataset dict of ``docs/data_layout.md``), ``actions``
            and ``dropped_actions`` (:func:`actions_on_prepared_frames`), ``info`` (``fps``,
            ``num_frames``, ``src_fps``, ``src_num_frames``, ``split``, frame counts; with a
            segmenter ``mask_frames``).

        Raises:
            SkipVideo: unreadable video, no athlete, or no confident pose.
        """
        path = record['path']
        try:
            info = probe_video(path, backend=self.video_backend)
            src_idx, dets, (h, w) = self._pass1(record)
        except VideoReadError as e:
            raise SkipVideo('unreadable', str(e)) from e
        num = len(src_idx)
        tracks = self.timer.run('track', num, self.tracker, dets, img_shape=(h, w), video=record)
        try:
            ath = self.timer.run('athlete', num, self.athlete, tracks, (h, w), video=record)
        except Exception as e:  # the selector's NoAthleteError carries the reason
            reason = getattr(e, 'reason', None)
            if reason in SKIP_REASONS:
                raise SkipVideo(reason, f'{path}: {e}') from e
            raise
        boxes = np.array(ath.boxes, dtype=np.float32).reshape(num, 4)  # [T, 4], NaN missing
        with np.errstate(invalid='ignore'):  # degenerate boxes (a detector's glitch): missing
            empty = ~((boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1]))
        boxes[empty] = np.nan
        if empty.all():
            raise SkipVideo('no person', f'{path}: the athlete track has no box of positive size')
        crop_boxes = athlete_crop_boxes(fill_missing_boxes(boxes), pad=self.crop_pad)  # [T, 4]

        keypoints = np.full((num, 17, 2), np.nan, np.float32)
        scores = np.zeros((num, 17), np.float32)
        prev_frame, t = None, 0
        mask_frames = 0
        size = self.crop_size
        try:
            for idx, frames in self._chunks(path):
                n = len(idx)
                if t + n > num or not np.array_equal(idx, src_idx[t:t + n]):
                    raise VideoReadError(f'{path}: the second decoding pass differs from the '
                                         'first (non-deterministic decoder)')
                kp, sc = self.timer.run('pose', n, self.teacher, frames, boxes[t:t + n],
                                        video=record, frame_indices=idx)
                keypoints[t:t + n], scores[t:t + n] = kp, sc
                t0 = time.perf_counter()
                cb = crop_boxes[t:t + n]
                crops = np.stack([cut_crop(f, b, size) for f, b in zip(frames, cb)])
                # frame i - 1 cut with frame i's box; the video's frame 0 has zero flow
                first = 1 if prev_frame is None else 0
                prevs = ([prev_frame] + list(frames[:-1]))[first:]
                prev_crops = np.zeros((n - first, size, size, 3), np.uint8)  # [n - first, S, S, 3]
                for i, (p, b) in enumerate(zip(prevs, cb[first:])):
                    prev_crops[i] = cut_crop(p, b, size)
                self.timer.add('crop', time.perf_counter() - t0, n)
                flows = np.zeros((n, size, size, 2), np.float32)
                flows[first:] = self.timer.run('flow', n - first, self.flow.batch, prev_crops,
                                               crops[first:])
                t0 = time.perf_counter()
                q = self.quantizer.encode(flows)  # [n, S, S, 2] uint8
                for i in range(n):
                    self._write(out_dir, t + i, crops[i], q[i])
                self.timer.add('write', time.perf_counter() - t0, n)
                if self.segmenter is not None:
                    mask_frames += self._write_masks(out_dir, t, frames, boxes[t:t + n], cb,
                                                     record, idx)
                prev_frame, t = frames[-1], t + n
        except VideoReadError as e:
            raise SkipVideo('unreadable', str(e)) from e
        if t != num:
            raise SkipVideo('unreadable', f'{path}: the second decoding pass gave {t} frames, '
                            f'the first {num}')

        # [T], -inf without a pose or with a joint far outside the frame
        conf = pose_confidence(scores, keypoints, img_shape=(h, w))
        num_conf = int((conf >= self.conf_thr).sum())
        if num_conf == 0:
            raise SkipVideo(
                'no confident pose',
                f'{path}: no frame with a mean joint score >= {self.conf_thr} ({num} frames, '
                f'{int(np.isfinite(boxes).all(1).sum())} with an athlete box)')
        src_fps = float(info.fps)
        fps = self.fps if self.fps is not None else src_fps
        actions, dropped = actions_on_prepared_frames(record.get('actions', []), src_idx,
                                                      src_fps)
        annotation = dict(
            frame_dir=record['video'],
            total_frames=num,
            img_shape=(h, w),
            original_shape=(h, w),
            label=int(record.get('label', -1)),
            keypoint=keypoints[None],  # [1, T, 17, 2]
            keypoint_score=scores[None],  # [1, T, 17]
            athlete_box=boxes,  # [T, 4]
            crop_box=crop_boxes.astype(np.float32),  # [T, 4]
            athlete_score=np.asarray(ath.scores, np.float32).reshape(num),  # [T]
            athlete_interpolated=np.asarray(ath.interpolated, bool).reshape(num),  # [T]
            fps=fps,
            source_frame_idx=src_idx.astype(np.int64))  # [T]
        info = dict(
            fps=fps,
            num_frames=num,
            src_fps=src_fps,
            src_num_frames=int(info.num_frames),
            split=record.get('split', 'train'),
            athlete_frames=int(np.isfinite(boxes).all(1).sum()),
            interpolated_frames=int(np.asarray(ath.interpolated, bool).sum()),
            confident_frames=num_conf)
        if self.segmenter is not None:
            info['mask_frames'] = mask_frames
        return dict(annotation=annotation, actions=actions, dropped_actions=dropped, info=info)


def make_frame_dir(path: str) -> None:
    """An empty folder at ``path`` (what was there is removed)."""
    import shutil
    if osp.lexists(path):
        shutil.rmtree(path)
    os.makedirs(path)
