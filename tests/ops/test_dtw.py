# Copyright (c) vpd_mm contributors. All rights reserved.
import numpy as np
import pytest

from vpd_mm.ops.dtw import (DEFAULT_STEP_PATTERN, STEP_PATTERNS, DTWCandidates, dtw_cost,
                            dtw_cost_matrix)

A = np.array([[0.], [1.], [2.]])
B = np.array([[0.], [0.], [1.], [3.]])


def test_hand_computed_3x4():
    # Frame costs |a_i - b_j|:      b = 0  0  1  3
    #                       a = 0:      0  0  1  3
    #                       a = 1:      1  1  0  2
    #                       a = 2:      2  2  1  1
    # symmetric1: best path (0,0) -> (0,1) -> (1,2) -> (2,3) costs 0 + 0 + 0 + 1 = 1;
    # normalised by N + M = 3 + 4 = 7 -> 1/7.
    # symmetric2: the two diagonal steps count their cell twice: 0 + 0 + 2*0 + 2*1 = 2 -> 2/7.
    # symmetricP2: from (0, 0) the steps are (1,1), (2,3) and (3,2); only one (2,3) step reaches
    # (2, 3), through (1, 1) and (2, 2) with weights 2, 2, 1: c00 + 2 c11 + 2 c22 + c23 =
    # 0 + 2 + 2 + 1 = 5 -> 5/7.
    for pattern, want in (('symmetric1', 1 / 7), ('symmetric2', 2 / 7), ('symmetricP2', 5 / 7)):
        assert dtw_cost(A, B, pattern) == pytest.approx(want)
        assert dtw_cost(A[:, 0], B[:, 0], pattern) == pytest.approx(want)
        assert dtw_cost_matrix([A], [B], step_pattern=pattern)[0, 0] == pytest.approx(want)
    assert DEFAULT_STEP_PATTERN == 'symmetricP2' and dtw_cost(A, B) == pytest.approx(5 / 7)
    # Identical sequences cost 0; one frame each: c / 2 (symmetricP2 too: g[0, 0] = c).
    for pattern in STEP_PATTERNS:
        assert dtw_cost(A, A, pattern) == 0.0
        assert dtw_cost_matrix([A], [A], step_pattern=pattern)[0, 0] == 0.0
        assert dtw_cost([[0., 0.]], [[3., 4.]], pattern) == pytest.approx(5 / 2)


def test_symmetric_p2_cannot_align_some_lengths():
    # The end cell (N-1, M-1) must be a sum of the steps (1,1), (2,3), (3,2): 1 vs 2 frames,
    # 2 vs 3 (1,2), 2 vs 4 (1,3) have no path; 3 vs 4 (2,3) and 4 vs 3 do.
    one = np.zeros((1, 2))
    for n, m, alignable in ((1, 2, False), (2, 3, False), (2, 4, False), (3, 4, True),
                            (4, 3, True), (2, 2, True), (10, 21, False), (10, 14, True)):
        a, b = np.ones((n, 2)), np.zeros((m, 2))
        ref = dtw_cost(a, b, 'symmetricP2')
        got = dtw_cost_matrix([a], [b, one], step_pattern='symmetricP2')
        assert np.isfinite(ref) == alignable and np.isfinite(got[0, 0]) == alignable, (n, m)
        if alignable:
            # every cell costs sqrt(2); the steps' weights sum to (N - 1) + (M - 1) and the
            # start cell counts once (g[0, 0] = c(0, 0)), so the total weight is N + M - 1:
            # e.g. 3 vs 4 -> sqrt(2) * 6 / 7 = 1.2122 (dtw-python's normalizedDistance).
            want = np.sqrt(2) * (n + m - 1) / (n + m)
            assert got[0, 0] == pytest.approx(want, rel=1e-6) and ref == pytest.approx(want)
        # the other patterns align anything
        assert np.isfinite(dtw_cost_matrix([a], [b], step_pattern='symmetric1')).all()


def _random_pairs(rng, num, d=5, lo=2, hi=30):
    return [(rng.normal(size=(rng.integers(lo, hi), d)), rng.normal(size=(rng.integers(lo, hi),
                                                                          d)))
            for _ in range(num)]


