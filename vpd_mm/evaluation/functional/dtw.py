# Copyright (c) vpd_mm contributors. All rights reserved.
"""Dynamic time warping (DTW) alignment cost between feature sequences.

The cost of aligning ``a`` [N, d] with ``b`` [M, d] is the smallest total frame cost of a
monotone alignment path from (0, 0) to (N - 1, M - 1) made of the steps (1, 0), (0, 1) and
(1, 1), the frame cost being the Euclidean distance ``||a_i - b_j||``, divided by ``N + M``.

``step_pattern`` picks the weights of the steps, with the names of ``dtw-python``:

- ``'symmetric1'`` (the default): every cell on the path counts once,
  ``D[i, j] = c(i, j) + min(D[i-1, j], D[i, j-1], D[i-1, j-1])``;
- ``'symmetric2'``: a diagonal step counts its cell twice (the classical "normalisable"
  pattern whose weights along any path sum to ``N + M``),
  ``D[i, j] = min(D[i-1, j] + c, D[i, j-1] + c, D[i-1, j-1] + 2 c)``, ``D[0, 0] = c(0, 0)``.

Both equal ``dtw.dtw(a, b, dist_method='euclidean', step_pattern=...).distance / (N + M)``
of ``dtw-python`` (tested). Note: the authors' release calls ``dtw-python`` with the
slope-constrained ``'symmetricP2'`` pattern, which is not implemented here.

:func:`dtw_cost` is the plain reference (numpy cost matrix + a Python loop);
:func:`dtw_cost_matrix` computes all query x candidate pairs in one numba kernel parallel
over the pairs. The sequences are packed into one float32 array of all their frames plus
offsets, so its memory is O(total frames) + one DP row of O(M) per pair being computed (never
Q x C x frames). The numba functions are compiled on their first call (a few seconds) and
cached on disk (``cache=True``), so later processes reuse the compiled code.
"""
from typing import List, Optional, Sequence, Tuple

import numba
import numpy as np
from numba import njit, prange

_STEP_PATTERNS = {'symmetric1': 1.0, 'symmetric2': 2.0}  # name -> weight of a diagonal step
# 'reassoc' lets LLVM vectorise the sum over the feature dimension; no 'nnan'/'ninf' since
# +inf is used as the DP border and as the "pruned" value.
_FASTMATH = {'reassoc', 'contract', 'nsz', 'arcp'}


def _diag_weight(step_pattern: str) -> float:
    if step_pattern not in _STEP_PATTERNS:
        raise ValueError(f'step_pattern must be one of {sorted(_STEP_PATTERNS)}, '
                         f'got {step_pattern!r}')
    return _STEP_PATTERNS[step_pattern]


def _check_sequence(x, name: str) -> np.ndarray:
    """[T, d] float array without NaN/inf and with T >= 1, else ValueError naming it."""
    x = np.asarray(x)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f'{name}: a feature sequence must be [T, d], got shape {x.shape}')
    if x.shape[0] == 0:
        raise ValueError(f'{name}: empty feature sequence (0 frames)')
    if not np.all(np.isfinite(x)):
        bad = np.flatnonzero(~np.isfinite(x).all(axis=1))
        raise ValueError(f'{name}: non-finite (NaN/inf) features at frame(s) '
                         f'{bad[:10].tolist()}')
    return x


def dtw_cost(a: np.ndarray, b: np.ndarray, step_pattern: str = 'symmetric1') -> float:
    """DTW alignment cost of two sequences, normalised by ``N + M`` (reference version).

    Args:
        a (np.ndarray): [N, d] (or [N] for d = 1).
        b (np.ndarray): [M, d] (or [M]).
        step_pattern (str): 'symmetric1' or 'symmetric2' (see the module docstring).
            Defaults to 'symmetric1'.

    Returns:
        float: The total cost of the best alignment divided by ``N + M``.
    """
    w = _diag_weight(step_pattern)
    a = _check_sequence(a, 'a').astype(np.float64)
    b = _check_sequence(b, 'b').astype(np.float64)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f'feature dims differ: {a.shape[1]} vs {b.shape[1]}')
    n, m = len(a), len(b)
    cost = np.sqrt(((a[:, None, :] - b[None, :, :])**2).sum(-1))  # [N, M]
    acc = np.full((n + 1, m + 1), np.inf)  # acc[i + 1, j + 1]: best path cost to (i, j)
    for i in range(n):
        for j in range(m):
            c = cost[i, j]
            if i == 0 and j == 0:
                acc[1, 1] = c
            else:
                acc[i + 1, j + 1] = min(acc[i, j + 1] + c, acc[i + 1, j] + c, acc[i, j] + w * c)
    return float(acc[n, m] / (n + m))


