# Copyright (c) vpd_mm contributors. All rights reserved.
"""Deprecated import path (removed in the next release):
:mod:`vpd_mm.models.temporal_detectors.frame_bigru_localizer`."""
from ..temporal_detectors.frame_bigru_localizer import FrameBiGRULocalizer
from ..temporal_detectors.frame_sequence_labeler import IGNORE_INDEX

__all__ = ['FrameBiGRULocalizer', 'IGNORE_INDEX']
