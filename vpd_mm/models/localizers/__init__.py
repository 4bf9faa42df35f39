# Copyright (c) vpd_mm contributors. All rights reserved.
"""Few-shot temporal detection: per-frame models over feature sequences."""
from .frame_bigru import FrameBiGRULocalizer
from .frame_sequence_preprocessor import FrameSequenceDataPreprocessor

__all__ = ['FrameBiGRULocalizer', 'FrameSequenceDataPreprocessor']
