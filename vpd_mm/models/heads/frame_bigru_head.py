# Copyright (c) vpd_mm contributors. All rights reserved.
"""The per-frame BiGRU head of VPD's few-shot temporal detector (logits for every frame)."""
from typing import Optional

import torch
from mmaction.registry import MODELS
from mmaction.utils import OptConfigType
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


@MODELS.register_module()
class FrameBiGRUHead(BaseModule):
    """Dropout -> bidirectional GRU -> a per-frame two-layer classifier.

    Layers (the recipe of the clip-level ``BiGRUHead`` of VPD, without the max over time)::

        Dropout(input_dropout) -> GRU(d, hidden, num_layers, bidirectional)
        -> per frame: BN -> Dropout -> Linear(2h, 2h) -> ReLU -> BN -> Dropout -> Linear(2h, C)

    Padding is handled exactly: the GRU runs on packed sequences (padding never enters the
    backward direction) and the per-frame BatchNorm sees the valid frames only; padding frames
    get logits 0.

    Args:
        in_channels (int): Feature size d.
        num_classes (int): C. Defaults to 2 (background = 0, action = 1).
        hidden_channels (int): GRU hidden size h per direction. Defaults to 128.
        num_layers (int): GRU layers. Defaults to 2.
        input_dropout (float): Dropout on the input features. Defaults to 0.2.
        dropout (float): Dropout of the per-frame classifier. Defaults to 0.5.
        init_cfg (dict, optional): mmengine initialisation config. Defaults to None (PyTorch's
            initialisation of each layer).
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int = 2,
                 hidden_channels: int = 128,
                 num_layers: int = 2,
                 input_dropout: float = 0.2,
                 dropout: float = 0.5,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.num_classes = num_classes
        width = 2 * hidden_channels
        self.input_dropout = nn.Dropout(input_dropout)
        self.gru = nn.GRU(in_channels, hidden_channels, num_layers=num_layers,
                          batch_first=True, bidirectional=True)
        self.classifier = nn.Sequential(
            nn.BatchNorm1d(width), nn.Dropout(dropout), nn.Linear(width, width), nn.ReLU(),
            nn.BatchNorm1d(width), nn.Dropout(dropout), nn.Linear(width, num_classes))

    def forward(self, x: Tensor, lengths: Optional[Tensor] = None) -> Tensor:
        """Per-frame logits of a batch of zero-padded sequences.

        Args:
            x (Tensor): [N, L, d] features.
            lengths (Tensor, optional): [N] valid lengths in [1, L]. Defaults to None (all L).

        Returns:
            Tensor: [N, L, C] logits, zeros at padding frames.
        """
        if x.ndim != 3 or x.shape[-1] != self.in_channels:
            raise ValueError(f'FrameBiGRUHead expects inputs [N, L, {self.in_channels}], '
                             f'got {tuple(x.shape)}')
        n, length = x.shape[:2]
        if lengths is None:
            lengths = torch.full((n, ), length, dtype=torch.long)
        lengths = torch.as_tensor(lengths, dtype=torch.long)
        if lengths.shape != (n, ) or (lengths < 1).any() or (lengths > length).any():
            raise ValueError(f'FrameBiGRUHead: lengths must be {n} values in [1, {length}], '
                             f'got {lengths.tolist()}')
        out = self.input_dropout(x)
        packed = pack_padded_sequence(out, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.gru(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=length)  # [N, L, 2h]
        steps = torch.arange(length, device=x.device)
        valid = steps[None] < lengths.to(x.device)[:, None]  # [N, L]
        logits = out.new_zeros((n, length, self.num_classes))
        logits[valid] = self.classifier(out[valid])  # BN over the valid frames only
        return logits
