# Copyright (c) vpd_mm contributors. All rights reserved.
"""One video through the data preparation's stages (``demo/vpd_demo.py``, the picture tools).

:func:`prepare_single_video` runs a preparation config's stages (``build_preparer``: detector,
tracker, athlete selector, teacher, crops, flow) on one video, decoded chunk by chunk in two
passes (:class:`~vpd_mm.preparation.VideoPreparer`), and writes it in the layout of
``docs/data_layout.md``; :func:`track_video` runs the first pass only (detection, tracking,
athlete selection) and writes nothing; :func:`decode_frames` decodes a few prepared frames
again. Errors about the input raise :class:`VideoInferenceError` naming the file.
"""
import copy
import os
import os.path as osp
from typing import Dict, Optional, Sequence, Union

import numpy as np
from mmengine.config import Config
from tqdm import tqdm

from vpd_mm.datasets.pose_annotations import dump_pose_annotations
from vpd_mm.preparation.cli import set_stage_device
from vpd_mm.utils.paths import check_path_component, join_under, remove_under

ConfigLike = Union[str, Config]


class VideoInferenceError(RuntimeError):
    """A video, checkpoint or gallery the inference cannot use; the message names the file."""


def load_prep_config(config: ConfigLike,
                     device: Optional[str] = None,
                     cfg_options: Optional[dict] = None) -> Config:
    """A preparation config (``configs/preparation/*.py``) with options and a device merged.

    Args:
        config (str | Config): The config file or object (copied).
        device (str, optional): Device of every stage that takes one (detector, teacher,
            segmenter, RAFT flow, ...). Defaults to None (the config's).
        cfg_options (dict, optional): Overrides (``Config.merge_from_dict``).

    Returns:
        Config: The config.
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else copy.deepcopy(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if device:  # only stages that take a device (the simulated detector and teacher do not)
        set_stage_device(cfg, device)
    return cfg


def _progress_timer(total: Optional[int], enabled: bool):
    """A :class:`~vpd_mm.preparation.StageTimer` that also shows a progress bar per decoding
    pass of :class:`~vpd_mm.preparation.VideoPreparer` (its ``detect`` and ``write`` stages
    are booked once per chunk)."""
    from vpd_mm.preparation import StageTimer

    class ProgressTimer(StageTimer):
        PASSES = {'detect': 'pass 1/2 detect', 'write': 'pass 2/2 pose, crops, flow'}

        def __init__(self) -> None:
            super().__init__()
            self.total = total
            self.bars: Dict[str, tqdm] = {}

        def add(self, stage: str, seconds: float, frames: int) -> None:
            super().add(stage, seconds, frames)
            if stage in self.PASSES and frames:
                if stage not in self.bars:
                    self.close()
                    self.bars[stage] = tqdm(total=self.total, desc=self.PASSES[stage],
                                            unit='frame', disable=not enabled)
                self.bars[stage].update(frames)

        def close(self) -> None:
            for bar in self.bars.values():
                bar.close()

    return ProgressTimer()


class _Recorder:
    """A stage callable that keeps its last output (the tracks, the athlete track)."""

    def __init__(self, fn) -> None:
        self.fn, self.last = fn, None

    def __call__(self, *args, **kwargs):
        self.last = self.fn(*args, **kwargs)
        return self.last


def video_name(video: str, name: Optional[str] = None) -> str:
    """The name of a video's outputs: ``name``, else the file's stem; one plain file name
    (:func:`vpd_mm.utils.paths.check_path_component`)."""
    if name is None:
        name = osp.splitext(osp.basename(video))[0]
    return check_path_component(name, 'video name', where=f'{video} (use --name to choose one)')


def check_video(video: str, backend: str = 'decord'):
    """Probe a video file (:func:`~vpd_mm.preparation.stages.video.probe_video`).

    Returns:
        VideoInfo: frame count, frame rate and size.

    Raises:
        VideoInferenceError: missing, empty, corrupt or undecodable file (names it).
    """
    from vpd_mm.preparation.stages.video import VideoReadError, probe_video
    if not osp.isfile(video):
        raise VideoInferenceError(f'video {video} does not exist')
    try:
        return probe_video(video, backend=backend)
    except VideoReadError as e:
        raise VideoInferenceError(f'cannot read video {video}: {e}') from e


def _expected_frames(info, preparer) -> Optional[int]:
    from vpd_mm.preparation.stages.video import check_sampling, resampled_indices
    if preparer.fps is None:
        return int(info.num_frames)
    try:
        return len(resampled_indices(info.num_frames, info.fps, preparer.fps,
                                     **check_sampling(preparer.sampling)))
    except ValueError:
        return None


def prepare_single_video(video: str,
                         prep_cfg: Config,
                         out_dir: str,
                         name: Optional[str] = None,
                         progress: bool = True) -> dict:
    """Run the preparation's stages on one video and write its frames and teacher output.

    Args:
        video (str): Video file.
        prep_cfg (Config): Preparation config (:func:`load_prep_config`): ``detector``,
            ``tracker``, ``athlete``, ``teacher``, ``flow`` and the options of
            :class:`~vpd_mm.preparation.VideoPreparer`.
        out_dir (str): Output root: ``rawframes/<name>/`` and ``annotations/<name>_pose.pkl``.
        name (str, optional): Output name. Defaults to the file's stem.
        progress (bool): Progress bars (one per decoding pass). Defaults to True.

    Returns:
        dict: ``name``, ``annotation`` (the PoseDataset dict of ``docs/data_layout.md``),
        ``info`` (frame counts), ``frame_dir``, ``pose_pkl``, ``track_rows`` ([N, 7]
        ``(frame, id, x1, y1, x2, y2, score)`` of every tracked person), ``athlete_ids``,
        ``stages`` (seconds and frames/s per stage) and ``options`` (``fps``, ``sampling``,
        ``chunk_size``, ``backend``, ``allow_truncated``, ``conf_thr``: how to decode it again).

    Raises:
        VideoInferenceError: missing, corrupt or unreadable video, no athlete, or no frame
            with a confident teacher pose (the message names the file and the reason).
    """
    from vpd_mm.preparation import SkipVideo, build_preparer
    from vpd_mm.visualization import tracks_to_rows

    name = video_name(video, name)
    info = check_video(video, prep_cfg.get('video_backend', 'decord'))
    timer = _progress_timer(None, progress)
    preparer = build_preparer(prep_cfg, timer)
    timer.total = _expected_frames(info, preparer)
    preparer.tracker, preparer.athlete = _Recorder(preparer.tracker), _Recorder(preparer.athlete)

    rawframes = osp.join(out_dir, 'rawframes')
    final = join_under(rawframes, name, what='video name')
    tmp = join_under(rawframes, name, what='video name', prefix='.tmp_')
    os.makedirs(rawframes, exist_ok=True)
    remove_under(tmp, rawframes)
    os.makedirs(tmp)
    record = dict(video=name, path=video, split='test', label=-1, actions=[])
    try:
        try:
            result = preparer(record, tmp)
        finally:
            timer.close()
    except SkipVideo as e:
        remove_under(tmp, rawframes)
        detail = str(e.message)
        for prefix in (f'{video}: ', f'{e.reason}: '):  # said once, in front
            detail = detail[len(prefix):] if detail.startswith(prefix) else detail
        raise VideoInferenceError(f'cannot process video {video} ({e.reason}): {detail}') from e
    except BaseException:
        remove_under(tmp, rawframes)
        raise
    remove_under(final, rawframes)
    os.rename(tmp, final)

    annotation = result['annotation']
    pose_pkl = join_under(osp.join(out_dir, 'annotations'), name, what='video name',
                          suffix='_pose.pkl')
    os.makedirs(osp.dirname(pose_pkl), exist_ok=True)
    dump_pose_annotations(pose_pkl, [annotation], split=dict(test=[name]))
    tracks = preparer.tracker.last or {}
    athlete = preparer.athlete.last
    return dict(
        name=name,
        annotation=annotation,
        info=result['info'],
        frame_dir=final,
        pose_pkl=pose_pkl,
        track_rows=tracks_to_rows(tracks),
        athlete_ids=set(int(i) for i in getattr(athlete, 'track_ids', [])),
        stages=timer.summary(),
        options=dict(fps=preparer.fps, sampling=preparer.sampling,
                     chunk_size=preparer.chunk_size, backend=preparer.video_backend,
                     allow_truncated=preparer.allow_truncated, conf_thr=preparer.conf_thr))


def track_video(video: str, prep_cfg: Config, progress: bool = True) -> dict:
    """Detect, track and select the athlete of one video (the preparation's first pass).

    The stages are the preparation config's (``build_preparer``); no crop, pose or flow is
    computed and nothing is written.

    Args:
        video (str): Video file.
        prep_cfg (Config): Preparation config (:func:`load_prep_config`).
        progress (bool): Progress bar. Defaults to True.

    Returns:
        dict: ``track_rows`` [N, 7] (``(frame, id, x1, y1, x2, y2, score)``), ``athlete_boxes``
        [T, 4] (NaN where missing), ``athlete_interpolated`` [T], ``athlete_ids`` (the joined
        track ids), ``num_frames``, ``img_shape`` (H, W), ``source_frame_idx`` [T] and
        ``options`` (how to decode the same frames again: ``fps``, ``sampling``,
        ``chunk_size``, ``backend``, ``allow_truncated``).

    Raises:
        VideoInferenceError: unreadable video, or no athlete (names the file and the reason).
    """
    from vpd_mm.preparation import build_preparer
    from vpd_mm.preparation.stages.video import VideoReadError, iter_video_chunks
    from vpd_mm.visualization import tracks_to_rows

    info = check_video(video, prep_cfg.get('video_backend', 'decord'))
    preparer = build_preparer(prep_cfg)
    name = osp.splitext(osp.basename(video))[0]
    record = dict(video=name, path=video, split='test', label=-1, actions=[])
    opts = dict(fps=preparer.fps, sampling=preparer.sampling, chunk_size=preparer.chunk_size,
                backend=preparer.video_backend, allow_truncated=preparer.allow_truncated)
    indices, dets, shape = [], [], None
    bar = tqdm(total=_expected_frames(info, preparer), desc='detect', unit='frame',
               disable=not progress)
    try:
        for idx, frames in iter_video_chunks(video, fps=opts['fps'], sampling=opts['sampling'],
                                             chunk_size=opts['chunk_size'],
                                             backend=opts['backend'],
                                             allow_truncated=opts['allow_truncated']):
            shape = frames.shape[1:3]
            indices.append(idx)
            dets += preparer.detector(frames, video=record, frame_indices=idx)
            bar.update(len(idx))
    except VideoReadError as e:
        raise VideoInferenceError(f'cannot read video {video}: {e}') from e
    finally:
        bar.close()
    if not indices:
        raise VideoInferenceError(f'cannot read video {video}: no frame decoded')
    img_shape = (int(shape[0]), int(shape[1]))
    tracks = preparer.tracker(dets, img_shape=img_shape, video=record)
    try:
        athlete = preparer.athlete(tracks, img_shape, video=record)
    except Exception as e:  # the selector's NoAthleteError carries the reason
        if getattr(e, 'reason', None) is not None:
            raise VideoInferenceError(f'cannot process video {video} ({e.reason}): {e}') from e
        raise
    num = sum(len(i) for i in indices)
    return dict(
        track_rows=tracks_to_rows(tracks),
        athlete_boxes=np.asarray(athlete.boxes, np.float32).reshape(num, 4),
        athlete_interpolated=np.asarray(athlete.interpolated, bool).reshape(num),
        athlete_ids=set(int(i) for i in athlete.track_ids),
        num_frames=num,
        img_shape=img_shape,
        source_frame_idx=np.concatenate(indices),
        options=opts)


def decode_frames(video: str, frame_indices: Sequence[int], options: Optional[dict] = None
                  ) -> Dict[int, np.ndarray]:
    """Some prepared frames of a video, decoded chunk by chunk (only those are kept).

    Args:
        video (str): Video file.
        frame_indices (Sequence[int]): Prepared frame indices (0-based, after resampling).
        options (dict, optional): ``fps``, ``sampling``, ``chunk_size``, ``backend``,
            ``allow_truncated`` of the preparation (:func:`track_video`'s ``options``).

    Returns:
        dict[int, np.ndarray]: frame index -> [H, W, 3] uint8 RGB.
    """
    from vpd_mm.preparation.stages.video import iter_video_chunks
    opts = dict(fps=None, sampling=None, chunk_size=64, backend='decord', allow_truncated=False)
    opts.update(options or {})
    wanted = set(int(t) for t in frame_indices)
    out: Dict[int, np.ndarray] = {}
    t = 0
    for _, frames in iter_video_chunks(video, fps=opts['fps'], sampling=opts['sampling'],
                                       chunk_size=opts['chunk_size'], backend=opts['backend'],
                                       allow_truncated=opts['allow_truncated']):
        for frame in frames:
            if t in wanted:
                out[t] = frame.copy()
            t += 1
        if len(out) == len(wanted):
            break
    missing = sorted(wanted - set(out))
    if missing:
        raise ValueError(f'{video}: frame(s) {missing[:5]} beyond its {t} frames')
    return out