@njit(cache=True, fastmath=_FASTMATH)
def _frame_cost(x, i, y, j):
    s = 0.0
    for k in range(x.shape[1]):
        t = np.float64(x[i, k]) - np.float64(y[j, k])
        s += t * t
    return np.sqrt(s)


@njit(cache=True, fastmath=_FASTMATH)
def _pair_cost(x, xs, n, y, ys, m, w, threshold):
    """Normalised DTW cost of x[xs:xs+n] vs y[ys:ys+m]; inf once it must exceed threshold.

    ``threshold`` is on the total (unnormalised) cost; +inf disables pruning.
    """
    # LB_Kim-style bound: every path holds (0, 0) and (n - 1, m - 1).
    lb = _frame_cost(x, xs, y, ys)
    if n + m > 2:
        lb += _frame_cost(x, xs + n - 1, y, ys + m - 1)
    if lb > threshold:
        return np.inf
    prev = np.empty(m + 1)
    cur = np.empty(m + 1)
    prev[:] = np.inf
    for i in range(n):
        cur[0] = np.inf
        row_min = np.inf
        for j in range(m):
            c = _frame_cost(x, xs + i, y, ys + j)
            if i == 0 and j == 0:
                v = c
            else:
                v = min(prev[j + 1] + c, cur[j] + c, prev[j] + w * c)
            cur[j + 1] = v
            if v < row_min:
                row_min = v
        # Every path crosses row i and costs are >= 0: the row minimum bounds the total.
        if row_min > threshold:
            return np.inf
        prev, cur = cur, prev
    total = prev[m]
    if total > threshold:
        return np.inf
    return total / (n + m)


@njit(parallel=True, cache=True)
def _cost_matrix_kernel(x, x_off, y, y_off, w, prune):
    """'direct' method: frame costs computed inside the DP (no GEMM)."""
    nq = x_off.shape[0] - 1
    nc = y_off.shape[0] - 1
    out = np.empty((nq, nc))
    for p in prange(nq * nc):
        qi = p // nc
        ci = p - qi * nc
        xs = x_off[qi]
        n = x_off[qi + 1] - xs
        ys = y_off[ci]
        m = y_off[ci + 1] - ys
        out[qi, ci] = _pair_cost(x, xs, n, y, ys, m, w, prune * (n + m))
    return out


@njit(cache=True, fastmath=_FASTMATH)
def _gemm_frame_cost(g, r, c, xn, i, yn, j):
    """sqrt(max(||x_i||^2 + ||y_j||^2 - 2 x_i.y_j, 0)) with g[r, c] = -2 x_i.y_j."""
    s = xn[i] + yn[j] + np.float64(g[r, c])
    return np.sqrt(s) if s > 0.0 else 0.0


@njit(cache=True, fastmath=_FASTMATH)
def _pair_cost_gemm(g, r0, c0, xn, xs, n, yn, ys, m, w, threshold):
    """Like :func:`_pair_cost`, the frame costs read from a block of -2 X Y^T."""
    lb = _gemm_frame_cost(g, r0, c0, xn, xs, yn, ys)
    if n + m > 2:
        lb += _gemm_frame_cost(g, r0 + n - 1, c0 + m - 1, xn, xs + n - 1, yn, ys + m - 1)
    if lb > threshold:
        return np.inf
    prev = np.empty(m + 1)
    cur = np.empty(m + 1)
    prev[:] = np.inf
    for i in range(n):
        cur[0] = np.inf
        row_min = np.inf
        xi = xn[xs + i]
        gi = g[r0 + i]
        for j in range(m):
            s = xi + yn[ys + j] + np.float64(gi[c0 + j])
            c = np.sqrt(s) if s > 0.0 else 0.0
            if i == 0 and j == 0:
                v = c
            else:
                v = min(prev[j + 1] + c, cur[j] + c, prev[j] + w * c)
            cur[j + 1] = v
            if v < row_min:
                row_min = v
        if row_min > threshold:
            return np.inf
        prev, cur = cur, prev
    total = prev[m]
    if total > threshold:
        return np.inf
    return total / (n + m)


