# Copyright (c) vpd_mm contributors. All rights reserved.
"""Deprecated location of :class:`~vpd_mm.engine.runner.GalleryBuildLoop` and
:class:`~vpd_mm.engine.optimizers.NoParamsOptimWrapperConstructor` (moved to
``vpd_mm.engine``; this module goes in the next release). The registered names are unchanged,
so configs need no edit."""
from vpd_mm.engine.optimizers import NoParamsOptimWrapperConstructor
from vpd_mm.engine.runner import GalleryBuildLoop
from vpd_mm.utils.deprecation import moved_module

__all__ = ['GalleryBuildLoop', 'NoParamsOptimWrapperConstructor']

__getattr__ = moved_module(
    __name__, 'vpd_mm.engine',
    ' (GalleryBuildLoop from vpd_mm.engine.runner, NoParamsOptimWrapperConstructor from '
    'vpd_mm.engine.optimizers)')
