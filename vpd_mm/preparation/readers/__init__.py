# Copyright (c) vpd_mm contributors. All rights reserved.
"""Readers of the official annotation formats (Diving48, FineGym, generic lists, folders).

Each reader is registered in mmaction's ``TASK_UTILS`` and returns a
:class:`~vpd_mm.preparation.readers.base.VideoIndex`: the videos to prepare and their action
segments (in source units; mapped onto the prepared frames by the pipeline).
"""
from .base import (VIDEO_EXTS, BaseVideoReader, ReaderError, VideoIndex, actions_on_prepared_frames,
                   build_action_annotations, index_video_files)
from .diving48 import Diving48Reader
from .finegym import GYM99_FX_CLASSES, FineGymFXReader, parse_action_id
from .segments import SegmentListReader
from .video_folder import VideoFolderReader

__all__ = [
    'VIDEO_EXTS', 'BaseVideoReader', 'ReaderError', 'VideoIndex', 'actions_on_prepared_frames',
    'build_action_annotations', 'index_video_files', 'Diving48Reader', 'GYM99_FX_CLASSES',
    'FineGymFXReader', 'parse_action_id', 'SegmentListReader', 'VideoFolderReader'
]
