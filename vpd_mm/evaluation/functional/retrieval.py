# Copyright (c) vpd_mm contributors. All rights reserved.
"""Precision@k of retrieval by a cost (distance) matrix."""
from typing import Dict, Optional, Sequence, Union

import numpy as np


def retrieval_precision_at_k(cost: np.ndarray,
                             query_labels: Sequence,
                             candidate_labels: Sequence,
                             ks: Sequence[int] = (1, 10, 50),
                             self_index: Optional[np.ndarray] = None,
                             reduction: str = 'mean') -> Dict[str, Union[float, np.ndarray]]:
    """Mean precision@k of ranking candidates by increasing cost.

    For each query the candidates are sorted by increasing cost (a stable sort: ties keep
    the candidates' order; ``inf`` costs rank last), the query itself is removed
    (``self_index[i]`` is query i's column in the candidate set, -1 if it is not a
    candidate), and precision@k is the fraction of the first k remaining candidates whose
    label equals the query's. When fewer than k candidates remain, the fraction is over
    those that remain (so it is not penalised for the short list). The result is the mean
    over queries.

    Args:
        cost (np.ndarray): [Q, C] costs, lower is closer; no NaN.
        query_labels (Sequence): [Q] labels.
        candidate_labels (Sequence): [C] labels.
        ks (Sequence[int]): The k's. Defaults to (1, 10, 50).
        self_index (np.ndarray, optional): [Q] column of each query among the candidates,
            or -1. Defaults to None (no query is a candidate).
        reduction (str): ``'mean'`` (over queries) or ``'none'`` (one value per query, for
            callers that evaluate the queries block by block). Defaults to 'mean'.

    Returns:
        dict[str, float | np.ndarray]: ``'precision@k'`` -> mean precision over queries
        (``reduction='none'``: [Q] float64 precisions).

    Raises:
        ValueError: Mismatched shapes, NaN costs, k < 1, or a query left without candidates.
    """
    cost = np.asarray(cost, dtype=np.float64)
    q_lab = np.asarray(query_labels)
    c_lab = np.asarray(candidate_labels)
    if cost.ndim != 2 or cost.shape != (len(q_lab), len(c_lab)):
        raise ValueError(f'cost must be [Q, C] = [{len(q_lab)}, {len(c_lab)}], '
                         f'got {cost.shape}')
    if np.isnan(cost).any():
        raise ValueError('cost contains NaN')
    ks = tuple(int(k) for k in ks)
    if not ks or min(ks) < 1:
        raise ValueError(f'ks must be positive integers, got {ks}')
    if reduction not in ('mean', 'none'):
        raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")
    num_q, num_c = cost.shape
    if self_index is None:
        self_index = np.full(num_q, -1, dtype=np.int64)
    self_index = np.asarray(self_index, dtype=np.int64)
    if self_index.shape != (num_q, ) or (self_index >= num_c).any() or (self_index < -1).any():
        raise ValueError(f'self_index must be [Q] in [-1, C), got {self_index}')

    has_self = self_index >= 0
    # Excluded entries go past every candidate (beyond inf) via a separate sort key.
    excluded = np.zeros_like(cost, dtype=bool)
    excluded[np.flatnonzero(has_self), self_index[has_self]] = True
    num_left = num_c - has_self.astype(np.int64)  # [Q]
    if (num_left == 0).any():
        raise ValueError(f'query {int(np.flatnonzero(num_left == 0)[0])} has no candidate '
                         'left once itself is excluded')
    order = np.lexsort((cost, excluded), axis=-1)  # [Q, C]: non-excluded first, then by cost
    relevant = c_lab[order] == q_lab[:, None]  # [Q, C]
    hits = np.cumsum(relevant, axis=1)  # [Q, C]
    results = {}
    for k in ks:
        kk = np.minimum(k, num_left)  # [Q]
        per_query = hits[np.arange(num_q), kk - 1] / kk  # [Q]
        results[f'precision@{k}'] = per_query if reduction == 'none' else float(
            np.mean(per_query))
    return results
