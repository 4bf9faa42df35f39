# Copyright (c) vpd_mm contributors. All rights reserved.
"""Recognizers over feature sequences and over frozen-student crops.

``GalleryBuildLoop`` and ``NoParamsOptimWrapperConstructor`` moved to :mod:`vpd_mm.engine`; they
are still exported here for one release (see ``gallery_loop.py``).
"""
from vpd_mm.engine.optimizers import NoParamsOptimWrapperConstructor
from vpd_mm.engine.runner import GalleryBuildLoop
from .dtw_nearest_neighbour import DTWNearestNeighbour
from .frozen_student_recognizer import FrozenStudentRecognizer
from .sequence_recognizer import FeatureSequenceRecognizer

__all__ = [
    'FeatureSequenceRecognizer', 'FrozenStudentRecognizer', 'DTWNearestNeighbour',
    'GalleryBuildLoop', 'NoParamsOptimWrapperConstructor'
]
