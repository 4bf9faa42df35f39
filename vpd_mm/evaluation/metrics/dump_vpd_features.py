# Copyright (c) vpd_mm contributors. All rights reserved.
"""Write a student's per-video features for the downstream tasks; resumable.

A dump run writes each video's file as soon as its last frame is predicted (one process:
frames arrive video by video), appends its name to ``DUMP_LOG`` and leaves ``DUMP_STATE`` (the
fingerprint of the checkpoint and the test settings) beside the files. A rerun of the same
command with the same fingerprint skips the logged videos (:func:`resume_dumps`, which
``tools/test.py`` calls); another checkpoint or setting starts the log again.
"""
import os
import os.path as osp
from collections import defaultdict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmaction.registry import METRICS
from mmengine.dist import get_world_size
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from vpd_mm.datasets.features import read_feature_file
from vpd_mm.utils.io import dump_json_atomic, load_json, save_npy_atomic, sweep_temporaries
from vpd_mm.utils.paths import join_under

#: The index beside the feature files.
INDEX_FILE = 'features.json'
#: What the logged files were computed from (``fingerprint``, ``key``).
DUMP_STATE = 'dump_state.json'
#: One line per video written under :data:`DUMP_STATE`'s fingerprint: ``<frame_dir> <T>``.
DUMP_LOG = 'dump_log.txt'


def logged_videos(out_dir: str, fingerprint: str) -> Dict[str, int]:
    """The videos an earlier dump with this ``fingerprint`` wrote to ``out_dir`` (name -> T).

    Only the videos whose log line is complete and whose file still exists count; a log of
    another fingerprint (another checkpoint or test setting), a missing or unreadable state,
    counts nothing.
    """
    try:
        state = load_json(osp.join(out_dir, DUMP_STATE), 'dump state')
        with open(osp.join(out_dir, DUMP_LOG)) as f:
            lines = f.read().split('\n')[:-1]  # a last line without its newline: cut short
    except (OSError, ValueError):
        return {}
    if not isinstance(state, dict) or state.get('fingerprint') != fingerprint:
        return {}
    videos = {}
    for line in lines:
        name, _, num = line.rpartition(' ')
        try:
            path = join_under(out_dir, name, what='frame_dir', suffix='.npy')
        except ValueError:
            continue
        if num.isdigit() and osp.isfile(path):
            videos[name] = int(num)
    return videos


