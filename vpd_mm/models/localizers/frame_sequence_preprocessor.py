# Copyright (c) vpd_mm contributors. All rights reserved.
"""Deprecated import path (removed in the next release):
:mod:`vpd_mm.models.temporal_detectors.frame_sequence_preprocessor`."""
from ..temporal_detectors.frame_sequence_preprocessor import FrameSequenceDataPreprocessor

__all__ = ['FrameSequenceDataPreprocessor']
