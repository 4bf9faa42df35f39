# Copyright (c) vpd_mm contributors. All rights reserved.
"""Multi-person tracking with mmdet's trackers (ByteTrack by default), driven on boxes only."""
import copy
import inspect
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmaction.registry import TASK_UTILS
from mmengine.registry import DefaultScope

from ._common import video_name

BYTETRACK = dict(
    type='ByteTracker',
    motion=dict(type='KalmanFilter'),
    obj_score_thrs=dict(high=0.6, low=0.1),
    init_track_thr=0.7,
    weight_iou_with_det_scores=True,
    match_iou_thrs=dict(high=0.1, low=0.5, tentative=0.3),
    num_frames_retain=30)


@TASK_UTILS.register_module()
class MMDetPersonTracker:
    """Person tracks from per-frame detections with an mmdet tracker.

    The tracker (registered in mmdet's ``MODELS``) is built from ``tracker`` and fed one
    ``DetDataSample`` per frame (``metainfo.frame_id``, ``pred_instances`` with ``bboxes``,
    ``scores`` and ``labels``), as mmdet's MOT models do in ``predict``. Supported:

    * ``ByteTracker`` (default; the values of mmdet's ByteTrack configs),
    * ``OCSORTTracker``,
    * ``SORTTracker`` without ReID (``reid=None``; this stage sees boxes, not images, so
      DeepSORT's appearance model cannot run).

    ``motion=dict(type='KalmanFilter')`` is added when the config has no ``motion``. mmdet's
    ``SORTTracker`` and ``OCSORTTracker`` need the ``motmetrics`` package; building them without
    it raises an ``ImportError`` saying so.

    Args:
        tracker (dict): mmdet tracker config. Defaults to ByteTrack's.
    """

    def __init__(self, tracker: dict = BYTETRACK) -> None:
        import mmdet.models  # noqa: F401  (registers the trackers and KalmanFilter)
        from mmdet.registry import MODELS

        cfg = copy.deepcopy(dict(tracker))
        cfg.setdefault('motion', dict(type='KalmanFilter'))
        kind = cfg.get('type')
        if kind in ('SORTTracker', 'OCSORTTracker'):
            if cfg.get('reid') is not None:
                raise ValueError(
                    f'{kind} with a ReID model needs image crops and an appearance network; '
                    'MMDetPersonTracker tracks boxes only, use reid=None')
            cfg['reid'] = None
        elif kind in ('StrongSORTTracker', 'QuasiDenseTracker', 'MaskTrackRCNNTracker'):
            raise ValueError(f'{kind} needs appearance features of a full MOT model; '
                             'MMDetPersonTracker supports ByteTracker, OCSORTTracker and '
                             'SORTTracker (without ReID)')
        with DefaultScope.overwrite_default_scope('mmdet'):
            try:
                self.tracker = MODELS.build(cfg)
            except RuntimeError as e:
                if 'motmetrics' in str(e):
                    raise ImportError(
                        f"mmdet's {kind} needs the 'motmetrics' package, which is not "
                        "installed; install it or use type='ByteTracker'") from None
                raise
        self.cfg = cfg
        # SORTTracker.track(model, img, data_sample); the others track(data_sample)
        self._needs_model = 'model' in inspect.signature(self.tracker.track).parameters

    def __call__(self,
                 detections: Sequence[np.ndarray],
                 img_shape: Tuple[int, int],
                 video: Optional[dict] = None) -> Dict[int, np.ndarray]:
        """Track the people of one video.

        Args:
            detections (Sequence[np.ndarray]): T arrays [N_t, 5] ``(x1, y1, x2, y2, score)``.
            img_shape (tuple): ``(H, W)`` of the frames.
            video (dict, optional): The reader's record of the video (unused).

        Returns:
            dict[int, np.ndarray]: Track id -> [T, 5] float32 ``(x1, y1, x2, y2, score)``,
            NaN rows in the frames where the track has no box.
        """
        from mmdet.structures import DetDataSample
        from mmengine.structures import InstanceData

        num_frames = len(detections)
        h, w = int(img_shape[0]), int(img_shape[1])
        tracks: Dict[int, np.ndarray] = {}
        self.tracker.reset()
        for t, dets in enumerate(detections):
            dets = np.asarray(dets, dtype=np.float32).reshape(-1, 5)
            if not np.isfinite(dets).all():
                raise ValueError(f'{video_name(video)}detections of frame {t} are not finite')
            sample = DetDataSample(
                metainfo=dict(frame_id=t, img_shape=(h, w), ori_shape=(h, w), img_id=t))
            sample.pred_instances = InstanceData(
                bboxes=torch.from_numpy(dets[:, :4].copy()),
                scores=torch.from_numpy(dets[:, 4].copy()),
                labels=torch.zeros(len(dets), dtype=torch.long))
            with torch.no_grad(), DefaultScope.overwrite_default_scope('mmdet'):
                if self._needs_model:
                    res = self.tracker.track(model=None, img=None, data_sample=sample)
                else:
                    res = self.tracker.track(data_sample=sample)
            ids: List[int] = res.instances_id.cpu().numpy().astype(int).tolist()
            rows = torch.cat([res.bboxes.reshape(-1, 4), res.scores.reshape(-1, 1)], dim=1)
            rows = rows.float().cpu().numpy()
            for i, row in zip(ids, rows):
                if i not in tracks:
                    tracks[i] = np.full((num_frames, 5), np.nan, dtype=np.float32)
                tracks[i][t] = row
        self.tracker.reset()
        return dict(sorted(tracks.items()))
