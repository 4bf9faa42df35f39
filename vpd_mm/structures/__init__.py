# Copyright (c) vpd_mm contributors. All rights reserved.
"""Ground-floor data structures and their geometry (no imports from the rest of vpd_mm):
box IoU and the square athlete crops."""
from .bbox import box_iou
from .crops import (athlete_crop_box, athlete_crop_boxes, crop_affine, cut_crop, fill_missing_boxes,
                    image_to_crop_coords)

__all__ = [
    'box_iou', 'athlete_crop_box', 'athlete_crop_boxes', 'crop_affine', 'cut_crop',
    'fill_missing_boxes', 'image_to_crop_coords'
]