@pytest.mark.parametrize('step_pattern', STEP_PATTERNS)
def test_equals_dtw_python(step_pattern):
    dtw = pytest.importorskip('dtw')
    rng = np.random.default_rng(0)
    # lengths >= 2: dtw-python reads a [1, d] array as d frames of one feature
    pairs = _random_pairs(rng, 40)
    ours = dtw_cost_matrix([a for a, _ in pairs], [b for _, b in pairs], step_pattern=step_pattern)
    num_inf = 0
    for i, (a, b) in enumerate(pairs):
        try:
            align = dtw.dtw(
                a, b, dist_method='euclidean', step_pattern=step_pattern, distance_only=True)
            ref = (align.distance / (len(a) + len(b))
                   if step_pattern == 'symmetric1' else align.normalizedDistance)
        except ValueError as e:  # "No warping path found compatible with the local constraints"
            assert 'No warping path' in str(e)
            ref = np.inf
        num_inf += np.isinf(ref)
        assert dtw_cost(a, b, step_pattern=step_pattern) == pytest.approx(ref, rel=1e-12)
        assert ours[i, i] == pytest.approx(ref, rel=1e-5)  # float32 (inf == inf)
    # symmetricP2 leaves random lengths 2-29 unaligned often; the others never
    assert (num_inf > 5) if step_pattern == 'symmetricP2' else num_inf == 0


@pytest.mark.parametrize('step_pattern', STEP_PATTERNS)
def test_matrix_equals_pairwise(step_pattern):
    rng = np.random.default_rng(1)
    qs = [rng.normal(size=(rng.integers(1, 25), 4)) for _ in range(7)]
    cs = [rng.normal(size=(rng.integers(1, 25), 4)) for _ in range(9)]
    ref = np.array([[dtw_cost(q, c, step_pattern) for c in cs] for q in qs])
    for threads in (None, 1):
        got = dtw_cost_matrix(qs, cs, num_threads=threads, step_pattern=step_pattern)
        assert got.shape == (7, 9) and got.dtype == np.float64
        np.testing.assert_allclose(got, ref, rtol=1e-5)  # inf where ref is inf
    # candidates packed once give the same costs
    packed = DTWCandidates(cs)
    assert len(packed) == 9 and packed.dim == 4
    np.testing.assert_array_equal(dtw_cost_matrix(qs, packed, step_pattern=step_pattern), got)


@pytest.mark.parametrize('step_pattern', STEP_PATTERNS)
def test_prune_inf_only_above_threshold(step_pattern):
    rng = np.random.default_rng(2)
    qs = [rng.normal(size=(rng.integers(2, 25), 3)) + rng.normal() for _ in range(8)]
    cs = [rng.normal(size=(rng.integers(2, 25), 3)) for _ in range(40)]  # 3 groups of 16
    exact = dtw_cost_matrix(qs, cs, step_pattern=step_pattern)
    fin = exact[np.isfinite(exact)]
    per_query = np.quantile(np.where(np.isfinite(exact), exact, fin.max()), 0.3, axis=1)
    per_query[3] = np.inf  # no pruning for this query
    for prune in (np.median(fin), np.quantile(fin, 0.2), 0.0, per_query):
        got = dtw_cost_matrix(qs, cs, prune=prune, step_pattern=step_pattern)
        thr = np.broadcast_to(prune, (len(qs), ))[:, None]
        above = ~(exact <= thr)
        assert np.isinf(got[above]).all()
        np.testing.assert_array_equal(got[~above], exact[~above])
    np.testing.assert_array_equal(
        dtw_cost_matrix(qs, cs, prune=np.inf, step_pattern=step_pattern), exact)


