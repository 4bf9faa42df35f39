# Copyright (c) vpd_mm contributors. All rights reserved.
"""All-pairs DTW in torch, batched over pairs: for large galleries on a GPU (CPU otherwise).

Same costs as :func:`vpd_mm.ops.dtw_cost_matrix` (the numba kernels) and
:func:`~vpd_mm.ops.dtw_cost` (the float64 reference), within float32
rounding, for the three step patterns of :mod:`.dtw` (``inf`` where ``symmetricP2`` finds no
path).

How. Queries and candidates are sorted by length and cut into blocks, so that a block of
``Qb`` queries x ``Cb`` candidates (B = Qb * Cb pairs, padded to the block's longest
sequences N x M) holds at most ``max_cells`` DP cells. For each block:

1. frame costs: one float32 matrix product of all the block's query frames with all its
   candidate frames, ``c = sqrt(|x|^2 + |y|^2 - 2 x.y)`` (features centred on the
   candidates' mean); a cost whose square is small against ``|x|^2 + |y|^2`` (cancellation,
   e.g. near-identical frames) is recomputed from the frame difference, as the numba kernel
   does;
2. the DP by anti-diagonals (wavefront): every cell ``(i, j)`` of diagonal ``k = i + j``
   depends only on diagonals ``k - 1``, ``k - 2`` (and ``k - 3``, ``k - 5`` for
   ``symmetricP2``), so a diagonal is one batch of elementwise tensor operations over
   [B, N] cells; ``N + M - 1`` steps per block. The frame costs are stored skewed,
   ``[B, diagonal, i]``, so every predecessor is a shifted slice.

Memory per block: a few float32 tensors of ``max_cells`` elements (256 MiB at the default
``2 ** 24`` on the GPU; ``2 ** 22`` on the CPU).
"""
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from .dtw import DEFAULT_STEP_PATTERN, _checked, check_step_pattern, robust_center

# +inf border: diagonals before 0 (P2 looks 5 back) and positions i < 0 (P2 looks 3 back).
_KPAD, _IPAD = 5, 3
# A frame cost is recomputed from the difference when its square is below this fraction of
# |x|^2 + |y|^2 (same rule as the numba kernel).
_CANCELLATION = 2.0**-6
_FIX_CHUNK = 1 << 16  # cells recomputed at once in the cancellation fix


def default_device() -> torch.device:
    """CUDA when available, else the CPU."""
    return torch.device('cuda' if torch.cuda.is_available() else 'cpu')


def _length_blocks(lengths: np.ndarray, max_len_sum: int) -> List[np.ndarray]:
    """Indices sorted by length, cut into runs whose (count x longest) <= max_len_sum."""
    order = np.argsort(lengths, kind='stable')
    blocks, start = [], 0
    while start < len(order):
        end = start + 1
        while end < len(order) and (end + 1 - start) * lengths[order[end]] <= max_len_sum:
            end += 1
        blocks.append(order[start:end])
        start = end
    return blocks


def _pad(seqs: Sequence[np.ndarray], idx: np.ndarray, center: np.ndarray,
         device: torch.device) -> Tuple[torch.Tensor, torch.Tensor]:
    """[S, T_max, d] float32 centred frames (zero padded) and [S] lengths of seqs[idx]."""
    lengths = [len(seqs[i]) for i in idx]
    out = np.zeros((len(idx), max(lengths), len(center)), dtype=np.float32)
    for r, i in enumerate(idx):
        np.subtract(seqs[i], center, out=out[r, :lengths[r]], casting='unsafe')
    return (torch.from_numpy(out).to(device),
            torch.tensor(lengths, dtype=torch.long, device=device))


