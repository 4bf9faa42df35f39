# Copyright (c) vpd_mm contributors. All rights reserved.
"""Pure numerical functions of the evaluation (no registry, no I/O)."""
from .dtw import dtw_cost, dtw_cost_matrix, dtw_cost_matrix_packed, pack_sequences
from .proposals import (clamp_segment_lengths, detection_ap, length_limits, merge_runs,
                        runs_above_threshold, scores_to_proposals)
from .retrieval import retrieval_precision_at_k

__all__ = [
    'dtw_cost', 'dtw_cost_matrix', 'retrieval_precision_at_k', 'dtw_cost_matrix_packed',
    'pack_sequences'
]
__all__ += [
    'clamp_segment_lengths', 'detection_ap', 'length_limits', 'merge_runs',
    'runs_above_threshold', 'scores_to_proposals'
]
