# Copyright (c) vpd_mm contributors. All rights reserved.
from .no_params_constructor import NoParamsOptimWrapperConstructor

__all__ = ['NoParamsOptimWrapperConstructor']
