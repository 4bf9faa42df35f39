# Copyright (c) vpd_mm contributors. All rights reserved.
"""Per-frame BiGRU: action vs background for every frame of an uncut video (VPD's detector)."""
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.utils import OptConfigType, OptSampleList, SampleList
from mmengine.model import BaseModel
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

IGNORE_INDEX = -1


@MODELS.register_module()
class FrameBiGRULocalizer(BaseModel):
    """Per-frame classifier over a feature sequence (the paper's few-shot temporal detector).

    Layers (the recipe of the clip-level BiGRU of VPD, without the max over time)::

        Dropout(input_dropout) -> GRU(d, hidden, num_layers, bidirectional)
        -> per frame: BN -> Dropout -> Linear(2h, 2h) -> ReLU -> BN -> Dropout -> Linear(2h, C)

    Padding is handled exactly: the GRU runs on packed sequences (padding never enters the
    backward direction) and the per-frame BatchNorm sees the valid frames only. Frames labelled
    ``-1`` (no features; see ``FrameLabelDataset``) are excluded from the loss.

    Modes of ``forward(inputs [N, L, d], data_samples, mode)``:

    - ``'tensor'``: logits [N, L, C] (zeros at padding frames).
    - ``'loss'``: ``loss_cls``, the mean cross-entropy over the labelled valid frames, and
      ``acc_frame`` (not a loss: logged only).
    - ``'predict'``: data samples with ``pred_frame_scores`` [L_i, C], the per-frame softmax
      of each sample over its own ``num_frames``.

    Data samples carry ``num_frames`` (metainfo; set by ``FrameSequenceDataPreprocessor``) and,
    for the loss, ``gt_frame_labels`` (long [L_i], class per frame, -1 ignored).

    Args:
        in_channels (int): Feature size d.
        num_classes (int): C. Defaults to 2 (background = 0, action = 1).
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
        if data_preprocessor is None:
            data_preprocessor = dict(type='FrameSequenceDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            # built here with mmaction's registry, whatever the default scope
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.in_channels = in_channels
        self.num_classes = num_classes
        width = 2 * hidden_channels
        self.input_dropout = nn.Dropout(input_dropout)
        self.gru = nn.GRU(in_channels, hidden_channels, num_layers=num_layers,
                          batch_first=True, bidirectional=True)
        self.classifier = nn.Sequential(
            nn.BatchNorm1d(width), nn.Dropout(dropout), nn.Linear(width, width), nn.ReLU(),
            nn.BatchNorm1d(width), nn.Dropout(dropout), nn.Linear(width, num_classes))
        if class_weight is not None:
            self.register_buffer('class_weight', torch.tensor(class_weight, dtype=torch.float32))
        else:
            self.class_weight = None

    @staticmethod
    def _lengths(inputs: Tensor, data_samples: OptSampleList) -> Tensor:
        n, length = inputs.shape[:2]
        if data_samples is None:
            return torch.full((n, ), length, dtype=torch.long)
        return torch.tensor([int(s.metainfo.get('num_frames', length)) for s in data_samples],
                            dtype=torch.long)

    def _logits(self, inputs: Tensor, lengths: Tensor) -> Tensor:
        """Logits [N, L, C] (zeros at padding) of inputs [N, L, d] with true lengths [N]."""
        if inputs.ndim != 3 or inputs.shape[-1] != self.in_channels:
            raise ValueError(f'FrameBiGRULocalizer expects inputs [N, L, {self.in_channels}], '
                             f'got {tuple(inputs.shape)}')
        n, length = inputs.shape[:2]
        x = self.input_dropout(inputs)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.gru(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=length)  # [N, L, 2h]
        steps = torch.arange(length, device=inputs.device)
        valid = steps[None] < lengths.to(inputs.device)[:, None]  # [N, L]
        logits = out.new_zeros((n, length, self.num_classes))
        logits[valid] = self.classifier(out[valid])  # BN over the valid frames only
        return logits

    def forward(self,
                inputs: Tensor,
                data_samples: OptSampleList = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], SampleList, Tensor]:
        """See the class docstring for the modes."""
        if mode == 'tensor':
            return self._logits(inputs, self._lengths(inputs, data_samples))
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}". Only supports loss, predict and tensor mode')

    def loss(self, inputs: Tensor, data_samples: SampleList) -> Dict[str, Tensor]:
        """Cross-entropy over the labelled valid frames.

        Args:
            inputs (Tensor): [N, L, d].
            data_samples (list): with ``gt_frame_labels`` [L_i].

        Returns:
            dict: ``loss_cls`` and ``acc_frame``.
        """
        lengths = self._lengths(inputs, data_samples)
        logits = self._logits(inputs, lengths)
        n, length = logits.shape[:2]
        labels = logits.new_full((n, length), IGNORE_INDEX, dtype=torch.long)
        for i, sample in enumerate(data_samples):
            gt = torch.as_tensor(sample.gt_frame_labels, device=logits.device).long()
            if len(gt) != int(lengths[i]):
                raise ValueError(f'sample {i}: {len(gt)} frame labels for {int(lengths[i])} '
                                 'frames')
            labels[i, :len(gt)] = gt
        keep = labels != IGNORE_INDEX
        if not keep.any():
            # nothing labelled: a zero loss that still depends on the parameters
            return dict(loss_cls=logits.sum() * 0., acc_frame=logits.new_zeros(()))
        weight = self.class_weight.to(logits) if self.class_weight is not None else None
        loss = F.cross_entropy(logits[keep], labels[keep], weight=weight)
        with torch.no_grad():
            acc = (logits[keep].argmax(-1) == labels[keep]).float().mean()
        return dict(loss_cls=loss, acc_frame=acc)

    def predict(self, inputs: Tensor, data_samples: OptSampleList = None) -> SampleList:
        """Per-frame softmax of each sample.

        Args:
            inputs (Tensor): [N, L, d].
            data_samples (list, optional): One per sample (created when None).

        Returns:
            list: the data samples with ``pred_frame_scores`` [L_i, C] (CPU float tensors).
        """
        from mmaction.structures import ActionDataSample
        lengths = self._lengths(inputs, data_samples)
        probs = self._logits(inputs, lengths).softmax(-1)
        if data_samples is None:
            data_samples = [ActionDataSample() for _ in range(len(inputs))]
        for sample, prob, length in zip(data_samples, probs, lengths):
            sample.pred_frame_scores = prob[:int(length)].detach().cpu()
        return data_samples
