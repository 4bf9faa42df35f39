# Copyright (c) vpd_mm contributors. All rights reserved.
"""Deprecated location of :mod:`vpd_mm.structures.crops`.

Crop geometry is ground-floor code (data preparation, visualisation and the synthetic corpora use
it), so it moved to ``vpd_mm/structures/``; this module path goes in the next release. The
functions stay importable from :mod:`vpd_mm.apis` (and :mod:`vpd_mm.structures`) without a
warning.
"""
from vpd_mm.structures.crops import (athlete_crop_box, athlete_crop_boxes, crop_affine, cut_crop,
                                     fill_missing_boxes, image_to_crop_coords)
from vpd_mm.utils.deprecation import moved_module

__all__ = [
    'athlete_crop_box', 'athlete_crop_boxes', 'crop_affine', 'cut_crop', 'fill_missing_boxes',
    'image_to_crop_coords'
]

__getattr__ = moved_module(__name__, 'vpd_mm.structures.crops',
                           ' (or the functions from vpd_mm.structures)')
