# Copyright (c) vpd_mm contributors. All rights reserved.
"""Recognizers over feature sequences and over frozen-student crops."""
from .dtw_nearest_neighbour import DTWNearestNeighbour
from .frozen_student_recognizer import FrozenStudentRecognizer
from .gallery_loop import GalleryBuildLoop, NoParamsOptimWrapperConstructor
from .sequence_recognizer import FeatureSequenceRecognizer

__all__ = [
    'FeatureSequenceRecognizer', 'FrozenStudentRecognizer', 'DTWNearestNeighbour',
    'GalleryBuildLoop', 'NoParamsOptimWrapperConstructor'
]
