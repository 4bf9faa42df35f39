# Copyright (c) vpd_mm contributors. All rights reserved.
"""Deprecated: the synthetic world moved to :mod:`vpd_mm.synthetic`.

This path (and its submodules ``simulated_models``, ``sports_corpus``, ``sports_motions``,
``sports_render``, ``toy_corpus``) keeps working for one release, with a ``DeprecationWarning``.
Note that ``import vpd_mm`` no longer imports it: configs that build the simulated detector or
teacher name ``vpd_mm.synthetic`` in ``custom_imports``.
"""
import sys
import warnings

import vpd_mm.synthetic as _synthetic
from vpd_mm.synthetic import *  # noqa: F401,F403
from vpd_mm.synthetic import (simulated_models, sports_corpus, sports_motions, sports_render,
                              toy_corpus)

__all__ = list(_synthetic.__all__)

warnings.warn(
    'vpd_mm.datasets.synthetic is deprecated and will be removed in the next release: import '
    'vpd_mm.synthetic instead (and add it to custom_imports in configs that build '
    'SimulatedPersonDetector or SimulatedPoseTeacher)', DeprecationWarning, stacklevel=2)

# the old submodule paths resolve to the new modules (no second registration of their classes)
for _module in (simulated_models, sports_corpus, sports_motions, sports_render, toy_corpus):
    sys.modules[f'{__name__}.{_module.__name__.rsplit(".", 1)[1]}'] = _module