@METRICS.register_module()
class DumpVPDFeatures(BaseMetric):
    """Collect ``pred_feature`` (or another per-frame prediction) of every frame, one array a video.

    Each ``<out_dir>/<frame_dir>.npy`` holds float32 ``[T, V, d]``: T frames, V = 2 flip views
    (as is, horizontally flipped; 1 when the model's ``test_cfg.flip`` is off) and d feature
    channels. Frames that were not evaluated are NaN rows (and counted in the log). A
    ``features.json`` beside them records d, the views and the videos. Files are written under
    temporary names and renamed, so an interrupted run leaves no half-written feature file (and
    the next run sweeps the temporaries of a killed one). A ``frame_dir`` that is not a plain
    file name (``'../x'``, ``'/abs'``) is refused before its file is written.

    In one process, a video whose samples carry ``total_frames`` (``PackVPDInputs``) is written
    as soon as its last frame arrives, so memory holds the videos in progress only and an
    interrupted run keeps the videos it finished; with a ``fingerprint`` each written video is
    logged (:data:`DUMP_LOG`, :data:`DUMP_STATE`) for :func:`resume_dumps`. Across processes
    the frames are gathered and written at the end, as mmengine's metrics do.

    Args:
        out_dir (str): Output folder, created if needed.
        key (str): The data-sample field to write: ``'pred_feature'`` ([V, d], the student's
            features) or e.g. ``'pred_pose'`` ([d], the pose the student's decoder regresses,
            view 0; written as [T, 1, d]). Defaults to 'pred_feature'.
        fingerprint (str, optional): What the files are computed from (checkpoint and test
            settings); with it the written videos are logged for a resumed run. Defaults to
            None (no log).
        resumed (dict[str, int], optional): Videos an earlier run with this fingerprint wrote
            (name -> T), left out of this run's data and kept in the index. Defaults to None.
        collect_device (str): Device for collecting results across ranks. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix. Defaults to 'features'.
    """

    default_prefix = 'features'

    def __init__(self,
                 out_dir: str,
                 key: str = 'pred_feature',
                 fingerprint: Optional[str] = None,
                 resumed: Optional[Dict[str, int]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.out_dir = out_dir
        self.key = key
        self.fingerprint = fingerprint
        self.resumed = {str(k): int(v) for k, v in (resumed or {}).items()}
        self._pending: Dict[str, List[Tuple[int, np.ndarray]]] = defaultdict(list)
        self._streamed: Dict[str, int] = {}  # videos written by process() in this run -> T
        self._shape: Optional[Tuple[int, int]] = None  # (V, d) of this run's features
        self._log = None

    def _path(self, frame_dir: str) -> str:
        return join_under(self.out_dir, frame_dir, what='frame_dir',
                          where=f'{type(self).__name__}: a test sample', suffix='.npy')

    def _start(self) -> None:
        """Before this run's first file: the folder and, with a fingerprint, the state and log
        (a fresh log unless resuming: the old log goes before the new state is written, so a
        kill in between resumes nothing)."""
        if self._log is not None:
            return
        os.makedirs(self.out_dir, exist_ok=True)
        log = osp.join(self.out_dir, DUMP_LOG)
        if self.fingerprint is None:
            self._log = False
            return
        if not self.resumed:
            if osp.lexists(log):
                os.remove(log)
            dump_json_atomic(dict(fingerprint=self.fingerprint, key=self.key),
                             osp.join(self.out_dir, DUMP_STATE), indent=1)
        self._log = open(log, 'a')

    def _write(self, frame_dir: str, frames: List[Tuple[int, np.ndarray]],
               num_frames: int = 0) -> Tuple[int, int]:
        """Write one video's [T, V, d] array (NaN rows where no frame came); (T, missing)."""
        path = self._path(frame_dir)
        num = max(max(idx for idx, _ in frames) + 1, num_frames)
        views, dim = frames[0][1].shape
        out = np.full((num, views, dim), np.nan, dtype=np.float32)
        for idx, feat in frames:
            out[idx] = feat
        self._start()
        save_npy_atomic(path, out)
        if self._log:
            self._log.write(f'{frame_dir} {num}\n')
            self._log.flush()
        self._shape = (views, dim)
        return num, num - len({idx for idx, _ in frames})

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Keep (video, frame, feature) of one batch; write the videos it completes."""
        stream = get_world_size() == 1
        for ds in data_samples:
            if self.key not in ds:
                raise KeyError(f'the model\'s predictions have no {self.key!r} '
                               f'(fields: {sorted(k for k in ds if k.startswith("pred"))})')
            feat = ds[self.key].float().cpu().numpy().reshape(-1, ds[self.key].shape[-1])
            frame_dir, idx, total = ds['frame_dir'], int(ds['frame_idx']), ds.get('total_frames')
            if not stream or total is None:
                self.results.append((frame_dir, idx, feat))
                continue
            if frame_dir in self._streamed:
                raise ValueError(f'{type(self).__name__}: frame {idx} of {frame_dir!r} came after '
                                 f'its {self._streamed[frame_dir]} frames were written')
            if frame_dir not in self._pending:  # a name that is not a plain file name stops
                self._path(frame_dir)
            frames = self._pending[frame_dir]
            frames.append((idx, feat))
            if len(frames) >= int(total):
                num, _ = self._write(frame_dir, frames, int(total))
                self._streamed[frame_dir] = num
                self.results.append((frame_dir, None, len(frames)))  # written; frames seen
                del self._pending[frame_dir]

    def compute_metrics(self, results: list) -> dict:
        """Write the videos not written yet, then the index of every video of the folder's dump
        (this run's and the resumed ones)."""
        videos = defaultdict(list)
        num_frames = 0
        for frame_dir, idx, value in results:
            if idx is None:  # written by process()
                num_frames += value
            else:
                videos[frame_dir].append((idx, value))
                num_frames += 1
        for frame_dir, frames in self._pending.items():  # incomplete videos of this process
            videos[frame_dir].extend(frames)
            num_frames += len(frames)
        self._pending.clear()
        for frame_dir in videos:  # every name checked before any file is written
            self._path(frame_dir)
        self._start()
        missing = 0
        lengths = dict(self._streamed)
        for frame_dir in sorted(videos):
            lengths[frame_dir], miss = self._write(frame_dir, videos[frame_dir])
            missing += miss
        resumed = {k: v for k, v in self.resumed.items() if k not in lengths}
        shape = self._shape or resumed_shape(self.out_dir, resumed)
        lengths.update(resumed)
        names = {osp.basename(self._path(v)) for v in lengths}  # this run's and resumed
        sweep_temporaries(self.out_dir, names | {INDEX_FILE, DUMP_STATE})
        index = write_feature_index(self.out_dir, self.key, lengths, shape)
        if self._log:
            self._log.close()
        self._log, self._streamed, self._shape = None, {}, None
        MMLogger.get_current_instance().info(
            f'wrote features of {len(lengths) - len(resumed)} videos ({num_frames} frames, '
            f'd={index["dim"]}) to {self.out_dir}' +
            (f'; {missing} frames missing (NaN)' if missing else '') +
            (f'; {len(resumed)} videos kept from the interrupted run it resumes'
             if resumed else ''))
        return dict(num_videos=len(lengths) - len(resumed), num_frames=num_frames)


def resumed_shape(out_dir: str, videos: Dict[str, int]) -> Optional[Tuple[int, int]]:
    """(V, d) of the dumped files, from the header of one of ``videos``; None without any."""
    if not videos:
        return None
    path = join_under(out_dir, next(iter(videos)), what='frame_dir', suffix='.npy')
    return tuple(read_feature_file(path, mmap=True).shape[1:])


def write_feature_index(out_dir: str, key: str, lengths: Dict[str, int],
                        shape: Optional[Sequence[int]]) -> dict:
    """Write ``<out_dir>/features.json`` (d, views, the videos and their T); returns it.

    Args:
        out_dir (str): The dump folder.
        key (str): The prediction the files hold (``'pred_feature'``, ``'pred_pose'``).
        lengths (dict[str, int]): Video -> T.
        shape (Sequence[int], optional): (V, d) of the files; None without any video.
    """
    views, dim = shape if shape is not None and lengths else (0, 0)
    index = dict(
        dim=int(dim),
        key=key,
        views=['as_is', 'hflip'][:views],
        layout='[T, views, d] float32, one <frame_dir>.npy per video',
        videos=dict(sorted(lengths.items())))
    os.makedirs(out_dir, exist_ok=True)
    dump_json_atomic(index, osp.join(out_dir, INDEX_FILE), indent=1)
    return index
