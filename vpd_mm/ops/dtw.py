# Copyright (c) vpd_mm contributors. All rights reserved.
"""Dynamic time warping (DTW) alignment cost between feature sequences.

The cost of aligning ``a`` [N, d] with ``b`` [M, d] is the smallest weighted sum of frame costs
``c(i, j) = ||a_i - b_j||`` (Euclidean) along a monotone path from (0, 0) to (N - 1, M - 1),
divided by ``N + M``. ``step_pattern`` picks the steps and their weights, with the names and
recursions of ``dtw-python`` (``g`` the cumulative cost, ``g[0, 0] = c(0, 0)``):

- ``'symmetricP2'`` (the default; the authors' choice): Sakoe-Chiba's symmetric pattern with
  slope constraint P = 2, ``g[i, j] = min(g[i-1, j-1] + 2 c(i, j),
  g[i-2, j-3] + 2 c(i-1, j-2) + 2 c(i, j-1) + c(i, j),
  g[i-3, j-2] + 2 c(i-2, j-1) + 2 c(i-1, j) + c(i, j))``: a path may not run more than about
  3 frames of one sequence against 2 of the other, so two sequences whose lengths differ too
  much (roughly a ratio beyond 3/2, e.g. 1 frame vs 2) cannot be aligned at all: their cost is
  ``+inf`` (dtw-python raises "No warping path found"; the paper's code counts such pairs as
  infinitely far). Equals ``dtw.dtw(a, b, dist_method='euclidean',
  step_pattern='symmetricP2').normalizedDistance``.
- ``'symmetric1'``: every cell on the path counts once,
  ``g[i, j] = c(i, j) + min(g[i-1, j], g[i, j-1], g[i-1, j-1])``; equals dtw-python's
  ``distance / (N + M)``.
- ``'symmetric2'``: a diagonal step counts its cell twice (weights along any path sum to
  ``N + M``), ``g[i, j] = min(g[i-1, j] + c, g[i, j-1] + c, g[i-1, j-1] + 2 c)``; equals
  dtw-python's ``normalizedDistance``.

:func:`dtw_cost` is the plain reference (float64, Python loops over dtw-python's step tables).
:func:`dtw_cost_matrix` computes all query x candidate pairs with the numba kernels of
:mod:`.dtw_kernels`: float32 frame costs from one small BLAS product per query and group of 16
candidates, a float32 DP over those 16 pairs at once, one thread pool. Its costs equal the
reference's to about 1e-6 relative (float32 arithmetic; a path sums ``N + M`` frame costs, so
the relative error grows like ``1e-7 * sqrt(N + M)``). Candidates packed once with
:class:`DTWCandidates` can be reused by many calls. The numba functions are compiled on their
first call (about 10 s) and cached on disk (``cache=True``). For large galleries on a GPU,
:func:`~vpd_mm.ops.dtw_cost_matrix_torch` computes the same costs
in torch (frame-cost GEMM + anti-diagonal wavefront DP batched over pairs).
"""
from typing import List, Optional, Sequence, Tuple, Union

import numba
import numpy as np

from . import dtw_kernels as K

STEP_PATTERNS = ('symmetricP2', 'symmetric1', 'symmetric2')
DEFAULT_STEP_PATTERN = 'symmetricP2'
_PATTERN_CODES = {
    'symmetric1': K.SYMMETRIC1,
    'symmetric2': K.SYMMETRIC2,
    'symmetricP2': K.SYMMETRIC_P2
}
# dtw-python's step tables: per alternative, the predecessor offset (di, dj) and the weighted
# cost cells (di, dj, weight) added to it, in dtw-python's order of summation.
_REFERENCE_STEPS = {
    'symmetric1': [((1, 0), [(0, 0, 1.0)]), ((0, 1), [(0, 0, 1.0)]), ((1, 1), [(0, 0, 1.0)])],
    'symmetric2': [((1, 0), [(0, 0, 1.0)]), ((0, 1), [(0, 0, 1.0)]), ((1, 1), [(0, 0, 2.0)])],
    'symmetricP2': [((2, 3), [(1, 2, 2.0), (0, 1, 2.0), (0, 0, 1.0)]),
                    ((1, 1), [(0, 0, 2.0)]),
                    ((3, 2), [(2, 1, 2.0), (1, 0, 2.0), (0, 0, 1.0)])],
}
# The most float32 products a worker holds: one BLAS call multiplies up to this many / (16 M_g)
# query frames with a group's frames, which the BLAS copies (packs) once per call: 4 MiB keeps
# ~100 frames or more per call up to M_g = 600 (a 256 KiB tile cost long sequences 2x). Short
# sequences use less (at most N x 16 M_g: 230 KiB for 60 frames, in the L2 cache).
TILE_ELEMS = 1 << 20
TASK_QUERY_BYTES = 1 << 17  # query frames per task (128 KiB: in the L2 cache, with a group)
TASKS_PER_THREAD = 16  # at least this many tasks per thread in a call (dynamic sharing)
#: Largest feature magnitude accepted: frame costs are float32 squared distances, and a frame
#: of 1e20 (whose square overflows float32) or one far beyond every other would leave no
#: precision to the others' costs. Larger values are refused, naming the sequence and frame.
MAX_ABS_FEATURE = 1e15
#: Frames sampled (evenly) for the centre of the packed candidates: their per-dimension median.
CENTER_SAMPLE_FRAMES = 1 << 16
QUERY_BLOCK_FRAMES = 4096  # query frames packed (centred, float32) at once: one kernel call


