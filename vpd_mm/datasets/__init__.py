# Copyright (c) vpd_mm contributors. All rights reserved.
"""Datasets and transforms; importing this module registers them in mmaction's registries."""
from . import pose3d  # noqa: F401  (3D poses and VIPE* training pairs)
from .features import (AnnotationError, dump_action_annotations, load_action_annotations,
                       load_feature_sequence, select_actions)
from .pose_target_dataset import VPDPoseTargetDataset, split_videos
from .transforms import (LoadVPDFrame, PackVPDInputs, VPDBackgroundNoise, VPDColorJitter,
                         VPDRandomFlip, VPDRandomResizedCrop, VPDResize)

__all__ = [
    'AnnotationError', 'dump_action_annotations', 'load_action_annotations',
    'load_feature_sequence', 'select_actions',
    'VPDPoseTargetDataset', 'split_videos', 'LoadVPDFrame', 'VPDRandomFlip', 'VPDRandomResizedCrop',
    'VPDResize', 'VPDColorJitter', 'VPDBackgroundNoise', 'PackVPDInputs'
]
