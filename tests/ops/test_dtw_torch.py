# Copyright (c) vpd_mm contributors. All rights reserved.
import numpy as np
import pytest
import torch

from vpd_mm.ops import STEP_PATTERNS, dtw_cost, dtw_cost_matrix, dtw_cost_matrix_torch

DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


def test_hand_computed_3x4():
    # the case of test_dtw.py: frame costs |a_i - b_j| of a = 0 1 2, b = 0 0 1 3
    a, b = np.array([[0.], [1.], [2.]]), np.array([[0.], [0.], [1.], [3.]])
    for pattern, want in (('symmetric1', 1 / 7), ('symmetric2', 2 / 7), ('symmetricP2', 5 / 7)):
        got = dtw_cost_matrix_torch([a, b], [b, a], pattern, device='cpu')
        assert got[0, 0] == pytest.approx(want, rel=1e-6)
        assert got[1, 1] == pytest.approx(want, rel=1e-6)  # symmetric patterns: b vs a too
        assert got[0, 1] == 0.0 and got[1, 0] == 0.0  # identical sequences (no cancellation)
    # one frame each: the frame cost / 2
    assert dtw_cost_matrix_torch([[[0., 0.]]], [[[3., 4.]]], device='cpu')[0, 0] == 2.5


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('step_pattern', STEP_PATTERNS)
def test_equals_reference_and_numba(step_pattern, device):
    rng = np.random.default_rng(3)
    qs = [rng.normal(size=(rng.integers(1, 25), 4)) * 3 for _ in range(9)]
    cs = [rng.normal(size=(rng.integers(1, 25), 4)) * 3 for _ in range(11)]
    cs[4] = qs[2] + 1e-3  # near-identical frames: the cancellation fix
    ref = np.array([[dtw_cost(q, c, step_pattern) for c in cs] for q in qs])
    numba_costs = dtw_cost_matrix(qs, cs, step_pattern=step_pattern)
    # max_cells=200 forces many small blocks (a few pairs each), None one block
    for max_cells in (None, 200):
        got = dtw_cost_matrix_torch(qs, cs, step_pattern, device=device, max_cells=max_cells)
        assert got.shape == (9, 11) and got.dtype == np.float64
        np.testing.assert_array_equal(np.isinf(got), np.isinf(ref))
        fin = np.isfinite(ref)
        np.testing.assert_allclose(got[fin], ref[fin], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got[fin], numba_costs[fin], rtol=1e-5, atol=1e-6)
    assert got[2, 4] == pytest.approx(ref[2, 4], abs=1e-6)  # ~1e-3, not sqrt(rounding)
    if step_pattern == 'symmetricP2':  # lengths 1-24: some pairs cannot be aligned
        assert np.isinf(ref).sum() > 5
    else:
        assert np.isfinite(ref).all()


def test_sequence_workload_matches_numba():
    # the benchmark's shapes (lengths 40-60, d = 64, float32), a few pairs
    rng = np.random.default_rng(4)
    qs = [rng.normal(size=(rng.integers(40, 61), 64)).astype(np.float32) for _ in range(5)]
    cs = [rng.normal(size=(rng.integers(40, 61), 64)).astype(np.float32) for _ in range(7)]
    for pattern in ('symmetricP2', 'symmetric1'):
        want = dtw_cost_matrix(qs, cs, step_pattern=pattern)
        got = dtw_cost_matrix_torch(qs, cs, pattern, device='cpu', max_cells=20000)
        np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
        fin = np.isfinite(want)
        assert np.abs(got[fin] - want[fin]).max() < 1e-4


def test_errors_name_the_sequence():
    good = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"candidate 1 \(id 'b'\): empty"):
        dtw_cost_matrix_torch([good], [good, np.zeros((0, 2))], candidate_ids=['a', 'b'])
    with pytest.raises(ValueError, match='feature dims differ'):
        dtw_cost_matrix_torch([good], [np.zeros((3, 5))])
    with pytest.raises(ValueError, match='step_pattern'):
        dtw_cost_matrix_torch([good], [good], 'asymmetric')
