# Copyright (c) vpd_mm contributors. All rights reserved.
"""3D pose data for VIPE*: geometry, corpus readers, a synthetic corpus and the triplet dataset."""
from .geometry import (KEPT_FLIP_INDICES, LIFT_BONES, LIFT_DIM, LIFT_PARENTS, bone_directions,
                       canonicalize, lifting_targets, max_bone_angle, mirror_3d,
                       project_orthographic, project_perspective, random_cameras, rotation_matrices)
from .h36m_cameras import H36M_CAMERA_IDS, h36m_cameras
from .readers import load_amass_joints, load_h36m_detections, load_h36m_npz
from .synthetic import JOINT_LIMITS, MOTIONS, synthetic_sequences
from .vipe_pair_dataset import VIPEPairDataset

__all__ = [
    'KEPT_FLIP_INDICES', 'LIFT_BONES', 'LIFT_DIM', 'LIFT_PARENTS', 'bone_directions',
    'canonicalize', 'lifting_targets', 'max_bone_angle', 'mirror_3d', 'project_orthographic',
    'project_perspective', 'random_cameras', 'rotation_matrices', 'H36M_CAMERA_IDS',
    'h36m_cameras', 'load_amass_joints', 'load_h36m_detections', 'load_h36m_npz',
    'JOINT_LIMITS', 'MOTIONS', 'synthetic_sequences', 'VIPEPairDataset'
]
