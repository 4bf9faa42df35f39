# Copyright (c) vpd_mm contributors. All rights reserved.
"""How well a student regresses its teacher's pose and motion targets."""
import logging
from collections import OrderedDict
from typing import Any, Optional, Sequence

import numpy as np
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log


@METRICS.register_module()
class VPDRegressionMetric(BaseMetric):
    """Squared L2 error of the distillation head's predictions, on confident frames.

    For every frame whose teacher output is confident (``target_valid``) the pose error is
    ``||pred_pose - pose_target||^2`` (summed over the d dims, the training loss's formula);
    for frames whose previous frame is confident too (``motion_valid``), the motion error
    likewise. Frames without a valid target (kept for feature extraction) are skipped.

    Reported (with prefix ``vpd``): ``pose_mse``, ``motion_mse`` (if the model predicts motion),
    ``total_mse`` (``pose_weight * pose_mse + motion_weight * motion_mse``: the distillation loss
    on held-out frames, used for checkpoint selection), ``pose_rmse`` (root of the mean
    per-dimension squared error) and ``num_frames``. (No key contains "loss": MMEngine's log
    processor would print a running mean over validations for such keys instead of the value.)

    Args:
        pose_weight (float): Weight of the pose term in ``loss``. Defaults to 1.
        motion_weight (float): Weight of the motion term in ``loss``. Defaults to 1.
        allow_empty (bool): Without any confident frame, report ``num_frames = 0`` with a
            warning instead of stopping (a resumed feature dump may have only videos without
            one left). Defaults to False.
        collect_device (str): Device for collecting results across ranks. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix. Defaults to 'vpd'.
    """

    default_prefix = 'vpd'

    def __init__(self,
                 pose_weight: float = 1.0,
                 motion_weight: float = 1.0,
                 allow_empty: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.pose_weight = pose_weight
        self.motion_weight = motion_weight
        self.allow_empty = allow_empty

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Keep the per-frame squared errors of one batch."""
        for ds in data_samples:
            if not bool(ds['target_valid']):
                continue
            pred = ds['pred_pose'].float().cpu().numpy()
            target = ds['pose_target'].float().cpu().numpy()
            if pred.shape != target.shape:
                raise ValueError(f'prediction of shape {list(pred.shape)} for a target of shape '
                                 f'{list(target.shape)} (video {ds.get("frame_dir")})')
            result = dict(pose_se=float(((pred - target)**2).sum()), dim=pred.size)
            if ds.get('pred_motion') is not None and bool(ds['motion_valid']):
                motion = ds['pred_motion'].float().cpu().numpy()
                motion_target = ds['motion_target'].float().cpu().numpy()
                result['motion_se'] = float(((motion - motion_target)**2).sum())
            self.results.append(result)

    def compute_metrics(self, results: list) -> dict:
        """Average the squared errors over frames."""
        if not results and self.allow_empty:
            print_log('VPDRegressionMetric saw no frame with a confident teacher target: no '
                      'error to report', logger='current', level=logging.WARNING)
            return OrderedDict(num_frames=0)
        if not results:
            raise ValueError('VPDRegressionMetric saw no frame with a confident teacher target: '
                             'check the evaluation dataset (conf_thr, split)')
        pose_se = np.array([r['pose_se'] for r in results])
        metrics = OrderedDict(pose_mse=float(pose_se.mean()))
        loss = self.pose_weight * metrics['pose_mse']
        motion_se = [r['motion_se'] for r in results if 'motion_se' in r]
        if motion_se:
            metrics['motion_mse'] = float(np.mean(motion_se))
            loss += self.motion_weight * metrics['motion_mse']
        metrics['total_mse'] = float(loss)
        metrics['pose_rmse'] = float(np.sqrt(pose_se.sum() / sum(r['dim'] for r in results)))
        metrics['num_frames'] = len(results)
        return metrics
