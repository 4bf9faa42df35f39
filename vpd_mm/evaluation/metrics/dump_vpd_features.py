# Copyright (c) vpd_mm contributors. All rights reserved.
"""Write a student's per-video features for the downstream tasks."""
import os
import os.path as osp
from collections import defaultdict
from typing import Any, Optional, Sequence

import numpy as np
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from vpd_mm.utils.io import dump_json_atomic, save_npy_atomic, sweep_temporaries
from vpd_mm.utils.paths import join_under

#: The index beside the feature files.
INDEX_FILE = 'features.json'


@METRICS.register_module()
class DumpVPDFeatures(BaseMetric):
    """Collect ``pred_feature`` (or another per-frame prediction) of every frame, one array a video.

    Each ``<out_dir>/<frame_dir>.npy`` holds float32 ``[T, V, d]``: T frames, V = 2 flip views
    (as is, horizontally flipped; 1 when the model's ``test_cfg.flip`` is off) and d feature
    channels. Frames that were not evaluated are NaN rows (and counted in the log). A
    ``features.json`` beside them records d, the views and the videos. Files are written under
    temporary names and renamed, so an interrupted run leaves no half-written feature file (and
    the next run sweeps the temporaries of a killed one). A ``frame_dir`` that is not a plain
    file name (``'../x'``, ``'/abs'``) is refused before any file is written.

    Args:
        out_dir (str): Output folder, created if needed.
        key (str): The data-sample field to write: ``'pred_feature'`` ([V, d], the student's
            features) or e.g. ``'pred_pose'`` ([d], the pose the student's decoder regresses,
            view 0; written as [T, 1, d]). Defaults to 'pred_feature'.
        collect_device (str): Device for collecting results across ranks. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix. Defaults to 'features'.
    """

    default_prefix = 'features'

    def __init__(self,
                 out_dir: str,
                 key: str = 'pred_feature',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.out_dir = out_dir
        self.key = key

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Keep (video, frame, feature) of one batch."""
        for ds in data_samples:
            if self.key not in ds:
                raise KeyError(f'the model\'s predictions have no {self.key!r} '
                               f'(fields: {sorted(k for k in ds if k.startswith("pred"))})')
            feat = ds[self.key].float().cpu().numpy().reshape(-1, ds[self.key].shape[-1])
            self.results.append((ds['frame_dir'], int(ds['frame_idx']), feat))

    def compute_metrics(self, results: list) -> dict:
        """Group the frames by video and write the arrays."""
        videos = defaultdict(list)
        for frame_dir, idx, feat in results:
            videos[frame_dir].append((idx, feat))
        paths = {
            frame_dir: join_under(self.out_dir, frame_dir, what='frame_dir',
                                  where=f'{type(self).__name__}: a test sample', suffix='.npy')
            for frame_dir in videos
        }
        os.makedirs(self.out_dir, exist_ok=True)
        sweep_temporaries(self.out_dir, {osp.basename(p) for p in paths.values()} |
                          {INDEX_FILE})
        missing = 0
        lengths = {}
        for frame_dir, frames in sorted(videos.items()):
            num_frames = max(idx for idx, _ in frames) + 1
            views, dim = frames[0][1].shape
            out = np.full((num_frames, views, dim), np.nan, dtype=np.float32)
            for idx, feat in frames:
                out[idx] = feat
            missing += num_frames - len({idx for idx, _ in frames})
            save_npy_atomic(paths[frame_dir], out)
            lengths[frame_dir] = num_frames
        index = dict(
            dim=int(dim) if videos else 0,
            key=self.key,
            views=['as_is', 'hflip'][:views] if videos else [],
            layout='[T, views, d] float32, one <frame_dir>.npy per video',
            videos=lengths)
        dump_json_atomic(index, osp.join(self.out_dir, INDEX_FILE), indent=1)
        MMLogger.get_current_instance().info(
            f'wrote features of {len(videos)} videos ({len(results)} frames, d={index["dim"]}) '
            f'to {self.out_dir}' + (f'; {missing} frames missing (NaN)' if missing else ''))
        return dict(num_videos=len(videos), num_frames=len(results))
