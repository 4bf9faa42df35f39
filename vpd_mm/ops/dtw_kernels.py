# Copyright (c) vpd_mm contributors. All rights reserved.
"""numba kernels of :func:`vpd_mm.ops.dtw_cost_matrix` (all pairs).

Layout. The candidates are sorted by length and cut into groups of ``LANES`` (16); a group is
stored frame-major and lane-minor, ``[M_g, LANES, d]`` (``M_g`` = its longest sequence, shorter
ones padded with zero frames), so that one float32 matrix product of a query's frames
``[N, d]`` with a group's frames gives the ``[N, M_g * LANES]`` dot products in exactly the
order the DP reads them: cell ``(i, j)`` of the 16 pairs is one contiguous 16-float vector.

DP. The alignment runs for the 16 pairs of a group at once, one lane each, in float32: every
operation of the recursion is a 16-wide vector operation and the serial dependency of a row
(``symmetric1``/``symmetric2``) is carried by one vector per column. A row of frame costs is
computed first, vectorised, from the dot products (``sqrt(|x|^2 + |y|^2 - 2 x.y)``, features
centred on the candidates' mean); a cost whose square is small against ``|x|^2 + |y|^2``
(cancellation, e.g. near-identical frames) is recomputed from the frame difference, so every
frame cost has a relative error of about 1e-6 whatever the data.

Threads. One numba thread pool and one worker per thread. The work is (block of queries, chunk
of groups) tasks, longest queries first, that the workers claim one at a time from a shared
atomic counter (numba's OpenMP and workqueue layers split a ``prange`` statically: a thread
slowed by another job, or given the longer queries, would hold up the whole call). A task runs
group by group, aligning every query of its block with the group before moving on: a group's
frames (e.g. 60 x 16 x 64 floats, 240 KiB) are read from the shared L3 cache or memory once per
block of queries instead of once per query, and are then reused from the core's own L2 cache,
which makes a call both less dependent on the traffic of other jobs in the shared cache and
about 10x lighter on it. Each task calls the BLAS for its own small products on its own thread;
the caller limits the BLAS to one thread for the duration of the call.

Rows of the DP are kept in small ring buffers ``[rows, PAD + M_g, LANES]`` whose first ``PAD``
columns stay ``+inf`` (costs: 0), so the recursions need no border branches.
"""
import numpy as np
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

LANES = 16  # pairs aligned at once (one float32 AVX-512 vector)
PAD = 3  # leading border columns of the DP rows (symmetricP2 looks 3 columns back)
SYMMETRIC1, SYMMETRIC2, SYMMETRIC_P2 = 0, 1, 2
# A frame cost is recomputed from the difference when its square is below this fraction of
# |x|^2 + |y|^2 (the float32 product's rounding is ~1e-7 of that).
CANCELLATION = 2.0**-6
# 'reassoc' lets LLVM vectorise the sums; no 'nnan'/'ninf': +inf marks unreachable cells.
_FASTMATH = {'reassoc', 'contract', 'nsz', 'arcp'}
_INF = np.float32(np.inf)
# Unsigned offsets: numba adds a negative-index wrap-around to signed indices, which keeps LLVM
# from vectorising the row loops; unsigned ones have none.
_U_LANES = np.uint64(LANES)
_U_PAD = np.uint64(PAD * LANES)


@intrinsic
def _claim(typingctx, counter):
    """``counter[0] += 1`` atomically (LLVM ``atomicrmw add``); returns the value before.

    ``counter``: a 1-element int64 array shared by the threads of a parallel loop.
    """

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary,
                                       [context.get_constant(types.intp, 0)])
        return builder.atomic_rmw('add', ptr, context.get_constant(types.int64, 1), 'monotonic')

    if counter != types.Array(types.int64, 1, 'C'):
        return None
    return types.int64(counter), codegen


@njit(cache=True, fastmath=_FASTMATH)
def _cost_row(dots, xn_i, yn, m, x_i, y, out):
    """One DP row of frame costs: out[(PAD + j) * LANES + l] = ||x_i - y_{j,l}||.

    ``dots`` [m * LANES] = x_i . y (float32 product), ``yn`` [m * LANES] the squared norms of
    the group's frames ``y`` [m * LANES, d], ``xn_i`` that of ``x_i`` [d].
    """
    zero = np.float32(0.0)
    small = zero
    for k in range(m * LANES):
        ku = np.uint64(k)
        norms = xn_i + yn[ku]
        s = norms - np.float32(2.0) * dots[ku]
        small += np.float32(1.0) if s < np.float32(CANCELLATION) * norms else zero
        out[ku + _U_PAD] = np.sqrt(max(s, zero))
    if small > zero:  # cancellation: recompute those from the frame difference
        for k in range(m * LANES):
            norms = xn_i + yn[k]
            if norms - np.float32(2.0) * dots[k] < np.float32(CANCELLATION) * norms:
                s = zero
                for f in range(x_i.shape[0]):
                    t = x_i[f] - y[k, f]
                    s += t * t
                out[k + PAD * LANES] = np.sqrt(s)


