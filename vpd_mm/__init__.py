# Copyright (c) vpd_mm contributors. All rights reserved.
"""vpd_mm: Video Pose Distillation as an OpenMMLab plugin.

Importing the package (directly or through ``custom_imports=dict(imports=['vpd_mm'])``) applies
the pinned stack's workarounds first, then registers every vpd_mm module in mmaction's registries.
"""
from . import compat  # noqa: F401,I001  (must come before anything from mmaction.models)
from . import codecs, datasets, engine, evaluation, models, preparation  # noqa: F401
from .version import __version__, version_info

__all__ = ['__version__', 'version_info']
