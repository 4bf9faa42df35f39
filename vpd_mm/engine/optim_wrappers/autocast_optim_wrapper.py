# Copyright (c) vpd_mm contributors. All rights reserved.
"""Mixed-precision training on any device, the CPU included (bfloat16 autocast)."""
from contextlib import contextmanager
from typing import Optional, Union

import torch
from mmaction.registry import OPTIM_WRAPPERS
from mmengine.optim import OptimWrapper
from mmengine.runner.amp import autocast
from torch import nn


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """An :class:`OptimWrapper` whose forward passes run under ``torch.autocast``.

    mmengine's ``AmpOptimWrapper`` needs a GPU (it asserts CUDA, NPU or MLU and scales the loss
    for float16). On a CPU, bfloat16 autocast needs no loss scaling (bfloat16 has float32's
    exponent range) and runs convolutions and matrix products in bfloat16 where the CPU supports
    it (AVX512-BF16, AMX): the VPD student trains about 1.8x faster on such a CPU. Weights,
    gradients and the optimiser state stay float32. ``tools/train.py --amp`` picks this wrapper
    when CUDA is not available and ``AmpOptimWrapper`` otherwise.

    Args:
        dtype (str | torch.dtype): Autocast dtype. Defaults to ``'bfloat16'`` (the only one
            torch's CPU autocast accepts).
        device_type (str, optional): ``'cpu'`` or ``'cuda'``; None takes the device of the
            model's first parameter. Defaults to None.
        **kwargs: :class:`OptimWrapper` arguments (``optimizer``, ``accumulative_counts``,
            ``clip_grad``).
    """

    def __init__(self,
                 dtype: Union[str, torch.dtype] = 'bfloat16',
                 device_type: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(dtype, str):
            if not hasattr(torch, dtype) or not isinstance(getattr(torch, dtype), torch.dtype):
                raise ValueError(f'AutocastOptimWrapper: unknown dtype {dtype!r}')
            dtype = getattr(torch, dtype)
        if device_type not in (None, 'cpu', 'cuda'):
            raise ValueError(f"device_type must be 'cpu', 'cuda' or None, got {device_type!r}")
        self.cast_dtype = dtype
        self.device_type = device_type

    @contextmanager
    def optim_context(self, model: nn.Module):
        """Gradient accumulation context of :class:`OptimWrapper`, plus autocast."""
        device = self.device_type
        if device is None:
            param = next(model.parameters(), None)
            device = 'cpu' if param is None else param.device.type
        with super().optim_context(model), autocast(device_type=device, dtype=self.cast_dtype):
            yield
