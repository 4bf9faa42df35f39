# Copyright (c) vpd_mm contributors. All rights reserved.
"""Training-engine pieces mmengine lacks (registered in mmaction's registries)."""
from .optim_wrappers import AutocastOptimWrapper

__all__ = ['AutocastOptimWrapper']