@njit(parallel=True, cache=True)
def _gemm_block_kernel(g, xn, x_off, q0, q1, yn, y_off, c0, c1, w, prune, out):
    """DTW of queries [q0, q1) x candidates [c0, c1) given g = -2 X_blk Y_blk^T (float32)."""
    nqb = q1 - q0
    ncb = c1 - c0
    row0 = x_off[q0]
    col0 = y_off[c0]
    for p in prange(nqb * ncb):
        qi = q0 + p // ncb
        ci = c0 + p % ncb
        xs = x_off[qi]
        n = x_off[qi + 1] - xs
        ys = y_off[ci]
        m = y_off[ci + 1] - ys
        out[qi, ci] = _pair_cost_gemm(g, xs - row0, ys - col0, xn, xs, n, yn, ys, m, w,
                                      prune * (n + m))


def _blocks(offsets: np.ndarray, max_frames: int) -> List[Tuple[int, int]]:
    """Split sequences into runs of consecutive ones with <= max_frames frames (>= 1 each)."""
    out = []
    start = 0
    num = len(offsets) - 1
    while start < num:
        end = int(np.searchsorted(offsets, offsets[start] + max_frames, side='right')) - 1
        end = max(end, start + 1)
        out.append((start, end))
        start = end
    return out


def _gemm_cost_matrix(x, x_off, y, y_off, w, threshold, block_elems):
    """All pairs by blocks: one float32 GEMM per (query block, candidate block), then numba."""
    # Centre on the candidates' mean: smaller norms, less cancellation in |x|^2+|y|^2-2xy.
    mean = y.mean(axis=0, dtype=np.float64)
    xc = (x - mean).astype(np.float32)
    yc = (y - mean).astype(np.float32)
    xn = np.einsum('ij,ij->i', xc, xc, dtype=np.float64)
    yn = np.einsum('ij,ij->i', yc, yc, dtype=np.float64)
    yc_m2 = yc * np.float32(-2.0)
    out = np.empty((len(x_off) - 1, len(y_off) - 1))
    max_rows = max(1, min(len(xc), int(np.sqrt(block_elems))))
    for q0, q1 in _blocks(x_off, max_rows):
        rows = xc[x_off[q0]:x_off[q1]]
        max_cols = max(1, block_elems // len(rows))
        for c0, c1 in _blocks(y_off, max_cols):
            g = rows @ yc_m2[y_off[c0]:y_off[c1]].T  # [rows, cols] float32
            _gemm_block_kernel(g, xn, x_off, q0, q1, yn, y_off, c0, c1, w, threshold, out)
    return out


def _pack(seqs: Sequence[np.ndarray], ids: Optional[Sequence],
          kind: str) -> Tuple[np.ndarray, np.ndarray]:
    """Concatenate sequences into one [sum T, d] float32 array + [len + 1] int64 offsets."""
    if ids is not None and len(ids) != len(seqs):
        raise ValueError(f'{kind}_ids has {len(ids)} entries for {len(seqs)} {kind} sequences')
    checked: List[np.ndarray] = []
    for i, s in enumerate(seqs):
        name = f'{kind} {i}' + (f' (id {ids[i]!r})' if ids is not None else '')
        checked.append(_check_sequence(s, name))
    if not checked:
        raise ValueError(f'no {kind} sequences')
    dims = {s.shape[1] for s in checked}
    if len(dims) != 1:
        raise ValueError(f'{kind} sequences have different feature dims: {sorted(dims)}')
    offsets = np.zeros(len(checked) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in checked], out=offsets[1:])
    return np.ascontiguousarray(np.concatenate(checked), dtype=np.float32), offsets


