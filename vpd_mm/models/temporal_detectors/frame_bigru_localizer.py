# Copyright (c) vpd_mm contributors. All rights reserved.
"""``FrameBiGRULocalizer``: the deprecated name of ``FrameSequenceLabeler`` + ``FrameBiGRUHead``."""
import warnings
from typing import List, Optional

from mmaction.registry import MODELS
from mmaction.utils import OptConfigType

from .frame_sequence_labeler import FrameSequenceLabeler


@MODELS.register_module()
class FrameBiGRULocalizer(FrameSequenceLabeler):
    """Deprecated (removed in the next release): a ``FrameSequenceLabeler`` with a
    ``FrameBiGRUHead``, built from the old flat arguments.

    ``dict(type='FrameBiGRULocalizer', in_channels=d, hidden_channels=h, ...)`` is
    ``dict(type='FrameSequenceLabeler', class_weight=..., data_preprocessor=...,
    head=dict(type='FrameBiGRUHead', in_channels=d, hidden_channels=h, ...))``: same layers,
    same initialisation for the same seed. Building it warns with a ``DeprecationWarning``.

    Args:
        in_channels (int): Feature size d.
        num_classes (int): C. Defaults to 2.
        hidden_channels (int): GRU hidden size h. Defaults to 128.
        num_layers (int): GRU layers. Defaults to 2.
        input_dropout (float): Dropout on the input features. Defaults to 0.2.
        dropout (float): Dropout of the per-frame classifier. Defaults to 0.5.
        class_weight (list[float], optional): Cross-entropy class weights. Defaults to None.
        data_preprocessor (dict, optional): Defaults to ``FrameSequenceDataPreprocessor``.
        init_cfg (dict, optional): mmengine initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int = 2,
                 hidden_channels: int = 128,
                 num_layers: int = 2,
                 input_dropout: float = 0.2,
                 dropout: float = 0.5,
                 class_weight: Optional[List[float]] = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        warnings.warn(
            "model type 'FrameBiGRULocalizer' is deprecated and will be removed in the next "
            "release: use dict(type='FrameSequenceLabeler', head=dict(type='FrameBiGRUHead', "
            'in_channels=..., ...)) (configs/temporal_detection/_base_/bigru.py)',
            DeprecationWarning, stacklevel=2)
        head = dict(
            type='FrameBiGRUHead',
            in_channels=in_channels,
            num_classes=num_classes,
            hidden_channels=hidden_channels,
            num_layers=num_layers,
            input_dropout=input_dropout,
            dropout=dropout)
        super().__init__(head=head, class_weight=class_weight,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
