# Copyright (c) vpd_mm contributors. All rights reserved.
"""An optimizer-wrapper constructor for models without trainable parameters."""
from typing import Optional

import torch
from mmaction.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.optim import OptimWrapper


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class NoParamsOptimWrapperConstructor:
    """An optimizer wrapper for models without trainable parameters (e.g. DTW-NN).

    mmengine's runner builds an optimizer before training and a torch optimizer refuses an empty
    parameter list; this one holds a single empty placeholder tensor (not part of the model) and
    is never stepped by :class:`vpd_mm.engine.runner.GalleryBuildLoop`.

    Args:
        optim_wrapper_cfg (dict): ``optimizer`` config (e.g. ``dict(type='SGD', lr=0)``) and
            optional ``type`` of the wrapper; ignored apart from the learning rate.
        paramwise_cfg (dict, optional): Ignored.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        self.lr = float(optim_wrapper_cfg.get('optimizer', {}).get('lr', 0.0))

    def __call__(self, model) -> OptimWrapper:
        trainable = [p for p in model.parameters() if p.requires_grad]
        if trainable:
            raise ValueError(f'NoParamsOptimWrapperConstructor: {type(model).__name__} has '
                             f'{len(trainable)} trainable parameters; use an optimizer')
        placeholder = torch.zeros(0, requires_grad=True)
        return OptimWrapper(torch.optim.SGD([placeholder], lr=self.lr))
