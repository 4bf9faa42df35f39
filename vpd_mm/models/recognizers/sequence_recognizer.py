# Copyright (c) vpd_mm contributors. All rights reserved.
"""Action recognition from per-frame feature sequences (VPD students, teachers, concatenations)."""
from typing import Dict, Tuple

import torch
import torch.nn.functional as F
from mmaction.models.recognizers import BaseRecognizer
from mmaction.registry import MODELS
from mmaction.utils import ConfigType, OptConfigType, OptSampleList, SampleList
from torch import Tensor


def sequence_lengths(data_samples: OptSampleList, num: int, max_len: int,
                     device: torch.device) -> Tensor:
    """Valid lengths [N] from the samples' ``num_frames`` metainfo (``max_len`` where absent)."""
    lengths = []
    for i in range(num):
        sample = data_samples[i] if data_samples is not None else None
        length = None if sample is None else sample.metainfo.get('num_frames')
        lengths.append(max_len if length is None else int(length))
    return torch.tensor(lengths, dtype=torch.long, device=device)


def majority_class(counts: Tensor) -> int:
    """The most frequent class of ``counts`` [C] (the smallest index on ties)."""
    return int(torch.argmax(counts).item())


class SequenceRecognizerBase(BaseRecognizer):
    """A :class:`BaseRecognizer` whose ``'tensor'`` mode also receives the data samples.

    mmaction's ``BaseRecognizer.forward`` calls ``_forward(inputs)`` without them, but sequence
    recognizers need the samples' ``num_frames`` (true lengths of the padded sequences).
    """

    def forward(self,
                inputs: Tensor,
                data_samples: OptSampleList = None,
                mode: str = 'tensor',
                **kwargs):
        """``'loss'``, ``'predict'`` or ``'tensor'`` (``_forward(inputs, data_samples)``)."""
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        return super().forward(inputs, data_samples, mode, **kwargs)