def dtw_cost_matrix(queries: Sequence[np.ndarray],
                    candidates: Sequence[np.ndarray],
                    prune: Optional[float] = None,
                    num_threads: Optional[int] = None,
                    query_ids: Optional[Sequence] = None,
                    candidate_ids: Optional[Sequence] = None,
                    step_pattern: str = 'symmetric1',
                    method: str = 'gemm',
                    block_elems: int = 1 << 24) -> np.ndarray:
    """Normalised DTW costs of all query x candidate pairs (numba, parallel over pairs).

    Equal to ``dtw_cost(queries[i], candidates[j])`` up to float32 rounding. With
    ``method='gemm'`` (the default, fastest) the frame costs of a block of queries against a
    block of candidates come from one float32 matrix product,
    ``||a||^2 + ||b||^2 - 2 a.b`` (features centred on the candidates' mean, clamped at 0),
    the DP runs in float64; the cancellation error of a frame cost is about
    ``sqrt(1e-7 * ||a|| * ||b||)`` (so near-identical frames cost ~1e-3 instead of 0). With
    ``method='direct'`` every frame cost is summed in float64 from the float32 features
    (slower, no cancellation).

    Args:
        queries (Sequence[np.ndarray]): Q sequences [N_i, d].
        candidates (Sequence[np.ndarray]): C sequences [M_j, d] (same d).
        prune (float, optional): If given, a pair whose normalised cost exceeds ``prune``
            gets ``inf`` instead (and every pair whose cost is <= ``prune`` is exact). The
            work is cut short by two exact lower bounds: the cost of the first and last
            frame pairs (which every path holds; LB_Kim) and, after each DP row, the row's
            minimum (every path crosses every row, frame costs are >= 0). Useful for nearest
            neighbours once a good threshold is known. Defaults to None (no pruning).
        num_threads (int, optional): numba threads for this call (restored afterwards).
            Defaults to None (numba's default: all cores or NUMBA_NUM_THREADS).
        query_ids (Sequence, optional): Names of the queries, used in error messages.
        candidate_ids (Sequence, optional): Names of the candidates, for error messages.
        step_pattern (str): 'symmetric1' or 'symmetric2'. Defaults to 'symmetric1'.
        method (str): 'gemm' or 'direct' (see above). Defaults to 'gemm'.
        block_elems (int): With 'gemm', the largest float32 block of frame products held at
            once (query frames x candidate frames); memory is ``4 * block_elems`` bytes, never
            Q x C x frames. Defaults to 2 ** 24 (64 MiB).

    Returns:
        np.ndarray: [Q, C] float64 costs.

    Raises:
        ValueError: An empty sequence or one with NaN/inf features (the message names its
            index and id), mismatched feature dims, no sequences.
    """
    w = _diag_weight(step_pattern)
    if method not in ('gemm', 'direct'):
        raise ValueError(f"method must be 'gemm' or 'direct', got {method!r}")
    if int(block_elems) < 1:
        raise ValueError(f'block_elems must be >= 1, got {block_elems}')
    x, x_off = _pack(queries, query_ids, 'query')
    y, y_off = _pack(candidates, candidate_ids, 'candidate')
    if x.shape[1] != y.shape[1]:
        raise ValueError(f'feature dims differ: queries {x.shape[1]}, candidates {y.shape[1]}')
    threshold = np.inf if prune is None else float(prune)
    if np.isnan(threshold):
        raise ValueError('prune must not be NaN')
    old = numba.get_num_threads()
    if num_threads is not None:
        numba.set_num_threads(max(1, min(int(num_threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        if method == 'direct':
            return _cost_matrix_kernel(x, x_off, y, y_off, w, threshold)
        return _gemm_cost_matrix(x, x_off, y, y_off, w, threshold, int(block_elems))
    finally:
        numba.set_num_threads(old)


def pack_sequences(seqs: Sequence[np.ndarray],
                   ids: Optional[Sequence] = None,
                   kind: str = 'sequence') -> Tuple[np.ndarray, np.ndarray]:
    """Check and pack sequences once: ([sum T, d] float32 frames, [len + 1] int64 offsets).

    For callers that compare many query blocks with the same corpus
    (:func:`dtw_cost_matrix_packed`); errors name ``kind``, the index and the id.
    """
    return _pack(seqs, ids, kind)


def dtw_cost_matrix_packed(x: np.ndarray,
                           x_off: np.ndarray,
                           y: np.ndarray,
                           y_off: np.ndarray,
                           num_threads: Optional[int] = None,
                           step_pattern: str = 'symmetric1',
                           block_elems: int = 1 << 24) -> np.ndarray:
    """:func:`dtw_cost_matrix` ('gemm' method) on sequences packed by :func:`pack_sequences`.

    Args:
        x (np.ndarray): [sum N, d] float32 query frames; ``x_off`` [Q + 1] offsets.
        y (np.ndarray): [sum M, d] float32 candidate frames; ``y_off`` [C + 1] offsets.

    Returns:
        np.ndarray: [Q, C] float64 normalised costs.
    """
    w = _diag_weight(step_pattern)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f'feature dims differ: queries {x.shape[1]}, candidates {y.shape[1]}')
    old = numba.get_num_threads()
    if num_threads is not None:
        numba.set_num_threads(max(1, min(int(num_threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        return _gemm_cost_matrix(x, x_off, y, y_off, w, np.inf, int(block_elems))
    finally:
        numba.set_num_threads(old)
