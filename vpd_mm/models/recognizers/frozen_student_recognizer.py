# Copyright (c) vpd_mm contributors. All rights reserved.
"""Recognition end to end from crops: a frozen VPD student, then a sequence head."""
import os.path as osp
from typing import Optional

import torch
from mmaction.registry import MODELS
from mmaction.utils import ConfigType, OptConfigType, OptSampleList
from mmengine.runner import load_checkpoint
from torch import Tensor

from ..distillers.vpd_distiller import IMAGENET_PREPROCESSOR
from .sequence_recognizer import FeatureSequenceRecognizer, sequence_lengths


@MODELS.register_module()
class FrozenStudentRecognizer(FeatureSequenceRecognizer):
    """:class:`FeatureSequenceRecognizer` whose features come from a frozen VPD student.

    The backbone is a whole :class:`VPDDistiller` (student + distillation head, as trained by
    ``configs/vpd/``), loaded from its checkpoint and frozen (no gradients, always in eval mode).
    Every valid frame of the crop sequences is embedded by ``VPDDistiller.predict``, which gives
    the features of the crop as is and horizontally flipped (its flip logic, flow x negated), so
    the head sees exactly what ``tools/test.py --dump-features`` would have written: [N, 2, T, d].
    Training then treats each flip view as its own sequence; testing averages the softmax.

    Args:
        student (dict): The ``VPDDistiller`` config of the distillation run (``test_cfg`` flip
            on).
        cls_head (dict): E.g. ``dict(type='BiGRUHead', num_classes=48, in_channels=26)``.
        student_checkpoint (str, optional): The distillation checkpoint (its ``state_dict`` is
            the ``VPDDistiller``'s), loaded strictly by :meth:`init_weights` (run by the runner
            before training; a recognition checkpoint holds the student too, so testing needs
            no student checkpoint). Defaults to None (keep the student's initialisation).
        data_preprocessor (dict, optional): Defaults to the student's (the same RGB mean/std
            and flow decoding as in distillation).
        chunk_size (int): Frames embedded per student forward pass. Defaults to 256.
        train_cfg, test_cfg (dict, optional): Unused. Default to None.
    """

    def __init__(self,
                 student: ConfigType,
                 cls_head: ConfigType,
                 student_checkpoint: Optional[str] = None,
                 data_preprocessor: OptConfigType = None,
                 chunk_size: int = 256,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = student.get('data_preprocessor') or IMAGENET_PREPROCESSOR
        super().__init__(
            cls_head=cls_head,
            backbone=student,
            data_preprocessor=data_preprocessor,
            train_cfg=train_cfg,
            test_cfg=test_cfg)
        self.student_checkpoint = student_checkpoint
        self.chunk_size = chunk_size
        self.backbone.requires_grad_(False)
        self.backbone.eval()

    def init_weights(self) -> None:
        """Initialise the head, then load the frozen student from ``student_checkpoint``."""
        super().init_weights()
        if self.student_checkpoint is None:
            return
        if not osp.isfile(self.student_checkpoint):
            raise FileNotFoundError(f'student_checkpoint {self.student_checkpoint} does not exist')
        try:
            load_checkpoint(self.backbone, self.student_checkpoint, map_location='cpu',
                            strict=True)
        except (RuntimeError, ValueError, KeyError) as e:
            raise ValueError(f'student_checkpoint {self.student_checkpoint}: not a checkpoint '
                             f'of this VPDDistiller config ({e})') from e
        self.backbone.requires_grad_(False)

    def train(self, mode: bool = True) -> 'FrozenStudentRecognizer':
        """Set the head's mode; the student stays in eval mode."""
        super().train(mode)
        self.backbone.eval()
        return self

    @torch.no_grad()
    def sequence_features(self, inputs: Tensor, data_samples: OptSampleList = None) -> Tensor:
        """Student features of both flip views of every valid frame.

        Args:
            inputs (Tensor): [N, T, C, H, W] preprocessed, zero-padded crop sequences.
            data_samples (list[ActionDataSample], optional): With ``num_frames``.

        Returns:
            Tensor: [N, V, T, d] (V = 2: as is, flipped); zeros at padded frames.
        """
        if inputs.ndim != 5:
            raise ValueError(f'FrozenStudentRecognizer expects crops [N, T, C, H, W], got '
                             f'{list(inputs.shape)}')
        n, t = inputs.shape[:2]
        lengths = sequence_lengths(data_samples, n, t, inputs.device)  # [N]
        valid = torch.arange(t, device=inputs.device)[None] < lengths[:, None]  # [N, T]
        frames = inputs[valid]  # [F, C, H, W]
        if len(frames) == 0:
            frames = inputs[:1, 0]  # shape only: every sequence is empty
            valid = torch.zeros_like(valid)
        feats = []
        for i in range(0, len(frames), self.chunk_size):
            out = self.backbone.predict(frames[i:i + self.chunk_size])
            feats.append(torch.stack([s.pred_feature for s in out]))  # [f, V, d]
        feats = torch.cat(feats)  # [F, V, d]
        seq = feats.new_zeros((n, t) + feats.shape[1:])  # [N, T, V, d]
        seq[valid] = feats[:int(valid.sum())]
        return seq.transpose(1, 2).contiguous()  # [N, V, T, d]
