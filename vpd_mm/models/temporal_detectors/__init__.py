# Copyright (c) vpd_mm contributors. All rights reserved.
"""Temporal detection: per-frame models over feature sequences (the heads are in ``heads/``)."""
from .frame_bigru_localizer import FrameBiGRULocalizer
from .frame_sequence_labeler import FrameSequenceLabeler, convert_frame_bigru_state_dict
from .frame_sequence_preprocessor import FrameSequenceDataPreprocessor

__all__ = [
    'FrameSequenceLabeler', 'FrameSequenceDataPreprocessor', 'FrameBiGRULocalizer',
    'convert_frame_bigru_state_dict'
]
