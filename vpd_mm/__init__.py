# Copyright (c) vpd_mm contributors. All rights reserved.
"""vpd_mm: Video Pose Distillation as an OpenMMLab plugin."""
from . import compat  # noqa: F401  (must come before anything from mmaction)
from .version import __version__, version_info

__all__ = ['__version__', 'version_info']
