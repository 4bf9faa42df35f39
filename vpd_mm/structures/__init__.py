# Copyright (c) vpd_mm contributors. All rights reserved.
"""Ground-floor data structures and their geometry (no imports from the rest of vpd_mm)."""
from .bbox import box_iou

__all__ = ['box_iou']
