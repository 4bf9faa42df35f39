# Copyright (c) vpd_mm contributors. All rights reserved.
"""Deprecated import path (removed in the next release): :mod:`vpd_mm.models.temporal_detectors`."""
from ..temporal_detectors import FrameBiGRULocalizer, FrameSequenceDataPreprocessor

__all__ = ['FrameBiGRULocalizer', 'FrameSequenceDataPreprocessor']
