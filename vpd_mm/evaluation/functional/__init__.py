# Copyright (c) vpd_mm contributors. All rights reserved.
"""Pure numerical functions of the evaluation (no registry, no I/O)."""
from .dtw import dtw_cost, dtw_cost_matrix
from .retrieval import retrieval_precision_at_k

__all__ = ['dtw_cost', 'dtw_cost_matrix', 'retrieval_precision_at_k']