def _skewed_frame_costs(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Euclidean frame costs of every pair, stored by anti-diagonals.

    Args:
        x (torch.Tensor): [Qb, N, d] query frames (centred, zero padded).
        y (torch.Tensor): [Cb, M, d] candidate frames.

    Returns:
        torch.Tensor: [Qb * Cb, KPAD + N + M - 1, IPAD + N]: the cost of cell (i, j) of pair
        (q, c) at [q * Cb + c, KPAD + i + j, IPAD + i]; cells outside the N x M rectangle
        (and the KPAD / IPAD borders) hold +inf.
    """
    qb, n, d = x.shape
    cb, m, _ = y.shape
    xf, yf = x.reshape(qb * n, d), y.reshape(cb * m, d)
    xn = (xf * xf).sum(-1)[:, None]  # [Qb * N, 1]
    yn = (yf * yf).sum(-1)[None, :]  # [1, Cb * M]
    sq = xf @ yf.T  # [Qb * N, Cb * M]: one GEMM; cell (q, i, c, j) at [q * N + i, c * M + j]
    sq.mul_(-2.0).add_(xn).add_(yn)  # |x|^2 + |y|^2 - 2 x.y
    bad = (sq < _CANCELLATION * (xn + yn)).nonzero()  # [K, 2]
    for s in range(0, len(bad), _FIX_CHUNK):  # cancellation: recompute from the difference
        r, col = bad[s:s + _FIX_CHUNK].unbind(1)
        diff = xf[r] - yf[col]  # [K', d]
        sq[r, col] = (diff * diff).sum(-1)
    cost = sq.clamp_min_(0.0).sqrt_()
    # Skew without a gather: cell (i, j = k - i) of pair (q, c) lies at
    # q*N*Cb*M + i*Cb*M + c*M + k - i, i.e. strides (N*Cb*M, M, 1, Cb*M - 1) over
    # (q, c, k, i); cells with j outside [0, M) read a neighbour's value (within the tensor)
    # and are set to +inf below.
    diag = cost.as_strided((qb, cb, n + m - 1, n), (n * cb * m, m, 1, cb * m - 1))
    out = cost.new_empty((qb, cb, _KPAD + n + m - 1, _IPAD + n))
    out[:, :, :_KPAD] = float('inf')
    out[:, :, _KPAD:, :_IPAD] = float('inf')
    inner = out[:, :, _KPAD:, _IPAD:]
    inner.copy_(diag)
    k = torch.arange(n + m - 1, device=x.device)[:, None]  # [K, 1]
    j = k - torch.arange(n, device=x.device)[None, :]  # [K, N]
    inner.masked_fill_((j < 0) | (j >= m), float('inf'))
    return out.view(qb * cb, _KPAD + n + m - 1, _IPAD + n)


def _wavefront(d: torch.Tensor, n_len: torch.Tensor, m_len: torch.Tensor,
               pattern: str) -> torch.Tensor:
    """Totals (unnormalised) of B pairs by anti-diagonals.

    Args:
        d (torch.Tensor): [B, KPAD + N + M - 1, IPAD + N] skewed frame costs
            (:func:`_skewed_frame_costs`).
        n_len (torch.Tensor): [B] query lengths (<= N); ``m_len`` [B] candidate lengths.
        pattern (str): The step pattern.

    Returns:
        torch.Tensor: [B] the cumulative cost at (n - 1, m - 1) of each pair (+inf: no path).
    """
    b, num_k, width = d.shape
    lo, hi = _IPAD, width
    # ring of the last KPAD + 1 DP diagonals [KPAD + 1, B, IPAD + N], +inf before the start
    g = d.new_full((_KPAD + 1, b, width), float('inf'))
    g[_KPAD % (_KPAD + 1), :, _IPAD] = d[:, _KPAD, _IPAD]  # g[0, 0] = c(0, 0)
    rows = torch.arange(b, device=d.device)
    end_k = _KPAD + n_len + m_len - 2  # [B] the diagonal of each pair's last cell
    res = torch.where(end_k == _KPAD, d[:, _KPAD, _IPAD], torch.full_like(d[:, 0, 0], np.inf))
    w = 2.0 if pattern == 'symmetric2' else 1.0
    ring = _KPAD + 1
    for k in range(_KPAD + 1, num_k):
        c = d[:, k, lo:hi]  # [B, N]: cells (i, k - i)
        g1, g2, cur = g[(k - 1) % ring], g[(k - 2) % ring], g[k % ring]
        if pattern == 'symmetricP2':
            g5 = g[(k - 5) % ring]
            diag = torch.add(g2[:, lo - 1:hi - 1], c, alpha=2.0)
            # (i-2, j-3) + 2 c(i-1, j-2) + 2 c(i, j-1) + c(i, j)
            wide = torch.add(g5[:, lo - 2:hi - 2] + c,
                             d[:, k - 3, lo - 1:hi - 1] + d[:, k - 1, lo:hi], alpha=2.0)
            # (i-3, j-2) + 2 c(i-2, j-1) + 2 c(i-1, j) + c(i, j)
            tall = torch.add(g5[:, lo - 3:hi - 3] + c,
                             d[:, k - 3, lo - 2:hi - 2] + d[:, k - 1, lo - 1:hi - 1], alpha=2.0)
            torch.minimum(torch.minimum(diag, wide, out=diag), tall, out=cur[:, lo:hi])
        else:
            step = torch.minimum(g1[:, lo - 1:hi - 1], g1[:, lo:hi]).add_(c)
            torch.minimum(step, torch.add(g2[:, lo - 1:hi - 1], c, alpha=w), out=cur[:, lo:hi])
        # pairs ending on this diagonal (no host sync: a GPU keeps running)
        res = torch.where(end_k == k, cur[rows, _IPAD + n_len - 1], res)
    return res


def dtw_cost_matrix_torch(queries: Sequence[np.ndarray],
                          candidates: Sequence[np.ndarray],
                          step_pattern: str = DEFAULT_STEP_PATTERN,
                          device: Union[None, str, torch.device] = None,
                          max_cells: Optional[int] = None,
                          query_ids: Optional[Sequence] = None,
                          candidate_ids: Optional[Sequence] = None) -> np.ndarray:
    """Normalised DTW costs of all query x candidate pairs, batched over pairs in torch.

    Args:
        queries (Sequence[np.ndarray]): Q sequences [N_i, d] (or [N_i]).
        candidates (Sequence[np.ndarray]): C sequences [M_j, d] (same d).
        step_pattern (str): 'symmetricP2' (the authors'), 'symmetric1' or 'symmetric2' (see
            :mod:`vpd_mm.ops.dtw`). Defaults to 'symmetricP2'.
        device (str | torch.device, optional): Where to compute. Defaults to None (CUDA when
            available, else the CPU).
        max_cells (int, optional): The most DP cells (pairs x N x M, padded) of one block.
            Defaults to None (2 ** 24 on a GPU, 2 ** 22 on the CPU).
        query_ids (Sequence, optional): Names of the queries, for error messages.
        candidate_ids (Sequence, optional): Names of the candidates, for error messages.

    Returns:
        np.ndarray: [Q, C] float64 costs (float32 arithmetic), ``inf`` where the step pattern
        allows no path.

    Raises:
        ValueError: An empty sequence or one with NaN/inf features (named), mismatched
            feature dims, no sequences, an unknown step pattern.
    """
    pattern = check_step_pattern(step_pattern)
    qs = _checked(queries, query_ids, 'query')
    cs = _checked(candidates, candidate_ids, 'candidate')
    if qs[0].shape[1] != cs[0].shape[1]:
        raise ValueError(f'feature dims differ: queries {qs[0].shape[1]}, candidates '
                         f'{cs[0].shape[1]}')
    device = default_device() if device is None else torch.device(device)
    if max_cells is None:
        max_cells = 1 << (24 if device.type == 'cuda' else 22)
    q_len = np.array([len(s) for s in qs])
    c_len = np.array([len(s) for s in cs])
    center = robust_center(cs).astype(np.float32)  # [d]
    # Blocks: ~sqrt(max_cells) DP cells per query and per candidate side, square-ish.
    side = max(1, int(np.sqrt(max_cells)))
    q_blocks = _length_blocks(q_len, side)
    c_blocks = _length_blocks(c_len, max(1, max_cells // side))
    out = np.empty((len(qs), len(cs)))
    with torch.no_grad():
        c_tensors = [_pad(cs, idx, center, device) for idx in c_blocks]
        for q_idx in q_blocks:
            x, n_len = _pad(qs, q_idx, center, device)
            for c_idx, (y, m_len) in zip(c_blocks, c_tensors):
                cost = _skewed_frame_costs(x, y)  # [Qb * Cb, KPAD + N + M - 1, IPAD + N]
                nn = n_len[:, None].expand(len(q_idx), len(c_idx)).reshape(-1)  # [B]
                mm = m_len[None, :].expand(len(q_idx), len(c_idx)).reshape(-1)  # [B]
                tot = _wavefront(cost, nn, mm, pattern) / (nn + mm).to(cost.dtype)
                out[np.ix_(q_idx, c_idx)] = tot.view(len(q_idx), len(c_idx)).double().cpu()
    return out
