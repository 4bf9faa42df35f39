# Copyright (c) vpd_mm contributors. All rights reserved.
"""Datasets and transforms; importing this module registers them in mmaction's registries."""
from . import pose3d  # noqa: F401  (3D poses and VIPE* training pairs)
from .pose_target_dataset import VPDPoseTargetDataset, split_videos
from .transforms import (LoadVPDFrame, PackVPDInputs, VPDBackgroundNoise, VPDColorJitter,
                         VPDRandomFlip, VPDRandomResizedCrop, VPDResize)

__all__ = [
    'VPDPoseTargetDataset', 'split_videos', 'LoadVPDFrame', 'VPDRandomFlip', 'VPDRandomResizedCrop',
    'VPDResize', 'VPDColorJitter', 'VPDBackgroundNoise', 'PackVPDInputs'
]
