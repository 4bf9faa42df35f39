# Copyright (c) vpd_mm contributors. All rights reserved.
"""Training-engine pieces mmengine lacks (registered in mmaction's registries)."""
from .hooks import NonFiniteGuardHook
from .optim_wrappers import AutocastOptimWrapper

__all__ = ['AutocastOptimWrapper', 'NonFiniteGuardHook']
