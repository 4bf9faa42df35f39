# Copyright (c) vpd_mm contributors. All rights reserved.
"""Retrieval of feature sequences by DTW alignment cost (SPEC section 4): deprecated.

Retrieval is evaluated by ``tools/retrieval.py`` (:func:`vpd_mm.apis.dtw_retrieval`): the
documented protocol (queries of one split against every labelled action), in blocks of
queries with bounded memory, on the CPU or a GPU. This metric computed a second, different
protocol (every collected sample against all others, one all-pairs matrix) that no config used;
it warns from this release and goes in the next one.
"""
import warnings
from typing import Any, Optional, Sequence, Union

import numpy as np
import torch
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric

from vpd_mm.ops import DEFAULT_STEP_PATTERN, check_step_pattern, dtw_cost_matrix
from ..functional.retrieval import retrieval_precision_at_k


def _to_numpy(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().float().cpu().numpy()
    return np.asarray(x)


@METRICS.register_module()
class DTWRetrievalMetric(BaseMetric):
    """Deprecated (use ``tools/retrieval.py``): every sequence ranks all the others by DTW
    alignment cost; precision@k.

    The same numbers as ``dtw_retrieval(seqs, labels, ks=ks, view=view,
    step_pattern=step_pattern)`` with every sequence a query (see the module docstring).

    Each data sample brings ``features`` ([T, V, d] per-frame features of V flip views, or
    [T, d] for a single view) and ``gt_label``. ``compute_metrics`` takes the frame vectors
    chosen by ``view`` of every sample, computes the normalised DTW costs of all pairs with
    :func:`~vpd_mm.ops.dtw_cost_matrix` (Euclidean frame cost, step pattern
    ``step_pattern``) and returns the mean precision@k over queries, relevant = same label,
    the query itself excluded (:func:`~vpd_mm.evaluation.functional.retrieval_precision_at_k`;
    when fewer than k others exist the precision is over those). Ties keep the dataset order;
    pairs the step pattern cannot align cost ``inf`` and rank last.

    Args:
        ks (Sequence[int]): The k's. Defaults to (1, 10, 50).
        view (int | str): 'concat' (the V views of a frame side by side, [T, V * d]: the
            authors' frame vector), 'mean' (their mean) or a flip view index. Defaults to
            'concat'.
        step_pattern (str): 'symmetricP2' (the authors'), 'symmetric1' or 'symmetric2'.
            Defaults to 'symmetricP2'.
        num_threads (int, optional): numba threads for the DTW. Defaults to None (all).
        collect_device (str): Device for collecting results across ranks. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix. Defaults to 'retrieval'.
    """

    default_prefix = 'retrieval'

    def __init__(self,
                 ks: Sequence[int] = (1, 10, 50),
                 view: Union[int, str] = 'concat',
                 step_pattern: str = DEFAULT_STEP_PATTERN,
                 num_threads: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        warnings.warn(
            'DTWRetrievalMetric is deprecated and will be removed in the next release: evaluate '
            'retrieval with tools/retrieval.py (vpd_mm.apis.dtw_retrieval)',
            DeprecationWarning,
            stacklevel=2)
        super().__init__(collect_device=collect_device, prefix=prefix)
        if isinstance(ks, int):
            ks = (ks, )
        if not ks or any(int(k) < 1 for k in ks):
            raise ValueError(f'ks must be positive integers, got {ks}')
        self.ks = tuple(int(k) for k in ks)
        if view not in ('concat', 'mean'):
            try:
                view = int(view)
            except (TypeError, ValueError):
                raise ValueError("view must be 'concat', 'mean' or a flip view index, got "
                                 f'{view!r}') from None
        self.view = view
        self.step_pattern = check_step_pattern(step_pattern)
        self.num_threads = num_threads

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Keep the chosen frame vectors ([T, d] or [T, V * d]) and the label of each sample."""
        for ds in data_samples:
            get = ds.get if isinstance(ds, dict) else (lambda k: getattr(ds, k, None))
            feats, label = get('features'), get('gt_label')
            if feats is None or label is None:
                raise KeyError('DTWRetrievalMetric needs `features` and `gt_label` in every '
                               'data sample')
            feats = _to_numpy(feats)
            if feats.ndim == 3 and self.view == 'concat':
                feats = feats.reshape(len(feats), -1)  # [T, V * d]
            elif feats.ndim == 3 and self.view == 'mean':
                feats = feats.mean(axis=1)
            elif feats.ndim == 3:
                if not -feats.shape[1] <= self.view < feats.shape[1]:
                    raise ValueError(f'view {self.view} out of range for features of shape '
                                     f'{list(feats.shape)}')
                feats = feats[:, self.view]
            elif feats.ndim != 2 or self.view not in (0, -1, 'concat', 'mean'):
                raise ValueError('features must be [T, V, d] (or [T, d] with view 0), got '
                                 f'{list(feats.shape)} with view {self.view}')
            label = _to_numpy(label).reshape(-1)
            if label.size != 1:
                raise ValueError(f'gt_label must be a single label, got {label}')
            self.results.append((np.ascontiguousarray(feats, dtype=np.float32), label.item()))

    def compute_metrics(self, results: list) -> dict:
        """precision@k for each k, in [0, 1]."""
        if len(results) < 2:
            return {}
        feats = [f for f, _ in results]
        labels = np.asarray([lab for _, lab in results])
        ids = list(range(len(feats)))
        cost = dtw_cost_matrix(
            feats, feats, num_threads=self.num_threads, query_ids=ids, candidate_ids=ids,
            step_pattern=self.step_pattern)
        return retrieval_precision_at_k(
            cost, labels, labels, self.ks, self_index=np.arange(len(feats)))
