# Copyright (c) vpd_mm contributors. All rights reserved.
"""Recognizers over feature sequences and over frozen-student crops.

``GalleryBuildLoop`` and ``NoParamsOptimWrapperConstructor`` moved to :mod:`vpd_mm.engine`; they
are still importable from here for one release (see ``gallery_loop.py``), resolved on first use
so that importing the models does not import the engine (a layer above them).
"""
import importlib

from .dtw_nearest_neighbour import DTWNearestNeighbour
from .frozen_student_recognizer import FrozenStudentRecognizer
from .sequence_recognizer import FeatureSequenceRecognizer

__all__ = ['FeatureSequenceRecognizer', 'FrozenStudentRecognizer', 'DTWNearestNeighbour']

_MOVED_TO_ENGINE = dict(
    GalleryBuildLoop='vpd_mm.engine.runner',
    NoParamsOptimWrapperConstructor='vpd_mm.engine.optimizers')


def __getattr__(name: str):
    """The classes that moved to :mod:`vpd_mm.engine` (PEP 562)."""
    if name in _MOVED_TO_ENGINE:
        return getattr(importlib.import_module(_MOVED_TO_ENGINE[name]), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
