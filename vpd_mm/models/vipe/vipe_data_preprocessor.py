# Copyright (c) vpd_mm contributors. All rights reserved.
"""Batching of the VIPE* embedder's 39-dim pose inputs."""
from typing import Optional

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseDataPreprocessor


@MODELS.register_module()
class VIPEDataPreprocessor(BaseDataPreprocessor):
    """Stack the per-sample pose vectors into one float tensor on the model's device.

    The inputs are already encoded (``VIPEInputEncoder``: 13 normalised joints x
    (x, y, score - 0.5)), so nothing is normalised here. ``pseudo_collate`` gives a list of
    per-sample tensors, e.g. [3, 39] (view 1, view 2, negative) each; they become [N, 3, 39].
    A tensor input is kept as is (cast to float32).
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        """Stack, cast to float32 and move to the device.

        Args:
            data (dict): ``inputs`` (list of [..., 39] tensors or arrays, or a tensor) and
                optionally ``data_samples``.
            training (bool): Unused. Defaults to False.

        Returns:
            dict: ``inputs`` [N, ..., 39] float32 and ``data_samples``.
        """
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack([torch.as_tensor(x) for x in inputs])  # [N, ..., 39]
        inputs = torch.as_tensor(inputs).float()
        data_samples: Optional[list] = data.get('data_samples')
        return self.cast_data(dict(inputs=inputs, data_samples=data_samples))
