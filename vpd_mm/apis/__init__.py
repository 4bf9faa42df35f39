# Copyright (c) vpd_mm contributors. All rights reserved.
"""Reusable steps of the workflows: teacher features, few-shot runs, retrieval, temporal
detection, the export to MMAction2's localizers, and inference on one video
(``demo/vpd_demo.py``).

Crop geometry (now :mod:`vpd_mm.structures.crops`) and optical flow (now
:mod:`vpd_mm.preparation.stages.flow`) are re-exported here for one release.
"""
# moved out of apis/ (issue 15)
from vpd_mm.preparation.stages.flow import (DIS_PRESETS, BaseFlowEstimator, DISFlowEstimator,
                                            RAFTFlowEstimator, crop_pair_flow, crop_sequence_flow,
                                            dis_flow)
from vpd_mm.structures.crops import (athlete_crop_box, athlete_crop_boxes, crop_affine, cut_crop,
                                     fill_missing_boxes, image_to_crop_coords)
from .actions_to_pose_pkl import actions_to_pose_pkl, fill_missing_joints
from .embed_poses import embed_pose_dataset, embed_pose_views, init_vipe_embedder
from .fewshot import run_fewshot_subset, sample_fewshot_subsets
from .inference import run_video_inference
from .inference_fewshot import fewshot_confusion, predict_test_set
from .inference_gallery import gallery_neighbours, sliding_windows
from .inference_student import (extract_student_outputs, init_student, load_checkpoint_weights,
                                write_feature_array)
from .inference_video import (VideoInferenceError, decode_frames, load_prep_config,
                              prepare_single_video, track_video)
from .localization_export import LocalizationExportError, export_localization, resample_sequence
from .pose_features import pose_feature_views, write_pose_features, write_video_actions
from .retrieval import dtw_retrieval, load_action_sequences
from .temporal_detection import make_toy_detection_data, run_temporal_detection

__all__ = [
    'actions_to_pose_pkl', 'fill_missing_joints', 'athlete_crop_box', 'athlete_crop_boxes',
    'crop_affine', 'cut_crop', 'fill_missing_boxes', 'image_to_crop_coords', 'embed_pose_dataset',
    'embed_pose_views', 'init_vipe_embedder', 'run_fewshot_subset', 'sample_fewshot_subsets',
    'DIS_PRESETS', 'BaseFlowEstimator', 'DISFlowEstimator', 'RAFTFlowEstimator',
    'crop_pair_flow', 'crop_sequence_flow', 'dis_flow',
    'LocalizationExportError', 'export_localization', 'resample_sequence', 'pose_feature_views',
    'write_pose_features', 'write_video_actions', 'dtw_retrieval', 'load_action_sequences',
    'make_toy_detection_data', 'run_temporal_detection', 'VideoInferenceError', 'decode_frames',
    'extract_student_outputs', 'fewshot_confusion', 'gallery_neighbours', 'init_student',
    'load_checkpoint_weights', 'load_prep_config', 'predict_test_set', 'prepare_single_video',
    'run_video_inference', 'sliding_windows', 'track_video', 'write_feature_array'
]
