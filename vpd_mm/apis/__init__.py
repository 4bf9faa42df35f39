# Copyright (c) vpd_mm contributors. All rights reserved.
"""Reusable steps of data preparation: athlete crops, optical flow, VIPE* teacher targets."""
from .crops import athlete_crop_box, athlete_crop_boxes, crop_affine, cut_crop, image_to_crop_coords
from .embed_poses import embed_pose_dataset, embed_pose_views, init_vipe_embedder
from .flow import DIS_PRESETS, DISFlowEstimator, crop_pair_flow, dis_flow

__all__ = [
    'athlete_crop_box', 'athlete_crop_boxes', 'crop_affine', 'cut_crop', 'image_to_crop_coords',
    'DIS_PRESETS', 'DISFlowEstimator', 'dis_flow', 'crop_pair_flow', 'embed_pose_dataset',
    'embed_pose_views', 'init_vipe_embedder'
]