@MODELS.register_module()
class FeatureSequenceRecognizer(SequenceRecognizerBase):
    """A classification head (e.g. :class:`BiGRUHead`) over per-frame feature sequences.

    Inputs are zero-padded batches [N, V, T, d] (``sequence_collate``) of V flip views, with the
    true lengths in each data sample's ``num_frames`` metainfo.

    - ``loss``: every view is its own training sequence (labels repeated over views).
    - ``predict``: the head scores each view and averages over the V views of a sample with its
      ``average_clips`` (``'prob'``: the softmax averaged over views), mmaction's
      ``ActionDataSample`` ``pred_score`` / ``pred_label`` as read by ``AccMetric``.
    - ``tensor``: class scores [N, V, C].

    **Actions without features** (``num_frames == 0``) are predicted as the most common class
    of the training labels: buffer ``class_counts`` [C] counts the labels of the sequences the
    model was trained on (incremented by every ``loss`` call, saved in checkpoints), and such a
    sample gets the one-hot score of its argmax. Empty sequences never enter the loss.

    Args:
        cls_head (dict): The head, e.g. ``dict(type='BiGRUHead', num_classes=48,
            in_channels=128)``; its ``forward(x [B, T, d], lengths [B])`` gives [B, C].
        backbone (dict, optional): Per-sequence feature transform; defaults to
            ``dict(type='torch.nn.Identity')`` (the features are precomputed).
        data_preprocessor (dict, optional): Defaults to mmengine's ``BaseDataPreprocessor``
            (moves the batch to the device).
        train_cfg (dict, optional): Unused. Defaults to None.
        test_cfg (dict, optional): Unused. Defaults to None.
    """

    def __init__(self,
                 cls_head: ConfigType,
                 backbone: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None) -> None:
        super().__init__(
            backbone=backbone or dict(type='torch.nn.Identity'),
            cls_head=cls_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor or dict(type='BaseDataPreprocessor'))
        self.register_buffer('class_counts', torch.zeros(self.cls_head.num_classes,
                                                         dtype=torch.long))

    # ------------------------------------------------------------------ features
    def sequence_features(self, inputs: Tensor, data_samples: OptSampleList = None) -> Tensor:
        """Per-frame features of every view.

        Args:
            inputs (Tensor): [N, V, T, d] (or [N, T, d], one view) padded features.
            data_samples (list[ActionDataSample], optional): Unused here.

        Returns:
            Tensor: [N, V, T, d].
        """
        if inputs.ndim == 3:
            inputs = inputs[:, None]  # [N, 1, T, d]
        if inputs.ndim != 4:
            raise ValueError(f'{type(self).__name__} expects inputs [N, V, T, d], got '
                             f'{list(inputs.shape)}')
        return self.backbone(inputs)

    def extract_feat(self,
                     inputs: Tensor,
                     data_samples: OptSampleList = None,
                     **kwargs) -> Tuple[Tensor, Dict]:
        """View sequences and their lengths.

        Returns:
            tuple: features [N * V, T, d] (sample-major: the V views of sample 0 first) and
            ``dict(lengths=[N * V], num_views=V)`` (lengths as given, possibly 0).
        """
        feats = self.sequence_features(inputs, data_samples)  # [N, V, T, d]
        n, v, t = feats.shape[:3]
        lengths = sequence_lengths(data_samples, n, t, feats.device)  # [N]
        return feats.flatten(0, 1), dict(lengths=lengths.repeat_interleave(v), num_views=v)

    def _scores(self, inputs: Tensor, data_samples: OptSampleList) -> Tuple[Tensor, Tensor, int]:
        """Class scores [N * V, C] (empty sequences scored as one frame), lengths, V."""
        feats, extra = self.extract_feat(inputs, data_samples)  # [N * V, T, d]
        lengths = extra['lengths']
        scores = self.cls_head(feats, lengths=lengths.clamp(min=1))  # [N * V, C]
        return scores, lengths, extra['num_views']

    # ------------------------------------------------------------------ modes
    def loss(self, inputs: Tensor, data_samples: SampleList, **kwargs) -> Dict[str, Tensor]:
        """Cross-entropy over every non-empty view sequence; counts the training labels."""
        feats, extra = self.extract_feat(inputs, data_samples)  # [N * V, T, d]
        lengths, v = extra['lengths'], extra['num_views']
        keep = lengths > 0  # [N * V]
        samples = [s for s in data_samples for _ in range(v)]
        samples = [s for s, k in zip(samples, keep.tolist()) if k]
        if not samples:
            raise ValueError('a training batch holds only actions without features; the '
                             'training split should drop them (VPDFeatureSequenceDataset)')
        scores = self.cls_head(feats[keep], lengths=lengths[keep])  # [B', C]
        losses = self.cls_head.loss_by_feat(scores, samples)
        labels = torch.stack([s.gt_label.reshape(-1)[0] for s in samples[::v]])
        self.class_counts += torch.bincount(
            labels.to(self.class_counts.device), minlength=len(self.class_counts))
        return losses

    def predict(self, inputs: Tensor, data_samples: SampleList, **kwargs) -> SampleList:
        """Scores averaged over the views (``cls_head.average_clips``); see the class doc."""
        scores, lengths, v = self._scores(inputs, data_samples)
        samples = self.cls_head.predict_by_feat(scores, data_samples)
        empty = (lengths.view(-1, v) == 0).all(dim=1).tolist()  # [N]
        if any(empty):
            majority = majority_class(self.class_counts)
            onehot = F.one_hot(torch.tensor(majority), self.cls_head.num_classes).float()
            for sample, is_empty in zip(samples, empty):
                if is_empty:
                    sample.set_pred_score(onehot.to(scores.device))
                    sample.set_pred_label(torch.tensor([majority], device=scores.device))
        return samples

    def _forward(self, inputs: Tensor, data_samples: OptSampleList = None, **kwargs) -> Tensor:
        """Class scores [N, V, C] of every view (no averaging)."""
        scores, _, v = self._scores(inputs, data_samples)
        return scores.view(-1, v, scores.shape[-1])

    @property
    def majority_label(self) -> int:
        """int: The most common class among the labels trained on."""
        return majority_class(self.class_counts)
