# Copyright (c) vpd_mm contributors. All rights reserved.
"""Pure numerical functions of the evaluation (no registry, no I/O).

The DTW kernels live in :mod:`vpd_mm.ops` (models use them too); they are re-exported here.
"""
from vpd_mm.ops import (DEFAULT_STEP_PATTERN, STEP_PATTERNS, DTWCandidates, check_step_pattern,
                        dtw_cost, dtw_cost_matrix, dtw_cost_matrix_torch)
from .proposals import (clamp_segment_lengths, detection_ap, length_limits, merge_runs,
                        runs_above_threshold, scores_to_proposals)
from .retrieval import retrieval_precision_at_k

__all__ = [
    'dtw_cost', 'dtw_cost_matrix', 'dtw_cost_matrix_torch', 'DTWCandidates', 'STEP_PATTERNS',
    'DEFAULT_STEP_PATTERN', 'check_step_pattern', 'retrieval_precision_at_k'
]
__all__ += [
    'clamp_segment_lengths', 'detection_ap', 'length_limits', 'merge_runs',
    'runs_above_threshold', 'scores_to_proposals'
]
