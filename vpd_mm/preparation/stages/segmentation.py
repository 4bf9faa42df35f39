# Copyright (c) vpd_mm contributors. All rights reserved.
"""The athlete's segmentation mask from any mmdet instance-segmentation model."""
from typing import List, Optional

import numpy as np
import torch
from mmaction.registry import TASK_UTILS

from ._common import ConfigLike, check_frames
from .detection import MMDetPersonDetector


@TASK_UTILS.register_module()
class MMDetAthleteSegmenter(MMDetPersonDetector):
    """The athlete's instance mask in every frame, from an mmdet instance-segmentation model.

    The model (e.g. ``'mmdet::rtmdet/rtmdet-ins_tiny_8xb32-300e_coco.py'`` or a Mask R-CNN)
    runs on the whole frames that have an athlete box, in batches, through its own test
    pipeline and ``model.test_step`` (as :class:`MMDetPersonDetector`). The athlete's mask is
    that of the person instance (label ``person_label``, score >= ``score_thr``) whose box has
    the largest IoU with the athlete box, if that IoU is at least ``iou_thr``
    (``mmdet.structures.bbox.bbox_overlaps``); otherwise the frame has no mask.

    :class:`vpd_mm.preparation.VideoPreparer` cuts the masks with the frames' crop boxes into
    ``mask_{t:05d}.png`` (``docs/data_layout.md``); the training noise goes outside them.

    Args:
        config (str | dict | Config): Instance-segmentation config: a file, an ``'mmdet::...'``
            package path or a config object.
        checkpoint (str, optional): Weights (path or URL); None keeps random weights.
            Defaults to None.
        device (str): Torch device. Defaults to ``'cpu'``.
        batch_size (int): Frames per forward pass. Defaults to 8.
        score_thr (float): Minimum score of an instance. Defaults to 0.3.
        iou_thr (float): Minimum IoU of the instance's box with the athlete box.
            Defaults to 0.5.
        person_label (int): Class index of "person". Defaults to 0 (COCO).
        cfg_options (dict, optional): Overrides merged into the config. Defaults to None.
    """

    def __init__(self,
                 config: ConfigLike,
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 batch_size: int = 8,
                 score_thr: float = 0.3,
                 iou_thr: float = 0.5,
                 person_label: int = 0,
                 cfg_options: Optional[dict] = None) -> None:
        super().__init__(config, checkpoint=checkpoint, device=device, batch_size=batch_size,
                         score_thr=score_thr, person_label=person_label,
                         cfg_options=cfg_options)
        if not 0.0 <= iou_thr <= 1.0:
            raise ValueError(f'iou_thr must be in [0, 1], got {iou_thr}')
        self.iou_thr = float(iou_thr)

    def athlete_mask(self, instances, box: np.ndarray) -> Optional[np.ndarray]:
        """Pick the athlete's mask among one frame's predicted instances.

        Args:
            instances (InstanceData): mmdet's ``pred_instances`` with ``bboxes`` [N, 4],
                ``scores`` [N], ``labels`` [N] and ``masks`` [N, H, W].
            box (np.ndarray): [4] athlete box x1, y1, x2, y2.

        Returns:
            np.ndarray | None: [H, W] bool mask, or None when no instance matches (or its
            mask is empty).
        """
        from mmdet.structures.bbox import bbox_overlaps

        if 'masks' not in instances:
            raise ValueError('the segmenter model predicts no masks: use an instance-'
                             'segmentation config (e.g. rtmdet-ins or mask-rcnn)')
        keep = (instances.labels == self.person_label) & (instances.scores >= self.score_thr)
        if not bool(keep.any()):
            return None
        dets = instances.bboxes[keep].float().cpu()  # [N, 4]
        iou = bbox_overlaps(torch.as_tensor(box, dtype=torch.float32).reshape(1, 4), dets)[0]
        best = int(torch.argmax(iou))  # [N] -> the first of the largest IoU
        if float(iou[best]) < self.iou_thr:
            return None
        masks = instances.masks
        if hasattr(masks, 'to_ndarray'):  # BitmapMasks of older heads
            masks = torch.as_tensor(masks.to_ndarray())
        mask = masks[keep.to(masks.device)][best].cpu().numpy() > 0  # [H, W]
        return mask if mask.any() else None  # [H, W] bool

    def __call__(self,  # type: ignore[override]
                 frames: np.ndarray,
                 boxes: np.ndarray,
                 video: Optional[dict] = None,
                 frame_indices: Optional[np.ndarray] = None) -> List[Optional[np.ndarray]]:
        """Segment the athlete.

        Args:
            frames (np.ndarray): [n, H, W, 3] uint8 RGB frames.
            boxes (np.ndarray): [n, 4] athlete boxes x1, y1, x2, y2 (NaN where missing: those
                frames are not run through the model).
            video (dict, optional): The reader's record of the video (unused).
            frame_indices (np.ndarray, optional): [n] source frame indices (unused).

        Returns:
            list[np.ndarray | None]: n masks, bool [H, W] (True on the athlete), None where
            the frame has no athlete box or no matching instance.
        """
        frames = check_frames(frames)
        boxes = np.asarray(boxes, dtype=np.float64)
        if boxes.shape != (len(frames), 4):
            raise ValueError(f'expected boxes [{len(frames)}, 4], got {list(boxes.shape)}')
        with np.errstate(invalid='ignore'):
            valid = np.isfinite(boxes).all(1) & (boxes[:, 2] > boxes[:, 0]) & \
                (boxes[:, 3] > boxes[:, 1])  # [n]
        todo = np.flatnonzero(valid)
        out: List[Optional[np.ndarray]] = [None] * len(frames)
        for start in range(0, len(todo), self.batch_size):
            idx = todo[start:start + self.batch_size]
            for i, res in zip(idx, self._predict(frames[idx])):
                out[i] = self.athlete_mask(res.pred_instances, boxes[i])
        return out
