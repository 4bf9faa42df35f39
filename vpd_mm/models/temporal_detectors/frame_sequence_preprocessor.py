# Copyright (c) vpd_mm contributors. All rights reserved.
"""Batching of variable-length per-frame feature sequences (zero padding)."""
from typing import List, Optional

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseDataPreprocessor


@MODELS.register_module()
class FrameSequenceDataPreprocessor(BaseDataPreprocessor):
    """Pad per-sample feature sequences [L_i, d] to one float tensor [N, L_max, d].

    Padding frames are zeros; each sample's true length is recorded in its data sample's
    metainfo as ``num_frames`` (when not set already), which the model turns into a padding
    mask. A tensor input [N, L, d] is kept as is (all samples of full length).
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        """Pad, cast to float32 and move to the device.

        Args:
            data (dict): ``inputs`` (list of [L_i, d] tensors/arrays, or a [N, L, d] tensor)
                and optionally ``data_samples``.
            training (bool): Unused. Defaults to False.

        Returns:
            dict: ``inputs`` [N, L_max, d] float32 and ``data_samples``.
        """
        inputs = data['inputs']
        data_samples: Optional[List] = data.get('data_samples')
        if isinstance(inputs, (list, tuple)):
            seqs = [torch.as_tensor(x).float() for x in inputs]
            dims = {tuple(s.shape[1:]) for s in seqs}
            if any(s.ndim != 2 for s in seqs) or len(dims) != 1:
                raise ValueError('FrameSequenceDataPreprocessor: inputs must be [L, d] with one '
                                 f'd, got shapes {[tuple(s.shape) for s in seqs]}')
            lengths = [len(s) for s in seqs]
            batch = seqs[0].new_zeros((len(seqs), max(lengths), seqs[0].shape[1]))
            for i, s in enumerate(seqs):
                batch[i, :len(s)] = s
        else:
            batch = torch.as_tensor(inputs).float()
            lengths = [batch.shape[1]] * batch.shape[0]
        if data_samples is not None:
            for sample, length in zip(data_samples, lengths):
                if 'num_frames' not in sample:
                    sample.set_metainfo(dict(num_frames=length))
        return self.cast_data(dict(inputs=batch, data_samples=data_samples))
