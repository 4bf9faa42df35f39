# Copyright (c) vpd_mm contributors. All rights reserved.
"""Per-video stages: decoding, person detection, tracking, athlete selection, 2D pose, optical
flow.

The components are registered in mmaction's ``TASK_UTILS`` (configs select them with
``dict(type=...)``); mmdet and mmpose are imported only when a component is built.
"""
from .athlete import AthleteSelector, AthleteTrack, NoAthleteError
from .detection import MMDetPersonDetector
from .flow import (DIS_PRESETS, BaseFlowEstimator, DISFlowEstimator, RAFTFlowEstimator,
                   crop_pair_flow, crop_sequence_flow, dis_flow)
from .pose_teacher import MMPoseTopDownTeacher
from .segmentation import MMDetAthleteSegmenter
from .tracking import MMDetPersonTracker
from .video import (VideoInfo, VideoReadError, check_sampling, iter_video_chunks, probe_video,
                    read_frame_rate, resampled_indices)

__all__ = [
    'VideoInfo', 'VideoReadError', 'probe_video', 'iter_video_chunks', 'resampled_indices',
    'MMDetPersonDetector', 'MMDetPersonTracker', 'AthleteSelector', 'AthleteTrack',
    'NoAthleteError', 'MMPoseTopDownTeacher', 'MMDetAthleteSegmenter', 'check_sampling',
    'read_frame_rate', 'DIS_PRESETS', 'BaseFlowEstimator', 'DISFlowEstimator',
    'RAFTFlowEstimator', 'crop_pair_flow', 'crop_sequence_flow', 'dis_flow'
]
