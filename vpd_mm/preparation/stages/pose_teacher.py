# Copyright (c) vpd_mm contributors. All rights reserved.
"""The 2D pose teacher: an mmpose top-down model run on the athlete box of every frame."""
import warnings
from typing import Optional, Tuple

import numpy as np
import torch
from mmaction.registry import TASK_UTILS
from mmengine.registry import DefaultScope

from ._common import ConfigLike, check_frames, load_config, rgb_to_bgr, video_name

NUM_COCO_KEYPOINTS = 17


@TASK_UTILS.register_module()
class MMPoseTopDownTeacher:
    """COCO-17 keypoints of the athlete box with an mmpose top-down model.

    Each frame contributes one sample (its athlete box), built by the model's test pipeline
    exactly as ``mmpose.apis.inference_topdown`` builds them, and samples of different frames
    are batched together through ``model.test_step`` (``inference_topdown`` batches the boxes of
    one image only).

    Args:
        config (str | dict | Config): Pose model config: a file, an ``'mmpose::...'`` package
            path or a config object. Its keypoints must be the 17 of COCO.
        checkpoint (str, optional): Weights (path or URL); None keeps random weights.
            Defaults to None.
        device (str): Torch device. Defaults to ``'cpu'``.
        batch_size (int): Boxes per forward pass. Defaults to 32.
        cfg_options (dict, optional): Overrides merged into the config. Defaults to None.
    """

    def __init__(self,
                 config: ConfigLike,
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 batch_size: int = 32,
                 cfg_options: Optional[dict] = None) -> None:
        from mmengine.dataset import Compose
        from mmpose.apis import init_model

        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        cfg = load_config(config, cfg_options)
        self.scope = cfg.get('default_scope', 'mmpose') or 'mmpose'
        with DefaultScope.overwrite_default_scope(self.scope), warnings.catch_warnings():
            warnings.simplefilter('ignore')
            self.model = init_model(cfg, checkpoint, device=device)
            self.pipeline = Compose(self.model.cfg.test_dataloader.dataset.pipeline)
        num = self.model.dataset_meta.get('num_keypoints')
        if num != NUM_COCO_KEYPOINTS:
            name = config if isinstance(config, str) else 'the given config'
            raise ValueError(f'pose model {name} predicts {num} keypoints; the teacher needs the '
                             f'{NUM_COCO_KEYPOINTS} COCO keypoints')
        self.device = device
        self.batch_size = int(batch_size)

    def _predict(self, frames: np.ndarray, boxes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """[b, H, W, 3] RGB frames, [b, 4] boxes -> [b, 17, 2] keypoints, [b, 17] scores."""
        from mmengine.dataset import pseudo_collate
        data = []
        for frame, box in zip(frames, boxes):
            info = dict(
                img=rgb_to_bgr(frame),
                bbox=box[None].astype(np.float32),
                bbox_score=np.ones(1, dtype=np.float32))
            info.update(self.model.dataset_meta)
            data.append(self.pipeline(info))
        with torch.no_grad(), DefaultScope.overwrite_default_scope(self.scope):
            results = self.model.test_step(pseudo_collate(data))
        kpts = np.stack([r.pred_instances.keypoints[0] for r in results])
        scores = np.stack([r.pred_instances.keypoint_scores[0] for r in results])
        return kpts, scores

    def __call__(self,
                 frames: np.ndarray,
                 boxes: np.ndarray,
                 video: Optional[dict] = None,
                 frame_indices: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
        """Keypoints of the athlete in each frame.

        Args:
            frames (np.ndarray): [n, H, W, 3] uint8 RGB frames.
            boxes (np.ndarray): [n, 4] float x1, y1, x2, y2 athlete boxes; rows with NaN (or an
                empty box) mean "no box".
            video (dict, optional): The reader's record of the video (used in messages).
            frame_indices (np.ndarray, optional): [n] source frame indices (unused; simulated
                teachers read ground truth with them).

        Returns:
            tuple: ``keypoints`` [n, 17, 2] float32 in image pixels (NaN where no box) and
            ``scores`` [n, 17] float32 joint scores (0 where no box).
        """
        frames = check_frames(frames)
        boxes = np.asarray(boxes, dtype=np.float32)
        if boxes.shape != (len(frames), 4):
            raise ValueError(f'{video_name(video)}expected boxes of shape [{len(frames)}, 4], '
                             f'got {list(boxes.shape)}')
        n = len(frames)
        keypoints = np.full((n, NUM_COCO_KEYPOINTS, 2), np.nan, dtype=np.float32)
        scores = np.zeros((n, NUM_COCO_KEYPOINTS), dtype=np.float32)
        valid = np.isfinite(boxes).all(axis=1)
        valid[valid] &= (boxes[valid, 2] > boxes[valid, 0]) & (boxes[valid, 3] > boxes[valid, 1])
        idx = np.flatnonzero(valid)
        for start in range(0, len(idx), self.batch_size):
            sel = idx[start:start + self.batch_size]
            kpts, sc = self._predict(frames[sel], boxes[sel])
            keypoints[sel] = kpts
            scores[sel] = sc
        return keypoints, scores
