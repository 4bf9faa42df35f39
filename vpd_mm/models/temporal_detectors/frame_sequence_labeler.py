# Copyright (c) vpd_mm contributors. All rights reserved.
"""A per-frame classifier over feature sequences: the model of VPD's few-shot temporal detector."""
import re
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.utils import ConfigType, OptConfigType, OptSampleList, SampleList
from mmengine.model import BaseModel
from torch import Tensor

IGNORE_INDEX = -1

#: Parameter names of the deprecated ``FrameBiGRULocalizer`` (one module, no head) that are
#: the ``FrameBiGRUHead``'s now, below ``head.``.
_OLD_HEAD_KEYS = re.compile(r'^(input_dropout|gru|classifier)\.')


def convert_frame_bigru_state_dict(state_dict: Dict[str, Tensor],
                                   prefix: str = '') -> Dict[str, Tensor]:
    """Map a ``FrameBiGRULocalizer`` state dict onto ``FrameSequenceLabeler`` + ``FrameBiGRUHead``.

    ``gru.*`` and ``classifier.*`` go below ``head.``; ``class_weight`` and any key already in
    the new layout are kept. Works in place on ``state_dict`` (and returns it).

    Args:
        state_dict (dict): Parameter name -> tensor.
        prefix (str): The model's prefix within ``state_dict``. Defaults to ''.
    """
    for key in list(state_dict):
        if key.startswith(prefix) and _OLD_HEAD_KEYS.match(key[len(prefix):]):
            state_dict[f'{prefix}head.{key[len(prefix):]}'] = state_dict.pop(key)
    return state_dict


@MODELS.register_module()
class FrameSequenceLabeler(BaseModel):
    """A class for every frame of a feature sequence (per-frame model of temporal detection).

    The model owns the batching (``data_preprocessor``), the padding mask, the loss and the
    predictions; the ``head`` maps features [N, L, d] with valid lengths [N] to logits
    [N, L, C] (zeros at padding), e.g. :class:`~vpd_mm.models.heads.FrameBiGRUHead`, the paper's
    detector. Another per-frame head is swapped in by config. Frames labelled ``-1`` (no
    features; see ``FrameLabelDataset``) are excluded from the loss.

    Modes of ``forward(inputs [N, L, d], data_samples, mode)``:

    - ``'tensor'``: logits [N, L, C] (zeros at padding frames).
    - ``'loss'``: ``loss_cls``, the mean cross-entropy over the labelled valid frames, and
      ``acc_frame`` (not a loss: logged only).
    - ``'predict'``: data samples with ``pred_frame_scores`` [L_i, C], the per-frame softmax
      of each sample over its own ``num_frames``.

    Data samples carry ``num_frames`` (metainfo; set by ``FrameSequenceDataPreprocessor``) and,
    for the loss, ``gt_frame_labels`` (long [L_i], class per frame, -1 ignored).

    Checkpoints of the deprecated ``FrameBiGRULocalizer`` load as they are (their keys are
    mapped by :func:`convert_frame_bigru_state_dict`).

    Args:
        head (dict): Config of the per-frame head (``in_channels`` and ``num_classes`` are
            read from the built head).
        class_weight (list[float], optional): Cross-entropy class weights. Defaults to None.
        data_preprocessor (dict, optional): Defaults to ``FrameSequenceDataPreprocessor``.
        init_cfg (dict, optional): mmengine initialisation config. Defaults to None.
    """

    def __init__(self,
                 head: ConfigType,
                 class_weight: Optional[List[float]] = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='FrameSequenceDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            # built here with mmaction's registry, whatever the default scope
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.head = MODELS.build(head) if isinstance(head, dict) else head
        missing = [k for k in ('in_channels', 'num_classes') if not hasattr(self.head, k)]
        if missing:
            raise TypeError(f'FrameSequenceLabeler: the head {type(self.head).__name__} has no '
                            f'attribute {" or ".join(missing)} (a per-frame head maps '
                            '[N, L, in_channels] to [N, L, num_classes] logits)')
        self.in_channels = self.head.in_channels
        self.num_classes = self.head.num_classes
        if class_weight is not None:
            if len(class_weight) != self.num_classes:
                raise ValueError(f'FrameSequenceLabeler: {len(class_weight)} class weights for '
                                 f'{self.num_classes} classes')
            self.register_buffer('class_weight', torch.tensor(class_weight, dtype=torch.float32))
        else:
            self.class_weight = None
        self._register_load_state_dict_pre_hook(self._map_old_keys)

    @staticmethod
    def _map_old_keys(state_dict: dict, prefix: str, *args) -> None:
        convert_frame_bigru_state_dict(state_dict, prefix)

    @staticmethod
    def _lengths(inputs: Tensor, data_samples: OptSampleList) -> Tensor:
        """[N] true lengths: each sample's ``num_frames``, else the padded length L."""
        n, length = inputs.shape[:2]
        if data_samples is None:
            return torch.full((n, ), length, dtype=torch.long)
        return torch.tensor([int(s.metainfo.get('num_frames', length)) for s in data_samples],
                            dtype=torch.long)

    def forward(self,
                inputs: Tensor,
                data_samples: OptSampleList = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], SampleList, Tensor]:
        """See the class docstring for the modes."""
        if mode == 'tensor':
            return self.head(inputs, self._lengths(inputs, data_samples))
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
        logits = self.head(inputs, lengths)  # [N, L, C]
        n, length = logits.shape[:2]
        labels = logits.new_full((n, length), IGNORE_INDEX, dtype=torch.long)
        for i, sample in enumerate(data_samples):
            gt = torch.as_tensor(sample.gt_frame_labels, device=logits.device).long()
            if len(gt) != int(lengths[i]):
                raise ValueError(f'sample {i}: {len(gt)} frame labels for {int(lengths[i])} '
                                 'frames')
            labels[i, :len(gt)] = gt
        keep = labels != IGNORE_INDEX  # [N, L]; padding frames are never labelled
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
        probs = self.head(inputs, lengths).softmax(-1)  # [N, L, C]
        if data_samples is None:
            data_samples = [ActionDataSample() for _ in range(len(inputs))]
        for sample, prob, length in zip(data_samples, probs, lengths):
            sample.pred_frame_scores = prob[:int(length)].detach().cpu()
        return data_samples
