# Copyright (c) vpd_mm contributors. All rights reserved.
"""Training-engine pieces mmengine lacks (registered in mmaction's registries): hooks, optimizer
wrappers and their constructors, loops, parameter schedulers."""
from .hooks import NonFiniteGuardHook, StudentVisualizationHook
from .optim_wrappers import AutocastOptimWrapper
from .optimizers import NoParamsOptimWrapperConstructor
from .runner import GalleryBuildLoop
from .schedulers import WarmRestartCosineLR, WarmRestartWeightDecay

__all__ = [
    'AutocastOptimWrapper', 'NonFiniteGuardHook', 'NoParamsOptimWrapperConstructor',
    'GalleryBuildLoop', 'StudentVisualizationHook', 'WarmRestartCosineLR', 'WarmRestartWeightDecay'
]
