# Copyright (c) vpd_mm contributors. All rights reserved.
import dtw
import numpy as np
import pytest

import vpd_mm  # noqa: F401
from vpd_mm.evaluation.functional import dtw_cost_matrix, dtw_cost_matrix_packed, pack_sequences


def _seqs(rng, num, d, lo=1, hi=20, offset=0.0):
    return [(rng.normal(size=(rng.integers(lo, hi), d)) + offset).astype(np.float32)
            for _ in range(num)]


@pytest.mark.parametrize('step_pattern', ['symmetric1', 'symmetric2'])
def test_gemm_equals_dtw_python_and_direct(step_pattern):
    rng = np.random.default_rng(3)
    # an offset far from 0 checks the centring (cancellation in |a|^2 + |b|^2 - 2ab)
    qs, cs = _seqs(rng, 6, 8, offset=20.0), _seqs(rng, 7, 8, offset=20.0)
    ref = np.array([[
        dtw.dtw(q.astype(np.float64), c.astype(np.float64), dist_method='euclidean',
                step_pattern=step_pattern, distance_only=True).distance / (len(q) + len(c))
        for c in cs
    ] for q in qs])
    direct = dtw_cost_matrix(qs, cs, method='direct', step_pattern=step_pattern)
    np.testing.assert_allclose(direct, ref, rtol=1e-6)
    # tiny blocks (one sequence per block) and one big block give the same costs
    for block in (1, 50, 1 << 24):
        got = dtw_cost_matrix(qs, cs, step_pattern=step_pattern, block_elems=block)
        np.testing.assert_allclose(got, ref, rtol=1e-5)


def test_gemm_identical_frames_near_zero():
    rng = np.random.default_rng(4)
    a = rng.normal(size=(12, 64)).astype(np.float32) + 5.0
    got = dtw_cost_matrix([a], [a, a[::-1].copy()])
    assert 0.0 <= got[0, 0] < 1e-3  # exact 0 up to the documented cancellation error
    assert got[0, 1] > 1.0


def test_packed_equals_unpacked():
    rng = np.random.default_rng(5)
    qs, cs = _seqs(rng, 5, 3), _seqs(rng, 9, 3)
    x, x_off = pack_sequences(qs, kind='query')
    y, y_off = pack_sequences(cs, kind='candidate')
    assert x.dtype == np.float32 and x_off[-1] == len(x) == sum(len(q) for q in qs)
    np.testing.assert_array_equal(
        dtw_cost_matrix_packed(x, x_off, y, y_off, num_threads=1), dtw_cost_matrix(qs, cs))
    with pytest.raises(ValueError, match='method'):
        dtw_cost_matrix(qs, cs, method='fast')