@njit(cache=True, fastmath=_FASTMATH)
def _row_symmetric(i, dcur, gprev, gcur, m, w):
    """Row i of symmetric1 (w = 1) / symmetric2 (w = 2): steps (1,0), (0,1) weight 1, (1,1) w.

    g[0, 0] = d[0, 0]; row 0 only moves right; column 0 only moves down.
    """
    for k in range(PAD * LANES, (PAD + 1) * LANES):  # column 0
        gcur[k] = dcur[k] if i == 0 else gprev[k] + dcur[k]
    if i == 0:
        for k in range((PAD + 1) * LANES, (PAD + m) * LANES):
            ku = np.uint64(k)
            gcur[ku] = gcur[ku - _U_LANES] + dcur[ku]
        return
    for k in range((PAD + 1) * LANES, (PAD + m) * LANES):
        ku = np.uint64(k)
        c = dcur[ku]
        a = min(gprev[ku], gcur[ku - _U_LANES]) + c
        b = gprev[ku - _U_LANES] + w * c
        gcur[ku] = min(a, b)


@njit(cache=True, fastmath=_FASTMATH)
def _row_p2(i, d0, d1, d2, g1, g2, g3, gcur, m):
    """Row i of dtw-python's symmetricP2 (Sakoe-Chiba, P = 2), unreachable cells = +inf.

    g[i, j] = min(g[i-1, j-1] + 2 d[i, j],
                  g[i-2, j-3] + 2 d[i-1, j-2] + 2 d[i, j-1] + d[i, j],
                  g[i-3, j-2] + 2 d[i-2, j-1] + 2 d[i-1, j] + d[i, j]),  g[0, 0] = d[0, 0].
    ``d0, d1, d2`` are the cost rows i, i-1, i-2 and ``g1, g2, g3`` the DP rows i-1, i-2, i-3
    (rows before 0: costs 0, DP +inf). No step stays in a row: the row is parallel over j.
    """
    if i == 0:
        for k in range(PAD * LANES, (PAD + m) * LANES):
            gcur[k] = d0[k] if k < (PAD + 1) * LANES else _INF
        return
    two = np.float32(2.0)
    u1, u2, u3 = _U_LANES, np.uint64(2 * LANES), np.uint64(3 * LANES)
    for k in range(PAD * LANES, (PAD + m) * LANES):
        ku = np.uint64(k)
        c = d0[ku]
        diag = g1[ku - u1] + two * c
        wide = g2[ku - u3] + two * d1[ku - u2] + two * d0[ku - u1] + c
        tall = g3[ku - u2] + two * d2[ku - u1] + two * d1[ku] + c
        gcur[ku] = min(min(diag, wide), tall)


@njit(cache=True, fastmath=_FASTMATH)
def _count_within(g, thr_row, m):
    """How many cells of a DP row are <= their lane's threshold (thr_row: per cell)."""
    zero = np.float32(0.0)
    count = zero
    for k in range(m * LANES):
        ku = np.uint64(k)
        count += np.float32(1.0) if g[ku + _U_PAD] <= thr_row[ku] else zero
    return count


@njit(cache=True)
def _group_dp(x, xs, n, xn, y, yn, c0, m, lane_len, pattern, thr, tile_rows, tile, dring,
              gring, within, thr_row, res):
    """Totals (unnormalised) of one query vs one group of LANES candidates into ``res``.

    ``thr`` [LANES]: a lane whose total exceeds it gets +inf (-inf: lane unused). The
    products are computed ``tile_rows`` query frames at a time into ``tile``.
    """
    cols = m * LANES
    width = (PAD + m) * LANES
    yg = y[c0:c0 + cols]  # [m * LANES, d]
    yng = yn[c0:c0 + cols]
    w = np.float32(2.0) if pattern == SYMMETRIC2 else np.float32(1.0)
    pruning = False
    for lane in range(LANES):
        if -np.inf < thr[lane] < np.inf:
            pruning = True
    if pruning:
        for j in range(m):
            for lane in range(LANES):
                thr_row[j * LANES + lane] = thr[lane]
    nd, ng, hist = dring.shape[0], gring.shape[0], within.shape[0]
    dring[:, :width] = 0.0
    gring[:, :width] = np.inf
    within[:] = 1.0
    pruned = False
    for r0 in range(0, n, tile_rows):
        r1 = min(n, r0 + tile_rows)
        dots = tile[:(r1 - r0) * cols].reshape((r1 - r0, cols))
        np.dot(x[xs + r0:xs + r1], yg.T, dots)  # [rows, m * LANES]: one BLAS call
        for i in range(r0, r1):
            d0 = dring[i % nd]
            _cost_row(dots[i - r0], xn[xs + i], yng, m, x[xs + i], yg, d0)
            gcur = gring[i % ng]
            if pattern == SYMMETRIC_P2:
                _row_p2(i, d0, dring[(i - 1) % nd], dring[(i - 2) % nd], gring[(i - 1) % ng],
                        gring[(i - 2) % ng], gring[(i - 3) % ng], gcur, m)
            else:
                _row_symmetric(i, d0, gring[(i - 1) % ng], gcur, m, w)
            if pruning:
                # Every path has a node in every row (symmetric1/2) or in every 3 consecutive
                # rows (symmetricP2), and totals only grow along a path: once no cell of those
                # rows is within its lane's threshold, no lane can end within it.
                within[i % hist] = _count_within(gcur, thr_row, m)
                if within.sum() == 0 and (pattern == SYMMETRIC_P2 or within[i % hist] == 0):
                    pruned = True
                    break
        if pruned:
            break
    if pruned:
        res[:] = np.inf
        return
    glast = gring[(n - 1) % ng]
    for lane in range(LANES):
        v = glast[(PAD + lane_len[lane] - 1) * LANES + lane] if lane_len[lane] > 0 else np.inf
        res[lane] = v if v <= thr[lane] else np.inf


