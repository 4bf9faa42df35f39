# Copyright (c) vpd_mm contributors. All rights reserved.
"""Numerical kernels shared by the models, the evaluation and the workflows (no registry, no I/O).

Dynamic time warping of feature sequences with dtw-python's step patterns: the float64 reference
:func:`dtw_cost`, the float32 numba kernels of :func:`dtw_cost_matrix` (all pairs of two sets,
``dtw_kernels.py``) and the torch wavefront of :func:`dtw_cost_matrix_torch` (CUDA when
available). Used by ``DTWNearestNeighbour`` (models), the evaluation, the retrieval and gallery
workflows (apis) and the tools; :mod:`vpd_mm.evaluation.functional` re-exports them.
"""
from .dtw import (DEFAULT_STEP_PATTERN, STEP_PATTERNS, DTWCandidates, check_step_pattern, dtw_cost,
                  dtw_cost_matrix)
from .dtw_torch import dtw_cost_matrix_torch

__all__ = [
    'dtw_cost', 'dtw_cost_matrix', 'dtw_cost_matrix_torch', 'DTWCandidates', 'STEP_PATTERNS',
    'DEFAULT_STEP_PATTERN', 'check_step_pattern'
]
