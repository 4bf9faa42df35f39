# Copyright (c) vpd_mm contributors. All rights reserved.
"""Reusable steps of the workflows: crops, flow and teacher features (data preparation),
few-shot runs, retrieval, temporal detection and the export to MMAction2's localizers."""
from .actions_to_pose_pkl import actions_to_pose_pkl, fill_missing_joints
from .crops import (athlete_crop_box, athlete_crop_boxes, crop_affine, cut_crop, fill_missing_boxes,
                    image_to_crop_coords)
from .embed_poses import embed_pose_dataset, embed_pose_views, init_vipe_embedder
from .fewshot import run_fewshot_subset, sample_fewshot_subsets
from .flow import (DIS_PRESETS, BaseFlowEstimator, DISFlowEstimator, RAFTFlowEstimator,
                   build_flow_estimator, crop_pair_flow, crop_sequence_flow, dis_flow)
from .localization_export import LocalizationExportError, export_localization, resample_sequence
from .pose_features import pose_feature_views, write_pose_features, write_video_actions
from .retrieval import dtw_retrieval, load_action_sequences
from .temporal_detection import make_toy_detection_data, run_temporal_detection

__all__ = [
    'actions_to_pose_pkl', 'fill_missing_joints', 'athlete_crop_box', 'athlete_crop_boxes',
    'crop_affine', 'cut_crop', 'fill_missing_boxes', 'image_to_crop_coords', 'embed_pose_dataset',
    'embed_pose_views', 'init_vipe_embedder', 'run_fewshot_subset', 'sample_fewshot_subsets',
    'DIS_PRESETS', 'BaseFlowEstimator', 'DISFlowEstimator', 'RAFTFlowEstimator',
    'build_flow_estimator', 'crop_pair_flow', 'crop_sequence_flow', 'dis_flow',
    'LocalizationExportError', 'export_localization', 'resample_sequence', 'pose_feature_views',
    'write_pose_features', 'write_video_actions', 'dtw_retrieval', 'load_action_sequences',
    'make_toy_detection_data', 'run_temporal_detection'
]
