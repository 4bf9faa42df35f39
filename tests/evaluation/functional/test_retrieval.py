# Copyright (c) vpd_mm contributors. All rights reserved.
import numpy as np
import pytest

import vpd_mm  # noqa: F401
from vpd_mm.evaluation.functional.retrieval import retrieval_precision_at_k


def test_hand_computed_self_excluded():
    # 4 sequences, labels a a b b; every one is a query and a candidate (self at column i).
    labels = ['a', 'a', 'b', 'b']
    cost = np.array([
        [0.0, 0.3, 0.1, 0.9],  # q0 (a): others by cost 2(b) 1(a) 3(b)
        [0.3, 0.0, 0.5, 0.2],  # q1 (a): 3(b) 0(a) 2(b)
        [0.1, 0.5, 0.0, 0.4],  # q2 (b): 0(a) 3(b) 1(a)
        [0.9, 0.2, 0.4, 0.0],  # q3 (b): 1(a) 2(b) 0(a)
    ])
    out = retrieval_precision_at_k(cost, labels, labels, ks=(1, 2, 10), self_index=np.arange(4))
    # p@1: 0 0 0 0 -> 0; p@2: 1/2 each -> 0.5; p@10: 3 remain, 1 relevant each -> 1/3.
    assert out == {'precision@1': 0.0, 'precision@2': 0.5, 'precision@10': pytest.approx(1 / 3)}
    # Without excluding self, every query finds itself first (cost 0).
    out = retrieval_precision_at_k(cost, labels, labels, ks=(1, 2))
    assert out == {'precision@1': 1.0, 'precision@2': 0.5}


def test_ties_inf_and_self_minus_one():
    # q0 is not a candidate (-1); q1 is candidate 0. Ties keep candidate order; inf last.
    cost = np.array([[0.2, 0.2, np.inf], [0.0, np.inf, 0.5]])
    out = retrieval_precision_at_k(cost, [1, 2], [1, 2, 2], ks=(1, 2), self_index=np.array([-1, 0]))
    # q0 (1): ranking 0(1) 1(2) 2(2) -> p@1 1, p@2 1/2. q1 (2): 2(2) 1(2) -> p@1 1, p@2 1.
    assert out == {'precision@1': 1.0, 'precision@2': 0.75}
    # reduction='none': the same per query (for callers that work block by block)
    out = retrieval_precision_at_k(cost, [1, 2], [1, 2, 2], ks=(1, 2), self_index=np.array([-1, 0]),
                                   reduction='none')
    np.testing.assert_array_equal(out['precision@1'], [1.0, 1.0])
    np.testing.assert_array_equal(out['precision@2'], [0.5, 1.0])


def test_errors():
    with pytest.raises(ValueError, match='no candidate'):
        retrieval_precision_at_k(np.zeros((1, 1)), [0], [0], ks=(1, ), self_index=np.array([0]))
    with pytest.raises(ValueError, match='NaN'):
        retrieval_precision_at_k(np.full((1, 2), np.nan), [0], [0, 1])
    with pytest.raises(ValueError, match=r'\[Q, C\]'):
        retrieval_precision_at_k(np.zeros((2, 2)), [0], [0, 1])
    with pytest.raises(ValueError, match='reduction'):
        retrieval_precision_at_k(np.zeros((1, 2)), [0], [0, 1], reduction='sum')
