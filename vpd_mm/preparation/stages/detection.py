# Copyright (c) vpd_mm contributors. All rights reserved.
"""Person detection with any mmdet detector, batched over frames."""
import warnings
from typing import List, Optional

import numpy as np
import torch
from mmaction.registry import TASK_UTILS
from mmengine.registry import DefaultScope

from ._common import ConfigLike, check_frames, load_config, rgb_to_bgr


@TASK_UTILS.register_module()
class MMDetPersonDetector:
    """Person boxes from an mmdet detector (``mmdet.apis.init_detector``).

    Frames are run through the detector's own test pipeline and ``model.test_step`` in batches
    of ``batch_size`` (``mmdet.apis.inference_detector`` runs one image per forward pass).

    Args:
        config (str | dict | Config): Detector config: a file, an ``'mmdet::...'`` package path
            or a config object.
        checkpoint (str, optional): Weights (path or URL); None keeps random weights.
            Defaults to None.
        device (str): Torch device. Defaults to ``'cpu'``.
        batch_size (int): Frames per forward pass. Defaults to 8.
        score_thr (float): Minimum detection score kept. Defaults to 0.3.
        person_label (int): Class index of "person" in the detector's classes. Defaults to 0
            (COCO).
        cfg_options (dict, optional): Overrides merged into the config. Defaults to None.
    """

    def __init__(self,
                 config: ConfigLike,
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 batch_size: int = 8,
                 score_thr: float = 0.3,
                 person_label: int = 0,
                 cfg_options: Optional[dict] = None) -> None:
        from mmcv.transforms import Compose
        from mmdet.apis import init_detector
        from mmdet.utils import get_test_pipeline_cfg

        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        cfg = load_config(config, cfg_options)
        self.scope = cfg.get('default_scope', 'mmdet') or 'mmdet'
        with DefaultScope.overwrite_default_scope(self.scope), warnings.catch_warnings():
            warnings.simplefilter('ignore')  # "checkpoint is None, use COCO classes"
            # palette='random' skips building the test dataset (only needed for drawing)
            self.model = init_detector(cfg, checkpoint, palette='random', device=device)
            pipeline = get_test_pipeline_cfg(cfg.copy())
            pipeline[0].type = 'mmdet.LoadImageFromNDArray'
            # frames carry no annotations (as in mmdet's DetInferencer)
            pipeline = [t for t in pipeline if 'Annotations' not in t['type']]
            self.pipeline = Compose(pipeline)
        classes = self.model.dataset_meta.get('classes', None)
        if classes is not None:
            if not 0 <= person_label < len(classes):
                raise ValueError(f'person_label {person_label} is not a class of the detector '
                                 f'({len(classes)} classes)')
            if str(classes[person_label]).lower() not in ('person', 'pedestrian', 'human'):
                warnings.warn(f'class {person_label} of the detector is '
                              f'{classes[person_label]!r}, not "person"')
        self.device = device
        self.batch_size = int(batch_size)
        self.score_thr = float(score_thr)
        self.person_label = int(person_label)

    def _predict(self, frames: np.ndarray) -> list:
        data = [self.pipeline(dict(img=rgb_to_bgr(f), img_id=i)) for i, f in enumerate(frames)]
        batch = dict(
            inputs=[d['inputs'] for d in data], data_samples=[d['data_samples'] for d in data])
        with torch.no_grad(), DefaultScope.overwrite_default_scope(self.scope):
            return self.model.test_step(batch)

    def __call__(self,
                 frames: np.ndarray,
                 video: Optional[dict] = None,
                 frame_indices: Optional[np.ndarray] = None) -> List[np.ndarray]:
        """Detect people.

        Args:
            frames (np.ndarray): [n, H, W, 3] uint8 RGB frames.
            video (dict, optional): The reader's record of the video (unused).
            frame_indices (np.ndarray, optional): [n] source frame indices (unused; simulated
                detectors read ground truth with them).

        Returns:
            list[np.ndarray]: n arrays [N_i, 5] float32 ``(x1, y1, x2, y2, score)`` in image
            pixels, persons with score >= ``score_thr``, by decreasing score.
        """
        frames = check_frames(frames)
        out: List[np.ndarray] = []
        for start in range(0, len(frames), self.batch_size):
            for res in self._predict(frames[start:start + self.batch_size]):
                inst = res.pred_instances
                keep = (inst.labels == self.person_label) & (inst.scores >= self.score_thr)
                boxes = inst.bboxes[keep].float().cpu().numpy().reshape(-1, 4)
                scores = inst.scores[keep].float().cpu().numpy().reshape(-1, 1)
                dets = np.concatenate([boxes, scores], axis=1).astype(np.float32)
                out.append(dets[np.argsort(-dets[:, 4], kind='stable')])
        return out