@njit(parallel=True, cache=True)
def all_pairs(x, x_off, xn, y, yn, group_col, lane_len, lane_index, pattern, prune, tile_elems,
              queries_per_task, groups_per_task, workers, out):
    """Normalised DTW costs of every query vs every candidate into ``out`` [Q, C] (float64).

    Args:
        x, x_off, xn: query frames [sum N, d] float32 (centred), offsets [Q + 1], squared norms.
        y, yn: candidate frames [sum_g M_g * LANES, d] float32 (centred, grouped), norms.
        group_col [G + 1]: first row of each group in ``y``; lane_len, lane_index [G, LANES]:
            each lane's length and candidate column (-1: unused lane).
        pattern: SYMMETRIC1, SYMMETRIC2 or SYMMETRIC_P2.
        prune [Q]: normalised threshold per query (+inf: none); pairs above it get +inf.
        tile_elems: the most float32 products held per task.
        queries_per_task, groups_per_task: a task aligns a block of that many queries (in the
            order longest first) with a chunk of that many groups, group by group: a group's
            frames are read from the shared cache once per block of queries, then stay in the
            thread's own (L2) cache while the block's queries are aligned with them.
        workers: parallel workers (one per thread); they share the tasks out dynamically.
    """
    nq = x_off.shape[0] - 1
    ngroups = group_col.shape[0] - 1
    nchunks = (ngroups + groups_per_task - 1) // groups_per_task
    nblocks = (nq + queries_per_task - 1) // queries_per_task
    max_m = 1
    for g in range(ngroups):
        max_m = max(max_m, (group_col[g + 1] - group_col[g]) // LANES)
    max_n = 1
    for q in range(nq):
        max_n = max(max_n, x_off[q + 1] - x_off[q])
    nd = 3 if pattern == SYMMETRIC_P2 else 1
    ng = 4 if pattern == SYMMETRIC_P2 else 2
    # longest queries first: the last tasks claimed are the shortest (a short tail)
    order = np.argsort(x_off[:nq] - x_off[1:], kind='mergesort')
    counter = np.zeros(1, np.int64)
    for _ in prange(workers):
        tile_cap = max(1, min(max_n, tile_elems // (max_m * LANES)))
        tile = np.empty(tile_cap * max_m * LANES, np.float32)
        dring = np.empty((nd, (PAD + max_m) * LANES), np.float32)
        gring = np.empty((ng, (PAD + max_m) * LANES), np.float32)
        within = np.empty(3 if pattern == SYMMETRIC_P2 else 1, np.float32)
        thr_row = np.empty(max_m * LANES, np.float32)
        res = np.empty(LANES, np.float32)
        thr = np.empty(LANES, np.float64)
        while True:
            task = _claim(counter)
            if task >= nblocks * nchunks:
                break
            qb = task // nchunks
            chunk = task % nchunks
            for g in range(chunk * groups_per_task, min(ngroups,
                                                        (chunk + 1) * groups_per_task)):
                c0 = group_col[g]
                m = (group_col[g + 1] - c0) // LANES
                for qi in range(qb * queries_per_task, min(nq, (qb + 1) * queries_per_task)):
                    q = order[qi]
                    xs = x_off[q]
                    n = x_off[q + 1] - xs
                    for lane in range(LANES):
                        if lane_index[g, lane] < 0:
                            thr[lane] = -np.inf
                        else:
                            thr[lane] = prune[q] * (n + lane_len[g, lane])
                    _group_dp(x, xs, n, xn, y, yn, c0, m, lane_len[g], pattern, thr,
                              min(n, tile_cap), tile, dring, gring, within, thr_row, res)
                    for lane in range(LANES):
                        ci = lane_index[g, lane]
                        if ci >= 0:
                            out[q, ci] = np.float64(res[lane]) / (n + lane_len[g, lane])
