# Copyright (c) vpd_mm contributors. All rights reserved.
"""Readers of the official annotation formats (Diving48, FineGym, the VPD authors' FSJump6 and
Tennis7 files, generic lists, folders).

Each reader is registered in mmaction's ``TASK_UTILS`` and returns a
:class:`~vpd_mm.preparation.readers.base.VideoIndex`: the videos to prepare and their action
segments (in source units; mapped onto the prepared frames by the pipeline).
"""
from .base import (VIDEO_EXTS, BaseVideoReader, ReaderError, VideoIndex, actions_on_prepared_frames,
                   build_action_annotations, index_video_files)
from .diving48 import Diving48Reader
from .finegym import GYM99_FX_CLASSES, FineGymFXReader, authors_action_frames, parse_action_id
from .frame_rate import SourceFrameRates
from .fsjump6 import FSJUMP6_CLASSES, FSJump6Reader, parse_routine, widen_jump
from .id_lists import filter_id_list, read_id_file, read_labelled_ids
from .segments import SegmentListReader
from .tennis7 import (TENNIS7_CLASSES, TENNIS7_OTHER_LABELS, TENNIS7_TEST_MATCHES, Tennis7Reader,
                      parse_clip, swing_window)
from .video_folder import VideoFolderReader

__all__ = [
    'VIDEO_EXTS', 'BaseVideoReader', 'ReaderError', 'VideoIndex', 'actions_on_prepared_frames',
    'build_action_annotations', 'index_video_files', 'Diving48Reader', 'GYM99_FX_CLASSES',
    'FineGymFXReader', 'authors_action_frames', 'parse_action_id', 'SourceFrameRates',
    'FSJUMP6_CLASSES', 'FSJump6Reader', 'parse_routine', 'widen_jump', 'filter_id_list',
    'read_id_file', 'read_labelled_ids', 'SegmentListReader', 'TENNIS7_CLASSES',
    'TENNIS7_OTHER_LABELS', 'TENNIS7_TEST_MATCHES', 'Tennis7Reader', 'parse_clip',
    'swing_window', 'VideoFolderReader'
]
