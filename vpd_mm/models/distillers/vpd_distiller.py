# Copyright (c) vpd_mm contributors. All rights reserved.
"""The student + distillation head trained by VPD (configs/vpd/)."""
from typing import Dict, Union

import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmaction.utils import ConfigType, OptConfigType, OptSampleList, SampleList
from mmengine.model import BaseModel
from torch import Tensor

from ..data_preprocessors import flip_inputs
from ..utils import check_state_dict_shapes

#: ImageNet statistics: the default when the student starts from ImageNet weights.
IMAGENET_PREPROCESSOR = dict(
    type='VPDDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])


@MODELS.register_module()
class VPDDistiller(BaseModel):
    """Video Pose Distillation: a student backbone regressing a teacher's per-frame targets.

    Modes of :meth:`forward`:

    - ``'tensor'``: the student's features [N, d].
    - ``'loss'``: the head's losses (``loss_pose``, ``loss_motion``).
    - ``'predict'``: data samples with ``pred_feature`` [V, d] (V = 2 with test-time flip:
      view 0 as is, view 1 mirrored; V = 1 without), ``pred_pose`` [d] and, if the head
      decodes motion, ``pred_motion`` [d] (both from view 0).

    Args:
        backbone (dict): Student config, e.g. ``dict(type='VPDStudentResNet')``.
        head (dict): Head config, e.g. ``dict(type='VPDDistillHead', in_channels=26)``.
        data_preprocessor (dict, optional): Defaults to ``VPDDataPreprocessor`` with ImageNet
            mean and std.
        test_cfg (dict, optional): ``flip`` (bool): also embed the mirrored input in
            ``predict``. Defaults to ``dict(flip=True)``.
        init_cfg (dict, optional): mmengine initialisation config. Defaults to None.
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType,
                 data_preprocessor: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = IMAGENET_PREPROCESSOR
        if isinstance(data_preprocessor, dict):
            # built here with mmaction's registry, whatever the default scope
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)
        self.test_cfg = dict(flip=True)
        self.test_cfg.update(test_cfg or {})

        out_dim = getattr(self.backbone, 'out_channels', None)
        head_dim = getattr(self.head, 'in_channels', None)
        if out_dim is not None and head_dim is not None and out_dim != head_dim:
            raise ValueError(f"the backbone outputs d={out_dim} but the head expects "
                             f"in_channels={head_dim}: set model.backbone.out_channels and "
                             f"model.head.in_channels to the teacher's target dimension")
        self._register_load_state_dict_pre_hook(self._check_shapes_on_load)

    def extract_feat(self, inputs: Tensor) -> Tensor:
        """Student features.

        Args:
            inputs (Tensor): [N, C, H, W] preprocessed inputs.

        Returns:
            Tensor: [N, d].
        """
        return self.backbone(inputs)

    def forward(self,
                inputs: Tensor,
                data_samples: OptSampleList = None,
                mode: str = 'tensor') -> Union[Tensor, Dict[str, Tensor], SampleList]:
        """Run the model in one of the modes ``'tensor'``, ``'loss'`` or ``'predict'``.

        Args:
            inputs (Tensor): [N, C, H, W] preprocessed inputs.
            data_samples (list[ActionDataSample], optional): N samples; required for
                ``'loss'``. Defaults to None.
            mode (str): ``'tensor'``, ``'loss'`` or ``'predict'``. Defaults to ``'tensor'``.

        Returns:
            Tensor | dict | list: features [N, d], losses, or data samples with predictions.
        """
        if mode == 'tensor':
            return self.extract_feat(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}": VPDDistiller supports "tensor", "loss" and '
                           f'"predict"')

    def loss(self, inputs: Tensor, data_samples: SampleList) -> Dict[str, Tensor]:
        """Distillation losses of a batch (see :class:`VPDDistillHead`)."""
        if data_samples is None:
            raise ValueError("VPDDistiller needs data samples with targets in 'loss' mode")
        feats = self.extract_feat(inputs)  # [N, d]
        self._check_target_dim(feats, data_samples)
        return self.head.loss(feats, data_samples)

    def predict(self, inputs: Tensor, data_samples: OptSampleList = None) -> SampleList:
        """Embed a batch as is (and mirrored) and decode the teacher's pose and motion.

        Returns:
            list[ActionDataSample]: the input samples (new ones if None) with ``pred_feature``
            [V, d], ``pred_pose`` [d] and, with motion, ``pred_motion`` [d].
        """
        if data_samples is None:
            data_samples = [ActionDataSample() for _ in range(len(inputs))]
        views = [self.extract_feat(inputs)]  # [N, d]
        self._check_target_dim(views[0], data_samples)
        if self.test_cfg.get('flip', True):
            views.append(self.extract_feat(self._flip(inputs)))
        feats = torch.stack(views, dim=1)  # [N, V, d]
        pose, motion = self.head.predict(views[0])  # [N, d], [N, d] or None
        for i, sample in enumerate(data_samples):
            sample.set_field(feats[i], 'pred_feature')
            sample.set_field(pose[i], 'pred_pose')
            if motion is not None:
                sample.set_field(motion[i], 'pred_motion')
        return data_samples

    def _flip(self, inputs: Tensor) -> Tensor:
        flip = getattr(self.data_preprocessor, 'flip', flip_inputs)
        return flip(inputs)

    def _check_target_dim(self, feats: Tensor, data_samples: SampleList) -> None:
        """Raise if the dataset's targets and the backbone's output differ in dimension."""
        out_dim = feats.shape[-1]
        for sample in data_samples:
            if 'pose_target' not in sample:
                continue
            target_dim = torch.as_tensor(sample.pose_target).shape[-1]
            if target_dim != out_dim:
                raise ValueError(
                    f"dataset targets have d={target_dim} but the model's backbone outputs "
                    f'd={out_dim}: set model.backbone.out_channels and model.head.in_channels '
                    f'to {target_dim} (the teacher target dimension of the dataset)')

    def _check_shapes_on_load(self, state_dict: dict, prefix: str, *args) -> None:
        """Load-state-dict pre-hook: a tensor of another shape is an error, not a warning.

        mmengine's checkpoint loader only logs size mismatches and keeps the random init, which
        would silently give a wrong model (e.g. a checkpoint of a d=128 student loaded into a
        d=26 config).
        """
        check_state_dict_shapes(
            self, state_dict, prefix,
            hint='Check model.backbone.out_channels, model.head.in_channels and the input '
            'channels in the config.')
