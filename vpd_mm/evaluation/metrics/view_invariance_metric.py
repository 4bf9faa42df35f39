# Copyright (c) vpd_mm contributors. All rights reserved.
"""Cross-view retrieval of a view-invariant pose embedding (VIPE*)."""
from typing import Any, Dict, Optional, Sequence

import numpy as np
import torch
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric

#: Size of the input vector: 13 joints x (x, y, score - 0.5).
_IN_CHANNELS = 39


def cross_view_hits(queries: np.ndarray,
                    candidates: np.ndarray,
                    topk: Sequence[int] = (1, 10),
                    block: int = 1024) -> Dict[int, np.ndarray]:
    """Whether each query's own candidate is among its k nearest candidates.

    Query ``i``'s match is candidate ``i``; its rank is the number of other candidates
    strictly closer (Euclidean) than candidate ``i`` (ties count in its favour). It is a hit
    at ``k`` when that rank is below ``k``.

    Args:
        queries (np.ndarray): [N, C].
        candidates (np.ndarray): [N, C].
        topk (Sequence[int]): The k's. Defaults to (1, 10).
        block (int): Queries per distance block (bounds the memory). Defaults to 1024.

    Returns:
        dict[int, np.ndarray]: k -> [N] bool.
    """
    q = np.asarray(queries, dtype=np.float64)
    c = np.asarray(candidates, dtype=np.float64)
    ranks = np.empty(len(q), dtype=np.int64)
    for start in range(0, len(q), block):
        qb = q[start:start + block]  # [B, C]
        dist = np.linalg.norm(qb[:, None, :] - c[None, :, :], axis=-1)  # [B, N]
        own = dist[np.arange(len(qb)), np.arange(start, start + len(qb))]  # [B]
        ranks[start:start + len(qb)] = (dist < own[:, None]).sum(axis=1)
    return {k: ranks < k for k in topk}


@METRICS.register_module()
class ViewInvarianceMetric(BaseMetric):
    """Cross-view retrieval: is the other view of a pose its nearest neighbour?

    For each sample, view 1 is the query and the view 2's of all samples (or of the samples of
    the same chunk of ``num_candidates`` consecutive samples) are the candidates; ``hit@k`` is
    the fraction of queries whose own view 2 is among the k nearest candidates (Euclidean
    distance; ties count in the query's favour). The embeddings come from the model's
    ``pred_embedding`` [>= 2, D]; the baseline ``raw2d_hit@k`` does the same with the raw
    normalised 2D joints (the x, y of the 39-dim inputs, 26 values, scores dropped) taken from
    ``data_batch['inputs']`` ([V >= 2, 39] per sample). A last chunk shorter than
    ``num_candidates`` is evaluated among its own samples.

    Args:
        topk (Sequence[int]): The k's. Defaults to (1, 10).
        num_candidates (int, optional): Compare within consecutive chunks of this many
            samples; None: all samples at once. Defaults to None.
        collect_device (str): Device for collecting results across ranks. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix. Defaults to 'vipe'.
    """

    default_prefix = 'vipe'

    def __init__(self,
                 topk: Sequence[int] = (1, 10),
                 num_candidates: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if isinstance(topk, int):
            topk = (topk, )
        if not topk or any(int(k) < 1 for k in topk):
            raise ValueError(f'topk must be positive integers, got {topk}')
        if num_candidates is not None and num_candidates < 1:
            raise ValueError(f'num_candidates must be positive or None, got {num_candidates}')
        self.topk = tuple(int(k) for k in topk)
        self.num_candidates = num_candidates

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Keep both views' embeddings and raw 2D joints of each sample of a batch."""
        inputs = data_batch['inputs']
        if len(inputs) != len(data_samples):
            raise ValueError(f'{len(inputs)} inputs but {len(data_samples)} data samples')
        for x, ds in zip(inputs, data_samples):
            emb = ds['pred_embedding'] if isinstance(ds, dict) else ds.pred_embedding
            emb = torch.as_tensor(emb).detach().float().cpu().numpy()  # [V, D]
            x = torch.as_tensor(x).detach().float().cpu().numpy()  # [V, 39]
            if emb.shape[0] < 2 or x.ndim != 2 or x.shape[0] < 2 or x.shape[1] != _IN_CHANNELS:
                raise ValueError('ViewInvarianceMetric needs two views per sample: '
                                 f'pred_embedding [>=2, D] and inputs [>=2, {_IN_CHANNELS}], got '
                                 f'{list(emb.shape)} and {list(x.shape)}')
            raw = x[:2].reshape(2, -1, 3)[..., :2].reshape(2, -1)  # [2, 26]
            self.results.append((emb[0], emb[1], raw[0], raw[1]))

    def compute_metrics(self, results: list) -> dict:
        """Hit rates of the embeddings and of the raw 2D joints, in [0, 1]."""
        if not results:
            return {}
        e1, e2, r1, r2 = (np.stack(col) for col in zip(*results))  # [N, D] / [N, 26]
        size = self.num_candidates or len(results)
        hits = {('', k): [] for k in self.topk}
        hits.update({('raw2d_', k): [] for k in self.topk})
        for start in range(0, len(results), size):
            chunk = slice(start, start + size)
            for name, (q, c) in (('', (e1, e2)), ('raw2d_', (r1, r2))):
                for k, hit in cross_view_hits(q[chunk], c[chunk], self.topk).items():
                    hits[(name, k)].append(hit)
        return {f'{name}hit@{k}': float(np.concatenate(h).mean()) for (name, k), h in hits.items()}
