# Copyright (c) vpd_mm contributors. All rights reserved.
import numpy as np
import pytest

import vpd_mm  # noqa: F401
from vpd_mm.evaluation.functional.dtw import dtw_cost, dtw_cost_matrix

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
    assert dtw_cost(A, B) == pytest.approx(1 / 7)
    assert dtw_cost(A[:, 0], B[:, 0]) == pytest.approx(1 / 7)
    assert dtw_cost(A, B, step_pattern='symmetric2') == pytest.approx(2 / 7)
    assert dtw_cost_matrix([A], [B])[0, 0] == pytest.approx(1 / 7)
    assert dtw_cost_matrix([A], [B], step_pattern='symmetric2')[0, 0] == pytest.approx(2 / 7)
    # Identical sequences cost 0; one frame each: c / 2.
    assert dtw_cost(A, A) == 0.0
    assert dtw_cost(np.array([[0., 0.]]), np.array([[3., 4.]])) == pytest.approx(5 / 2)


def _random_pairs(rng, num, d=5):
    return [(rng.normal(size=(rng.integers(1, 30), d)), rng.normal(size=(rng.integers(1, 30), d)))
            for _ in range(num)]


@pytest.mark.parametrize('step_pattern', ['symmetric1', 'symmetric2'])
def test_equals_dtw_python(step_pattern):
    dtw = pytest.importorskip('dtw')
    rng = np.random.default_rng(0)
    for a, b in _random_pairs(rng, 20):
        align = dtw.dtw(
            a, b, dist_method='euclidean', step_pattern=step_pattern, distance_only=True)
        ref = align.distance / (len(a) + len(b))
        assert dtw_cost(a, b, step_pattern=step_pattern) == pytest.approx(ref, rel=1e-12)
        ours = dtw_cost_matrix([a], [b], step_pattern=step_pattern)[0, 0]
        assert ours == pytest.approx(ref, rel=1e-5)  # float32 features


def test_matrix_equals_pairwise():
    rng = np.random.default_rng(1)
    qs = [rng.normal(size=(rng.integers(1, 25), 4)) for _ in range(7)]
    cs = [rng.normal(size=(rng.integers(1, 25), 4)) for _ in range(9)]
    ref = np.array([[dtw_cost(q, c) for c in cs] for q in qs])
    for threads in (None, 1):
        got = dtw_cost_matrix(qs, cs, num_threads=threads)
        assert got.shape == (7, 9) and got.dtype == np.float64
        np.testing.assert_allclose(got, ref, rtol=1e-5)


def test_prune_inf_only_above_threshold():
    rng = np.random.default_rng(2)
    qs = [rng.normal(size=(rng.integers(2, 25), 3)) + rng.normal() for _ in range(8)]
    cs = [rng.normal(size=(rng.integers(2, 25), 3)) for _ in range(10)]
    exact = dtw_cost_matrix(qs, cs)
    for prune in (np.median(exact), np.quantile(exact, 0.2), 0.0):
        got = dtw_cost_matrix(qs, cs, prune=prune)
        above = exact > prune
        assert np.isinf(got[above]).all()
        np.testing.assert_array_equal(got[~above], exact[~above])
    np.testing.assert_array_equal(dtw_cost_matrix(qs, cs, prune=np.inf), exact)


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
        dtw_cost(good, good, step_pattern='symmetricP2')
