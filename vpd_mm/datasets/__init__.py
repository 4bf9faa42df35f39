# Copyright (c) vpd_mm contributors. All rights reserved.
"""Datasets and transforms; importing this module registers them in mmaction's registries."""
from . import pose3d  # noqa: F401  (3D poses and VIPE* training pairs)
from .action_frames_dataset import VPDActionFramesDataset
from .feature_sequence_dataset import (NumClassesError, VPDFeatureSequenceDataset, carve_val,
                                       check_num_classes, read_id_list, resample_indices,
                                       share_train_id_list)
from .features import (AnnotationError, dump_action_annotations, load_action_annotations,
                       load_feature_sequence, select_actions)
from .frame_label_dataset import FrameLabelDataset, frame_labels, load_clean_features
from .pose_target_dataset import NoVideoLeftError, VPDPoseTargetDataset, split_videos
from .samplers import PoseBalancedSampler, torso_angles
from .transforms import (LoadVPDFrame, PackVPDInputs, VPDBackgroundNoise, VPDColorJitter,
                         VPDRandomFlip, VPDRandomResizedCrop, VPDResize)

__all__ = [
    'AnnotationError', 'dump_action_annotations', 'load_action_annotations',
    'load_feature_sequence', 'select_actions', 'FrameLabelDataset', 'frame_labels',
    'load_clean_features', 'VPDPoseTargetDataset', 'NoVideoLeftError', 'split_videos',
    'LoadVPDFrame',
    'VPDRandomFlip', 'VPDRandomResizedCrop', 'VPDResize', 'VPDColorJitter', 'VPDBackgroundNoise',
    'PackVPDInputs', 'VPDFeatureSequenceDataset', 'VPDActionFramesDataset', 'carve_val',
    'read_id_list', 'resample_indices', 'share_train_id_list', 'PoseBalancedSampler',
    'torso_angles', 'check_num_classes', 'NumClassesError'
]
