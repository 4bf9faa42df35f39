# Copyright (c) vpd_mm contributors. All rights reserved.
"""Deprecated location of :mod:`vpd_mm.structures.crops`.

Crop geometry is ground-floor code (data preparation, visualisation and the synthetic corpora use
it), so it moved to ``vpd_mm/structures/``; this module path goes in the next release. The
functions stay importable from :mod:`vpd_mm.apis` (and :mod:`vpd_mm.structures`) without a
warning.
"""
import warnings

from vpd_mm.structures import crops as _moved
from vpd_mm.structures.crops import (athlete_crop_box, athlete_crop_boxes, crop_affine, cut_crop,
                                     fill_missing_boxes, image_to_crop_coords)

__all__ = [
    'athlete_crop_box', 'athlete_crop_boxes', 'crop_affine', 'cut_crop', 'fill_missing_boxes',
    'image_to_crop_coords'
]

warnings.warn(
    'vpd_mm.apis.crops is deprecated and will be removed in the next release: import '
    'vpd_mm.structures.crops (or the functions from vpd_mm.structures)',
    DeprecationWarning,
    stacklevel=2)


def __getattr__(name: str):
    """Every other name of :mod:`vpd_mm.structures.crops` (PEP 562)."""
    return getattr(_moved, name)
