# Copyright (c) vpd_mm contributors. All rights reserved.
"""Data preparation: raw videos + official annotations -> the distillation layout.

Importing it registers the components (detectors, trackers, teachers, readers) in mmaction's
``TASK_UTILS`` registry; mmdet and mmpose are imported only when a component is built.
"""
from . import readers, release, stages  # noqa: F401
from .pipeline import (NothingPreparedError, PrepareLayout, build_preparer, merge_outputs,
                       output_settings, prepare_dataset, read_index, shard_videos)
from .video_preparer import SKIP_REASONS, SkipVideo, StageTimer, VideoPreparer

__all__ = [
    'NothingPreparedError', 'PrepareLayout', 'read_index', 'build_preparer', 'merge_outputs',
    'output_settings', 'prepare_dataset', 'shard_videos', 'SKIP_REASONS', 'SkipVideo',
    'StageTimer', 'VideoPreparer'
]
