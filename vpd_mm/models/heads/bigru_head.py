# Copyright (c) vpd_mm contributors. All rights reserved.
"""The BiGRU action classifier over per-frame feature sequences (VPD paper, section 4)."""
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.models.heads import BaseHead
from mmaction.registry import MODELS
from torch import Tensor
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


@MODELS.register_module()
class BiGRUHead(BaseHead):
    """Input dropout -> 2-layer bidirectional GRU -> max over time -> 2-layer MLP classifier.

    ``Dropout(0.2) -> GRU(d, 128, 2 layers, bidirectional) -> max over the valid time steps ->
    BN -> Dropout(0.5) -> Linear(256, 256) -> ReLU -> BN -> Dropout(0.5) -> Linear(256, C)``.

    Padding is ignored: sequences are packed (``pack_padded_sequence``) with their lengths, and
    padded steps never win the max. A training batch of one sequence uses the batch-norm running
    statistics (batch statistics of one sample are undefined), so tiny few-shot sets whose last
    batch holds one sequence still train.

    Args:
        num_classes (int): Number of classes C.
        in_channels (int): Feature dimension d.
        hidden_channels (int): GRU hidden size per direction. Defaults to 128.
        num_layers (int): GRU layers. Defaults to 2.
        fc_channels (int): Width of the hidden linear layer. Defaults to 256.
        input_dropout (float): Dropout on the input features. Defaults to 0.2.
        dropout (float): Dropout before each linear layer. Defaults to 0.5.
        loss_cls (dict): Loss config. Defaults to ``dict(type='CrossEntropyLoss')``.
        average_clips (str, optional): How predictions of several views of one sample are
            combined at test time (mmaction's ``average_clip``); ``'prob'`` averages the softmax.
            Defaults to ``'prob'``.
        **kwargs: Further :class:`mmaction.models.heads.BaseHead` arguments (``topk``,
            ``label_smooth_eps``, ``init_cfg``).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 hidden_channels: int = 128,
                 num_layers: int = 2,
                 fc_channels: int = 256,
                 input_dropout: float = 0.2,
                 dropout: float = 0.5,
                 loss_cls: Dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 average_clips: Optional[str] = 'prob',
                 **kwargs) -> None:
        super().__init__(
            num_classes, in_channels, loss_cls=loss_cls, average_clips=average_clips, **kwargs)
        self.input_dropout = nn.Dropout(input_dropout)
        self.gru = nn.GRU(
            in_channels, hidden_channels, num_layers, batch_first=True, bidirectional=True)
        out = 2 * hidden_channels
        self.bn1 = nn.BatchNorm1d(out)
        self.drop1 = nn.Dropout(dropout)
        self.fc1 = nn.Linear(out, fc_channels)
        self.bn2 = nn.BatchNorm1d(fc_channels)
        self.drop2 = nn.Dropout(dropout)
        self.fc_cls = nn.Linear(fc_channels, num_classes)

    def _bn(self, bn: nn.BatchNorm1d, x: Tensor) -> Tensor:
        if self.training and x.shape[0] == 1:  # running statistics for a batch of one
            return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, False,
                                0.0, bn.eps)
        return bn(x)

    def forward(self, x: Tensor, lengths: Optional[Tensor] = None, **kwargs) -> Tensor:
        """Class scores of a batch of sequences.

        Args:
            x (Tensor): [B, T, d] zero-padded features.
            lengths (Tensor, optional): [B] valid lengths (>= 1). Defaults to None (all T).

        Returns:
            Tensor: [B, C] class scores (logits).
        """
        b, t, _ = x.shape
        if lengths is None:
            lengths = torch.full((b, ), t, dtype=torch.long)
        lengths = torch.as_tensor(lengths, dtype=torch.long).cpu()
        if (lengths < 1).any() or (lengths > t).any():
            raise ValueError(f'BiGRUHead: lengths must be in [1, {t}], got {lengths.tolist()}')
        x = self.input_dropout(x)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.gru(packed)
        out, _ = pad_packed_sequence(
            out, batch_first=True, padding_value=float('-inf'), total_length=t)  # [B, T, 2h]
        x = out.max(dim=1).values  # [B, 2h]
        x = self.fc1(self.drop1(self._bn(self.bn1, x)))  # [B, fc]
        x = self.drop2(self._bn(self.bn2, F.relu(x)))
        return self.fc_cls(x)  # [B, C]
