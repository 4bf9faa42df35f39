# Copyright (c) vpd_mm contributors. All rights reserved.
"""The VPD decoder: student features -> teacher pose and its temporal change (Eq. 1)."""
from typing import Dict, Optional, Tuple

import torch
from mmaction.registry import MODELS
from mmaction.utils import OptConfigType, SampleList
from mmengine.model import BaseModule
from torch import Tensor, nn


def _stack_field(data_samples: SampleList, name: str, like: Tensor) -> Tensor:
    """Stack a per-sample data field into a batch on ``like``'s device."""
    values = []
    for i, sample in enumerate(data_samples):
        if name not in sample:
            raise KeyError(f'data sample {i} has no {name!r}: the distillation dataset must '
                           f'provide pose_target, motion_target, target_valid, motion_valid')
        values.append(torch.as_tensor(sample.get(name)))
    return torch.stack(values).to(like.device)


def _masked_squared_l2(pred: Tensor, target: Tensor, valid: Tensor) -> Tensor:
    """Mean over the valid samples of ``||pred - target||^2``; 0 (graph kept) if none is valid.

    Args:
        pred (Tensor): [N, d] predictions.
        target (Tensor): [N, d] targets.
        valid (Tensor): [N] bool mask.

    Returns:
        Tensor: scalar loss.
    """
    valid = valid.reshape(-1).bool()
    if not valid.any():
        return pred.sum() * 0.
    # float32 whatever the autocast dtype of ``pred`` (bfloat16 would round the loss)
    diff = pred[valid].float() - target[valid].float()  # [N_valid, d]
    return diff.pow(2).sum(dim=-1).mean()


@MODELS.register_module()
class VPDDistillHead(BaseModule):
    """Distillation head of VPD.

    With motion, a decoder ``Linear(d, h)-ReLU-Linear(h, h)-ReLU-Linear(h, 2d)`` maps the
    student's features to ``[pose | motion]``, regressing the teacher's target ``p_t`` and its
    change ``p_t - p_{t-1}``. Without motion (the paper's ablation) there is no decoder: the
    feature itself regresses ``p_t``.

    The loss of each term is ``weight * mean_i ||pred_i - target_i||^2`` over the samples whose
    ``target_valid`` (pose) or ``motion_valid`` (motion) is true.

    Args:
        in_channels (int): Feature and target dimension ``d``.
        hidden_channels (int): Width of the decoder's hidden layers. Defaults to 128.
        with_motion (bool): Decode pose and motion; False regresses the pose with the feature
            itself. Defaults to True.
        loss_pose_weight (float): Weight of the pose term. Defaults to 1.0.
        loss_motion_weight (float): Weight of the motion term. Defaults to 1.0.
        init_cfg (dict, optional): mmengine initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int = 128,
                 with_motion: bool = True,
                 loss_pose_weight: float = 1.0,
                 loss_motion_weight: float = 1.0,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.with_motion = with_motion
        self.loss_pose_weight = loss_pose_weight
        self.loss_motion_weight = loss_motion_weight
        if with_motion:
            self.decoder = nn.Sequential(
                nn.Linear(in_channels, hidden_channels),
                nn.ReLU(inplace=True),
                nn.Linear(hidden_channels, hidden_channels),
                nn.ReLU(inplace=True),
                nn.Linear(hidden_channels, 2 * in_channels),
            )
        else:
            self.decoder = None

    def forward(self, feats: Tensor) -> Tensor:
        """Decode features.

        Args:
            feats (Tensor): [N, d] student features.

        Returns:
            Tensor: [N, 2d] ``[pose | motion]`` with motion, else the [N, d] features.
        """
        if feats.ndim != 2 or feats.shape[1] != self.in_channels:
            raise ValueError(f'VPDDistillHead expects features [N, {self.in_channels}], '
                             f'got {list(feats.shape)}')
        return feats if self.decoder is None else self.decoder(feats)

    def predict(self, feats: Tensor) -> Tuple[Tensor, Optional[Tensor]]:
        """Predict the teacher's pose and motion.

        Args:
            feats (Tensor): [N, d] student features.

        Returns:
            tuple[Tensor, Tensor | None]: pose [N, d] and motion [N, d] (None without motion).
        """
        out = self(feats)
        if self.decoder is None:
            return out, None
        pose, motion = out.split(self.in_channels, dim=1)  # 2 x [N, d]
        return pose, motion

    def loss(self, feats: Tensor, data_samples: SampleList) -> Dict[str, Tensor]:
        """Distillation loss (Eq. 1 of the paper).

        Args:
            feats (Tensor): [N, d] student features.
            data_samples (list[ActionDataSample]): N samples with ``pose_target`` [d],
                ``motion_target`` [d], ``target_valid`` and ``motion_valid`` (bool scalars).

        Returns:
            dict[str, Tensor]: ``loss_pose`` and, with motion, ``loss_motion``.
        """
        pose, motion = self.predict(feats)
        pose_target = _stack_field(data_samples, 'pose_target', pose)  # [N, d]
        target_valid = _stack_field(data_samples, 'target_valid', pose)  # [N]
        losses = dict(loss_pose=self.loss_pose_weight *
                      _masked_squared_l2(pose, pose_target, target_valid))
        if motion is not None:
            motion_target = _stack_field(data_samples, 'motion_target', motion)  # [N, d]
            motion_valid = _stack_field(data_samples, 'motion_valid', motion)  # [N]
            losses['loss_motion'] = self.loss_motion_weight * _masked_squared_l2(
                motion, motion_target, motion_valid)
        return losses
