# Copyright (c) vpd_mm contributors. All rights reserved.
"""Deprecated location of :class:`~vpd_mm.engine.runner.GalleryBuildLoop` and
:class:`~vpd_mm.engine.optimizers.NoParamsOptimWrapperConstructor` (moved to
``vpd_mm.engine``; this module goes in the next release). The registered names are unchanged,
so configs need no edit."""
import warnings

from vpd_mm.engine.optimizers import NoParamsOptimWrapperConstructor
from vpd_mm.engine.runner import GalleryBuildLoop

warnings.warn(
    'vpd_mm.models.recognizers.gallery_loop is deprecated and will be removed in the next '
    'release: import GalleryBuildLoop from vpd_mm.engine.runner and '
    'NoParamsOptimWrapperConstructor from vpd_mm.engine.optimizers (or both from vpd_mm.engine)',
    DeprecationWarning,
    stacklevel=2)

__all__ = ['GalleryBuildLoop', 'NoParamsOptimWrapperConstructor']
