# Copyright (c) vpd_mm contributors. All rights reserved.
"""Deprecated import path (removed in the next release): :mod:`vpd_mm.models.temporal_detectors`.

Importing it (or its submodules ``frame_bigru`` and ``frame_sequence_preprocessor``) warns once.
"""
from vpd_mm.utils.deprecation import moved_module
from ..temporal_detectors import FrameBiGRULocalizer, FrameSequenceDataPreprocessor

__all__ = ['FrameBiGRULocalizer', 'FrameSequenceDataPreprocessor']

__getattr__ = moved_module(__name__, 'vpd_mm.models.temporal_detectors')
