"""Cross-view retrieval of VIPE* embeddings and of the raw 2D joints, on hand-computed cases."""
import numpy as np
import pytest
import torch
from mmaction.registry import METRICS
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope
from mmengine.structures import BaseDataElement

import vpd_mm  # noqa: F401
from vpd_mm.evaluation.metrics.view_invariance_metric import ViewInvarianceMetric, cross_view_hits


def pose_input(x: float, score: float) -> torch.Tensor:
    """A [39] input whose 13 joints all sit at (x, 0) with the given score entry."""
    return torch.tensor([x, 0.0, score] * 13)


def make_batch(e1, e2, r1, r2):
    """Inputs [3, 39] (view 1, view 2, a dummy negative) and predictions [2, D] per sample."""
    inputs, samples = [], []
    for i in range(len(e1)):
        # the score entries would make every own match perfect if they were not dropped
        inputs.append(torch.stack([pose_input(r1[i], 100.0 * i),
                                   pose_input(r2[i], 100.0 * i),
                                   pose_input(-7.0, 0.0)]))
        samples.append(BaseDataElement(pred_embedding=torch.tensor([e1[i], e2[i]]).float()))
    return dict(inputs=inputs, data_samples=samples), samples


def test_hand_computed():
    # embeddings (D = 1): query 0 -> {0.2, 4, 5.5}: own nearest; query 1 (1) -> {0.8, 3, 4.5}:
    # own (3) second; query 2 (5) -> {4.8, 1, 0.5}: own nearest.  hit@1 = 2/3, hit@2 = 1.
    e1, e2 = [[0.0], [1.0], [5.0]], [[0.2], [4.0], [5.5]]
    # raw x (26-dim, all joints alike): queries 0, 1, 2 vs candidates 2, 1, 0: only query 1
    # finds its own first; queries 0 and 2 find theirs last.
    r1, r2 = [0.0, 1.0, 2.0], [2.0, 1.0, 0.0]
    data_batch, samples = make_batch(e1, e2, r1, r2)
    with DefaultScope.overwrite_default_scope('mmaction'):
        evaluator = Evaluator(dict(type='ViewInvarianceMetric', topk=(1, 2, 3)))
    evaluator.process(samples, data_batch)  # as the ValLoop calls it
    result = evaluator.evaluate(len(samples))
    assert list(result) == ['vipe/hit@1', 'vipe/hit@2', 'vipe/hit@3', 'vipe/raw2d_hit@1',
                            'vipe/raw2d_hit@2', 'vipe/raw2d_hit@3']
    expected = [2 / 3, 1.0, 1.0, 1 / 3, 1 / 3, 1.0]
    np.testing.assert_allclose(list(result.values()), expected)


def test_default_keys_and_chunks():
    # query 0 (0) is closer to the other candidate (0.1) than to its own (10.1): a miss among
    # all, a hit when each sample is compared alone (num_candidates=1).
    e1, e2 = [[0.0], [10.0]], [[10.1], [0.1]]
    data_batch, samples = make_batch(e1, e2, [0.0, 1.0], [0.0, 1.0])
    metric = METRICS.build(dict(type='ViewInvarianceMetric'))
    metric.process(data_batch, [s.to_dict() for s in samples])
    assert metric.compute_metrics(metric.results) == {
        'hit@1': 0.0, 'hit@10': 1.0, 'raw2d_hit@1': 1.0, 'raw2d_hit@10': 1.0}
    chunked = ViewInvarianceMetric(num_candidates=1)
    chunked.process(data_batch, [s.to_dict() for s in samples])
    assert chunked.compute_metrics(chunked.results)['hit@1'] == 1.0


def test_cross_view_hits_against_brute_force():
    rng = np.random.default_rng(0)
    q, c = rng.standard_normal((37, 5)), rng.standard_normal((37, 5))
    c[:10] = q[:10] + 0.01  # some clear matches
    hits = cross_view_hits(q, c, topk=(1, 5), block=8)
    dist = np.linalg.norm(q[:, None] - c[None], axis=-1)
    for i in range(len(q)):
        order = np.argsort(dist[i], kind='stable')
        assert hits[1][i] == (order[0] == i)
        assert hits[5][i] == (i in order[:5])
    assert hits[1][:10].all()


def test_bad_inputs():
    with pytest.raises(ValueError, match='topk'):
        ViewInvarianceMetric(topk=(0, ))
    with pytest.raises(ValueError, match='num_candidates'):
        ViewInvarianceMetric(num_candidates=0)
    metric = ViewInvarianceMetric()
    sample = dict(pred_embedding=torch.zeros(1, 4))  # one view only
    with pytest.raises(ValueError, match='two views'):
        metric.process(dict(inputs=[torch.zeros(3, 39)]), [sample])
    assert metric.compute_metrics([]) == {}