def check_step_pattern(step_pattern: str) -> str:
    """``step_pattern`` if it is one of :data:`STEP_PATTERNS`, else ValueError."""
    if step_pattern not in _PATTERN_CODES:
        raise ValueError(f'step_pattern must be one of {list(STEP_PATTERNS)}, '
                         f'got {step_pattern!r}')
    return step_pattern


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
    if x.dtype.kind == 'f' and np.abs(x).max() > MAX_ABS_FEATURE:
        bad = np.flatnonzero((np.abs(x) > MAX_ABS_FEATURE).any(axis=1))
        raise ValueError(f'{name}: features of magnitude up to {float(np.abs(x).max()):.3g} at '
                         f'frame(s) {bad[:10].tolist()}, beyond what DTW frame costs hold '
                         f'(|x| <= {MAX_ABS_FEATURE:g}): a corrupt feature file?')
    return x


def robust_center(seqs: Sequence[np.ndarray]) -> np.ndarray:
    """The per-dimension median of (at most :data:`CENTER_SAMPLE_FRAMES` evenly sampled) frames
    of ``seqs``, float64 [d]: the frames are centred on it before their float32 products, and
    unlike the mean it stays among the bulk of the frames when a few are far off."""
    total = sum(len(s) for s in seqs)
    stride = max(1, -(-total // CENTER_SAMPLE_FRAMES))
    frames, offset = [], 0
    for s in seqs:  # every stride-th frame of the concatenation, without concatenating
        frames.append(s[(-offset) % stride::stride])
        offset += len(s)
    return np.median(np.concatenate(frames).astype(np.float64), axis=0)


def dtw_cost(a: np.ndarray, b: np.ndarray, step_pattern: str = DEFAULT_STEP_PATTERN) -> float:
    """DTW alignment cost of two sequences, normalised by ``N + M`` (reference version).

    Args:
        a (np.ndarray): [N, d] (or [N] for d = 1).
        b (np.ndarray): [M, d] (or [M]).
        step_pattern (str): 'symmetricP2', 'symmetric1' or 'symmetric2' (see the module
            docstring). Defaults to 'symmetricP2'.

    Returns:
        float: The cost of the best alignment divided by ``N + M``; ``inf`` if the step
        pattern allows no path (symmetricP2 with too different lengths).
    """
    steps = _REFERENCE_STEPS[check_step_pattern(step_pattern)]
    a = _check_sequence(a, 'a').astype(np.float64)
    b = _check_sequence(b, 'b').astype(np.float64)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f'feature dims differ: {a.shape[1]} vs {b.shape[1]}')
    n, m = len(a), len(b)
    cost = np.sqrt(((a[:, None, :] - b[None, :, :])**2).sum(-1))  # [N, M]
    g = np.full((n, m), np.inf)
    g[0, 0] = cost[0, 0]
    for i in range(n):
        for j in range(m):
            if i == 0 and j == 0:
                continue
            best = np.inf
            for (pi, pj), cells in steps:
                if i < pi or j < pj:
                    continue
                v = g[i - pi, j - pj]
                for di, dj, weight in cells:
                    v += weight * cost[i - di, j - dj]
                best = min(best, v)
            g[i, j] = best
    return float(g[n - 1, m - 1] / (n + m))


def _ids_name(kind: str, i: int, ids: Optional[Sequence]) -> str:
    return f'{kind} {i}' + (f' (id {ids[i]!r})' if ids is not None else '')


def _checked(seqs: Sequence[np.ndarray], ids: Optional[Sequence], kind: str) -> List[np.ndarray]:
    if ids is not None and len(ids) != len(seqs):
        raise ValueError(f'{kind}_ids has {len(ids)} entries for {len(seqs)} {kind} sequences')
    checked = [_check_sequence(s, _ids_name(kind, i, ids)) for i, s in enumerate(seqs)]
    if not checked:
        raise ValueError(f'no {kind} sequences')
    dims = {s.shape[1] for s in checked}
    if len(dims) != 1:
        raise ValueError(f'{kind} sequences have different feature dims: {sorted(dims)}')
    return checked


class DTWCandidates:
    """Candidate sequences packed once for :func:`dtw_cost_matrix`.

    The sequences are sorted by length (stable) and cut into groups of
    :data:`~.dtw_kernels.LANES`; each group is stored ``[M_g, LANES, d]`` (frame-major, shorter
    sequences padded with zero frames), in float32, centred on the median frame of the
    candidates (:func:`robust_center`), with the squared norm of every stored frame. Memory:
    about one float32 copy of the candidates (plus the padding, small once sorted).

    Args:
        seqs (Sequence[np.ndarray]): C sequences [M_j, d] (or [M_j]), no NaN/inf, M_j >= 1.
        ids (Sequence, optional): Names used in error messages. Defaults to None.
        kind (str): What they are, for error messages. Defaults to 'candidate'.

    Attributes:
        lengths (np.ndarray): [C] sequence lengths, in the given order.
        dim (int): Feature dimension d.
    """

    def __init__(self,
                 seqs: Sequence[np.ndarray],
                 ids: Optional[Sequence] = None,
                 kind: str = 'candidate') -> None:
        checked = _checked(seqs, ids, kind)
        self.dim = int(checked[0].shape[1])
        self.lengths = np.array([len(s) for s in checked], dtype=np.int64)
        self.center = robust_center(checked)  # [d] float64
        order = np.argsort(self.lengths, kind='stable')
        num_groups = -(-len(checked) // K.LANES)
        self.lane_len = np.zeros((num_groups, K.LANES), dtype=np.int64)
        self.lane_index = np.full((num_groups, K.LANES), -1, dtype=np.int64)
        self.group_col = np.zeros(num_groups + 1, dtype=np.int64)
        for g in range(num_groups):
            idx = order[g * K.LANES:(g + 1) * K.LANES]
            self.lane_index[g, :len(idx)] = idx
            self.lane_len[g, :len(idx)] = self.lengths[idx]
            self.group_col[g + 1] = self.group_col[g] + self.lengths[idx].max() * K.LANES
        self.frames = np.zeros((int(self.group_col[-1]), self.dim), dtype=np.float32)
        center32 = self.center.astype(np.float32)
        for g in range(num_groups):
            m = (self.group_col[g + 1] - self.group_col[g]) // K.LANES
            block = self.frames[self.group_col[g]:self.group_col[g + 1]].reshape(
                m, K.LANES, self.dim)  # [M_g, LANES, d], a view
            for lane, j in enumerate(self.lane_index[g]):
                if j >= 0:
                    np.subtract(checked[j], center32, out=block[:len(checked[j]), lane],
                                casting='unsafe')
        self.sqnorms = np.einsum('ij,ij->i', self.frames, self.frames)  # [rows] float32

    def __len__(self) -> int:
        return len(self.lengths)

    def pack_queries(self, seqs: Sequence[np.ndarray], ids: Optional[Sequence] = None,
                     kind: str = 'query') -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Queries centred like the candidates: ([sum N, d] float32, [Q + 1] offsets, norms)."""
        return self._pack_checked(self._check_queries(seqs, ids, kind))

    def _check_queries(self, seqs: Sequence[np.ndarray], ids: Optional[Sequence],
                       kind: str) -> List[np.ndarray]:
        checked = _checked(seqs, ids, kind)
        if checked[0].shape[1] != self.dim:
            raise ValueError(f'feature dims differ: {kind} sequences {checked[0].shape[1]}, '
                             f'candidates {self.dim}')
        return checked

    def _pack_checked(self,
                      checked: List[np.ndarray]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        offsets = np.zeros(len(checked) + 1, dtype=np.int64)
        np.cumsum([len(s) for s in checked], out=offsets[1:])
        x = np.empty((int(offsets[-1]), self.dim), dtype=np.float32)
        center32 = self.center.astype(np.float32)
        for s, o in zip(checked, offsets):
            np.subtract(s, center32, out=x[o:o + len(s)], casting='unsafe')
        return x, offsets, np.einsum('ij,ij->i', x, x)


def _task_shape(query_bytes: int, num_queries: int, num_groups: int,
                threads: int) -> Tuple[int, int]:
    """(queries, groups) per task of :func:`~.dtw_kernels.all_pairs`.

    A task's block of queries takes about :data:`TASK_QUERY_BYTES` (with a group's frames and
    the product tile it stays in a core's L2 cache), and the call has at least
    :data:`TASKS_PER_THREAD` tasks per thread to share out (a short tail).
    """
    per_query = max(1, query_bytes // max(1, num_queries))
    queries = int(min(num_queries, max(1, TASK_QUERY_BYTES // per_query)))
    blocks = -(-num_queries // queries)
    chunks = min(num_groups, -(-TASKS_PER_THREAD * threads // blocks))
    return queries, -(-num_groups // chunks)


_BLAS = None


def _blas_controller():
    """threadpoolctl's controller of the loaded BLAS libraries (numba calls scipy's)."""
    global _BLAS
    if _BLAS is None:
        import scipy.linalg.cython_blas  # noqa: F401  (the BLAS numba's np.dot calls)
        from threadpoolctl import ThreadpoolController
        _BLAS = ThreadpoolController()
    return _BLAS


def dtw_cost_matrix(queries: Sequence[np.ndarray],
                    candidates: Union[Sequence[np.ndarray], DTWCandidates],
                    prune: Union[None, float, np.ndarray] = None,
                    num_threads: Optional[int] = None,
                    query_ids: Optional[Sequence] = None,
                    candidate_ids: Optional[Sequence] = None,
                    step_pattern: str = DEFAULT_STEP_PATTERN) -> np.ndarray:
    """Normalised DTW costs of all query x candidate pairs (numba, one thread pool).

    Equal to ``dtw_cost(queries[i], candidates[j], step_pattern)`` to about 1e-6 relative
    (float32; see the module docstring), ``inf`` where the step pattern allows no path.

    Args:
        queries (Sequence[np.ndarray]): Q sequences [N_i, d].
        candidates (Sequence[np.ndarray] | DTWCandidates): C sequences [M_j, d] (same d), or
            the same packed once by :class:`DTWCandidates` (to reuse across calls).
        prune (float | np.ndarray, optional): A normalised cost threshold, one for all queries
            or one per query ([Q]; ``inf`` = none). A pair whose cost exceeds its query's
            threshold gets ``inf`` instead; every pair whose cost is <= it is exact. The DP
            of a group of 16 candidates stops once every one of them is certain to exceed it
            (the minimum of a DP row bounds the total). Defaults to None (no pruning).
        num_threads (int, optional): numba threads for this call (restored afterwards); the
            BLAS runs single-threaded inside them for the call. Defaults to None (numba's
            default: all cores or NUMBA_NUM_THREADS).
        query_ids (Sequence, optional): Names of the queries, used in error messages.
        candidate_ids (Sequence, optional): Names of the candidates, for error messages (when
            ``candidates`` are not packed yet).
        step_pattern (str): 'symmetricP2', 'symmetric1' or 'symmetric2'. Defaults to
            'symmetricP2'.

    Returns:
        np.ndarray: [Q, C] float64 costs.

    Raises:
        ValueError: An empty sequence or one with NaN/inf features (the message names its
            index and id), mismatched feature dims, no sequences, a NaN threshold.
    """
    pattern = _PATTERN_CODES[check_step_pattern(step_pattern)]
    if isinstance(candidates, DTWCandidates):
        checked = candidates._check_queries(queries, query_ids, 'query')
    else:  # queries checked first: their errors come first
        checked = _checked(queries, query_ids, 'query')
        candidates = DTWCandidates(candidates, candidate_ids)
        if checked[0].shape[1] != candidates.dim:
            raise ValueError(f'feature dims differ: query sequences {checked[0].shape[1]}, '
                             f'candidates {candidates.dim}')
    num_q = len(checked)
    thr = np.full(num_q, np.inf) if prune is None else np.broadcast_to(
        np.asarray(prune, dtype=np.float64), (num_q, )).copy()
    if np.isnan(thr).any():
        raise ValueError('prune must not be NaN')
    out = np.empty((num_q, len(candidates)))
    old = numba.get_num_threads()
    threads = old if num_threads is None else max(
        1, min(int(num_threads), numba.config.NUMBA_NUM_THREADS))
    num_groups = len(candidates.group_col) - 1
    ends = np.cumsum([len(s) for s in checked])
    numba.set_num_threads(threads)
    try:
        # one worker per thread (chunks of 1 prange iteration), the BLAS single-threaded
        with _blas_controller().limit(limits=1, user_api='blas'), numba.parallel_chunksize(1):
            q0 = 0
            while q0 < num_q:  # queries packed a block at a time: memory O(block), not O(Q)
                base = ends[q0 - 1] if q0 else 0
                q1 = max(q0 + 1, int(np.searchsorted(ends, base + QUERY_BLOCK_FRAMES, 'right')))
                x, x_off, xn = candidates._pack_checked(checked[q0:q1])
                queries_per_task, groups_per_task = _task_shape(x.nbytes, q1 - q0,
                                                                num_groups, threads)
                K.all_pairs(x, x_off, xn, candidates.frames, candidates.sqnorms,
                            candidates.group_col, candidates.lane_len, candidates.lane_index,
                            pattern, thr[q0:q1], TILE_ELEMS, queries_per_task,
                            groups_per_task, threads, out[q0:q1])
                q0 = q1
    finally:
        numba.set_num_threads(old)
    return out
