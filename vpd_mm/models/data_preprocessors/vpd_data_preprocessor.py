# Copyright (c) vpd_mm contributors. All rights reserved.
"""Batch normalisation of the student's uint8 RGB + quantised-flow inputs."""
from typing import Optional, Sequence, Tuple

import torch
from mmaction.registry import MODELS
from mmaction.utils import OptSampleList
from mmengine.model import BaseDataPreprocessor
from torch import Tensor

from vpd_mm.codecs import FlowQuantizer

RGB_CHANNELS = 3
RGB_FLOW_CHANNELS = 5
FLOW_X_CHANNEL = 3


def flip_inputs(inputs: Tensor) -> Tensor:
    """Mirror preprocessed inputs horizontally.

    Args:
        inputs (Tensor): [..., C, H, W] normalised inputs, C = 3 (RGB) or 5 (RGB + flow x, y).

    Returns:
        Tensor: the mirrored inputs; with flow, flow x is negated.
    """
    flipped = inputs.flip(-1)
    if flipped.shape[-3] != RGB_FLOW_CHANNELS:
        return flipped
    rgb = flipped[..., :FLOW_X_CHANNEL, :, :]  # [..., 3, H, W]
    flow_x = flipped[..., FLOW_X_CHANNEL:FLOW_X_CHANNEL + 1, :, :]  # [..., 1, H, W]
    flow_y = flipped[..., FLOW_X_CHANNEL + 1:, :, :]  # [..., 1, H, W]
    return torch.cat([rgb, -flow_x, flow_y], dim=-3)  # [..., 5, H, W]


@MODELS.register_module()
class VPDDataPreprocessor(BaseDataPreprocessor):
    """Normalise RGB and decode quantised flow on the model's device.

    Inputs are uint8 with channels [R, G, B] or [R, G, B, flow_x, flow_y] at dim -3 (one frame
    [C, H, W] per sample, or [T, C, H, W] per sample as in mmaction2's ``Recognizer2D``). RGB
    becomes ``(x - mean) / std``; flow becomes ``q / 255 - 0.5`` (flow in pixels divided by
    ``2 * flow_bound``, about [-0.5, 0.5]) multiplied by the sample's
    ``metainfo['flow_scale'] = (sx, sy)`` (the resize factor of its crop; (1, 1) if absent).

    Args:
        mean (Sequence[float]): RGB mean in 0..255 units, e.g. Diving48
            ``[86.955, 118.065, 131.58]``. Defaults to ImageNet's.
        std (Sequence[float]): RGB standard deviation in 0..255 units, e.g. Diving48
            ``[41.565, 43.605, 49.215]``. Defaults to ImageNet's.
        flow_bound (float): Quantisation bound of the flow in pixels (documentation and
            decoding to pixels only; the network sees the normalised flow). Defaults to 20.
    """

    def __init__(self,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 flow_bound: float = 20.0) -> None:
        super().__init__()
        if len(mean) != RGB_CHANNELS or len(std) != RGB_CHANNELS:
            raise ValueError(f'mean and std need {RGB_CHANNELS} RGB values, '
                             f'got {list(mean)} and {list(std)}')
        self.flow_quantizer = FlowQuantizer(flow_bound)
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1), False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(-1, 1, 1), False)

    def forward(self, data: dict, training: bool = False) -> dict:
        """Stack, normalise and move a batch to the device.

        Args:
            data (dict): ``inputs``: a list of N uint8 tensors [..., C, H, W] or one stacked
                tensor [N, ..., C, H, W]; ``data_samples``: N data samples or None.
            training (bool): Unused (no batch augmentation). Defaults to False.

        Returns:
            dict: ``inputs`` float32 [N, ..., C, H, W] and the ``data_samples``.
        """
        inputs, data_samples = self.cast_data(data['inputs']), data.get('data_samples')
        if data_samples is not None and self._device.type != 'cpu':
            # on a CPU the samples' tensors are already there: BaseDataElement.to would copy
            # every sample (its metainfo deep-copied) for nothing, ~0.5 ms a frame at inference
            data_samples = self.cast_data(data_samples)
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(list(inputs))  # [N, ..., C, H, W]
        inputs = self.normalize(inputs, data_samples)
        return dict(inputs=inputs, data_samples=data_samples)

    def normalize(self, inputs: Tensor, data_samples: OptSampleList = None) -> Tensor:
        """Normalise RGB and decode flow of a stacked batch.

        Args:
            inputs (Tensor): [N, ..., C, H, W] uint8 (or float 0..255) inputs, C = 3 or 5.
            data_samples (list[ActionDataSample], optional): N samples carrying
                ``flow_scale``. Defaults to None (scale 1).

        Returns:
            Tensor: float32 [N, ..., C, H, W].
        """
        if inputs.ndim < 4:
            raise ValueError(f'expected a batch [N, ..., C, H, W], got {list(inputs.shape)}')
        num_channels = inputs.shape[-3]
        if num_channels not in (RGB_CHANNELS, RGB_FLOW_CHANNELS):
            raise ValueError(f'VPDDataPreprocessor expects {RGB_CHANNELS} (RGB) or '
                             f'{RGB_FLOW_CHANNELS} (RGB + flow x, y) channels, got '
                             f'{num_channels} (inputs {list(inputs.shape)})')
        rgb = (inputs[..., :RGB_CHANNELS, :, :].float() - self.mean) / self.std
        if num_channels == RGB_CHANNELS:
            return rgb
        flow = self.flow_quantizer.decode(inputs[..., RGB_CHANNELS:, :, :], normalize=True)
        scale = self._flow_scales(data_samples, len(inputs), flow.device)  # [N, 2]
        scale = scale.view((-1, ) + (1, ) * (flow.ndim - 4) + (2, 1, 1))  # [N, ..., 2, 1, 1]
        return torch.cat([rgb, flow * scale], dim=-3)  # [N, ..., 5, H, W]

    @staticmethod
    def _flow_scales(data_samples: OptSampleList, num: int, device: torch.device) -> Tensor:
        """The (sx, sy) flow scale of each sample: [N, 2]; (1, 1) where absent."""
        scales = []
        for i in range(num):
            sample = data_samples[i] if data_samples is not None else None
            scale: Optional[Tuple[float, float]] = None
            if sample is not None:
                scale = sample.metainfo.get('flow_scale')
            scales.append((1.0, 1.0) if scale is None else tuple(float(s) for s in scale))
        return torch.tensor(scales, dtype=torch.float32, device=device)

    def flip(self, inputs: Tensor) -> Tensor:
        """Mirror already-preprocessed inputs; see :func:`flip_inputs`.

        Args:
            inputs (Tensor): [..., C, H, W] normalised inputs.

        Returns:
            Tensor: mirrored inputs, flow x negated when C == 5.
        """
        return flip_inputs(inputs)