def test_errors_name_the_sequence():
    good = np.zeros((3, 2))
    bad = np.zeros((4, 2))
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"candidate 1 \(id 'vid_b'\).*NaN.*\[2\]"):
        dtw_cost_matrix([good], [good, bad], candidate_ids=['vid_a', 'vid_b'])
    with pytest.raises(ValueError, match=r"query 0 \(id 'q7'\): empty"):
        dtw_cost_matrix([np.zeros((0, 2))], [good], query_ids=['q7'])
    with pytest.raises(ValueError, match='query 1: empty'):
        dtw_cost_matrix([good, np.zeros((0, 2))], [good])
    with pytest.raises(ValueError, match='feature dims differ'):
        dtw_cost_matrix([good], [np.zeros((3, 5))])
    with pytest.raises(ValueError, match='b: non-finite'):
        dtw_cost(good, bad)
    with pytest.raises(ValueError, match='step_pattern'):
        dtw_cost(good, good, step_pattern='symmetricP3')
    with pytest.raises(ValueError, match='step_pattern'):
        dtw_cost_matrix([good], [good], step_pattern='asymmetric')
    with pytest.raises(ValueError, match='prune must not be NaN'):
        dtw_cost_matrix([good], [good], prune=np.nan)
    with pytest.raises(ValueError, match='no query'):
        dtw_cost_matrix([], [good])


@pytest.mark.parametrize('block_frames,task_query_bytes',
                         [(10**6, 1 << 17), (40, 300), (10**6, 1)])
def test_query_blocks_give_the_same_costs(monkeypatch, block_frames, task_query_bytes):
    """Queries packed in one block or several (one kernel call each), tasks of all queries or
    of 2 or 1 (against 1 or 3 groups each), any thread count: every pair once, with its own
    query's threshold."""
    import vpd_mm.ops.dtw as dtw_module
    rng = np.random.default_rng(3)
    qs = [rng.normal(size=(rng.integers(2, 20), 3)) for _ in range(20)]
    cs = [rng.normal(size=(rng.integers(2, 20), 3)) for _ in range(35)]  # 3 groups
    ref = np.array([[dtw_cost(q, c, 'symmetric2') for c in cs] for q in qs])
    prune = np.quantile(ref, 0.5, axis=1)
    monkeypatch.setattr(dtw_module, 'QUERY_BLOCK_FRAMES', block_frames)
    monkeypatch.setattr(dtw_module, 'TASK_QUERY_BYTES', task_query_bytes)
    for threads in (1, 2):
        got = dtw_cost_matrix(qs, cs, num_threads=threads, step_pattern='symmetric2')
        np.testing.assert_allclose(got, ref, rtol=1e-5)
        pruned = dtw_cost_matrix(qs, cs, prune=prune, num_threads=threads,
                                 step_pattern='symmetric2')
        # (float32 costs: pairs within 1e-5 of their threshold may go either way)
        keep, drop = ref < prune[:, None] * (1 - 1e-5), ref > prune[:, None] * (1 + 1e-5)
        assert np.isinf(pruned[drop]).all() and drop.sum() > 250 and keep.sum() > 250
        np.testing.assert_allclose(pruned[keep], ref[keep], rtol=1e-5)


@pytest.mark.parametrize('step_pattern', ['symmetric1', 'symmetricP2'])
def test_products_in_several_tiles_per_query(monkeypatch, step_pattern):
    """A tile smaller than a query (products computed a few query rows at a time, as for long
    sequences): the same costs as in one tile."""
    import vpd_mm.ops.dtw as dtw_module
    rng = np.random.default_rng(5)
    qs = [rng.normal(size=(rng.integers(8, 25), 4)) for _ in range(5)]
    cs = [rng.normal(size=(rng.integers(8, 25), 4)) for _ in range(20)]  # 2 groups, M_g <= 24
    ref = np.array([[dtw_cost(q, c, step_pattern) for c in cs] for q in qs])
    monkeypatch.setattr(dtw_module, 'TILE_ELEMS', 3 * 24 * 16)  # 3 rows of the longest group
    got = dtw_cost_matrix(qs, cs, step_pattern=step_pattern)
    assert np.array_equal(np.isinf(got), np.isinf(ref))
    np.testing.assert_allclose(got[np.isfinite(ref)], ref[np.isfinite(ref)], rtol=1e-5)


def test_task_shape():
    from vpd_mm.ops.dtw import _task_shape

    # 300 queries of 50 x 64 float32 frames (12,800 B): 131,072 // 12,800 = 10 per task; 30
    # blocks need 2 chunks of the 19 groups for 16 tasks per thread on 2 threads
    assert _task_shape(300 * 12_800, 300, 19, 2) == (10, 10)
    # one query: 32 tasks wanted, at most one group each
    assert _task_shape(12_800, 1, 19, 2) == (1, 1)
    # queries larger than the budget: one per task, all groups (300 tasks already)
    assert _task_shape(300 * 10**6, 300, 19, 2) == (1, 19)
    # tiny queries: all in one block, the groups cut into 32 chunks of 4 (the last of 1)
    assert _task_shape(20 * 100, 20, 125, 2) == (20, 4)


def test_tasks_claimed_once_each_by_concurrent_workers():
    # The kernel's workers take tasks from a shared atomic counter: under 2 threads every
    # value 0..n-1 must be handed out exactly once (a plain `counter[0] += 1` would lose some).
    import numba

    from vpd_mm.ops.dtw_kernels import _claim

    @numba.njit(parallel=True)
    def claim_all(workers, n, counter, seen):
        for _ in numba.prange(workers):
            while True:
                task = _claim(counter)
                if task >= n:
                    break
                seen[task] += 1

    old = numba.get_num_threads()
    workers = min(2, numba.config.NUMBA_NUM_THREADS)
    numba.set_num_threads(workers)
    try:
        counter, seen = np.zeros(1, np.int64), np.zeros(100_000, np.int64)
        with numba.parallel_chunksize(1):
            claim_all(workers, len(seen), counter, seen)
    finally:
        numba.set_num_threads(old)
    assert (seen == 1).all()
    assert counter[0] == len(seen) + workers  # each worker's last claim overshoots by one


def test_matrix_independent_of_threads_and_callers_chunksize():
    # fewer tasks than workers (1 query), and a caller's own parallel_chunksize, change nothing
    import numba
    rng = np.random.default_rng(3)
    qs = [rng.normal(size=(rng.integers(5, 30), 8)) for _ in range(11)]
    cs = [rng.normal(size=(rng.integers(5, 30), 8)) for _ in range(40)]
    want = dtw_cost_matrix(qs, cs, num_threads=1, step_pattern='symmetric1')
    np.testing.assert_array_equal(
        dtw_cost_matrix(qs[:1], cs, num_threads=2, step_pattern='symmetric1'), want[:1])
    with numba.parallel_chunksize(8):
        got = dtw_cost_matrix(qs, cs, num_threads=2, step_pattern='symmetric1')
        assert numba.get_parallel_chunksize() == 8  # the caller's setting is restored
    np.testing.assert_array_equal(got, want)


def test_one_far_off_frame_changes_only_its_own_costs():
    """Candidates are centred on their median frame: one frame of 1e12 (a corrupt feature
    value) used to move the mean centre so far that float32 cancellation ruined every cost
    (retrieval at chance); now only the costs of its own sequence change. Beyond
    MAX_ABS_FEATURE the value is refused, naming the sequence and the frame."""
    from vpd_mm.ops.dtw import MAX_ABS_FEATURE
    from vpd_mm.ops.dtw_torch import dtw_cost_matrix_torch
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(int(rng.integers(20, 30)), 8)).astype(np.float32)
            for _ in range(40)]
    ref = dtw_cost_matrix(seqs[:10], seqs)
    bad = [s.copy() for s in seqs]
    bad[20][3, 0] = 1e12
    others = np.arange(40) != 20
    for matrix in (dtw_cost_matrix, lambda q, c: dtw_cost_matrix_torch(q, c, device='cpu')):
        got = matrix(bad[:10], bad)
        np.testing.assert_allclose(got[:, others], ref[:, others], rtol=1e-5)
        assert (got[:, 20] > 1e9).all()
    bad[20][3, 0] = 10 * MAX_ABS_FEATURE
    with pytest.raises(ValueError, match=r'candidate 20: features of magnitude up to 1e\+16 at '
                       r'frame\(s\) \[3\]'):
        dtw_cost_matrix(bad[:10], bad)
