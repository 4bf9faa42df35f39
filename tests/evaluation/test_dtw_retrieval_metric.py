# Copyright (c) vpd_mm contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmaction.registry import METRICS

import vpd_mm  # noqa: F401
from vpd_mm.evaluation.metrics.dtw_retrieval_metric import DTWRetrievalMetric


def _corpus():
    """3 classes x 3 sequences; in view 0 a class is a ramp with its own slope (+ noise, lengths
    vary) so DTW ranks same-class first; view 1 is pure noise around a shared offset."""
    rng = np.random.default_rng(0)
    samples = []
    for label, slope in enumerate((0.0, 5.0, 10.0)):
        for _ in range(3):
            t = rng.integers(8, 14)
            v0 = slope * np.linspace(0, 1, t)[:, None] + 0.01 * rng.normal(size=(t, 4))
            v1 = rng.normal(size=(t, 4))
            feats = np.stack([v0, v1], axis=1).astype(np.float32)  # [T, 2, 4]
            samples.append(dict(features=torch.from_numpy(feats), gt_label=torch.tensor([label])))
    return samples


def test_metric_known_answer():
    metric = METRICS.build(dict(type='DTWRetrievalMetric', ks=(1, 2, 8)))
    assert isinstance(metric, DTWRetrievalMetric)
    samples = _corpus()
    metric.process({}, samples[:4])
    metric.process({}, samples[4:])
    out = metric.evaluate(len(samples))
    # The 2 other members of the class come first; at k=8 all 8 others: 2/8 relevant.
    assert out == {
        'retrieval/precision@1': 1.0,
        'retrieval/precision@2': 1.0,
        'retrieval/precision@8': 0.25
    }
    # k beyond the corpus size: precision over the 8 others.
    metric = DTWRetrievalMetric(ks=50)
    metric.process({}, samples)
    assert metric.evaluate(9) == {'retrieval/precision@50': 0.25}


def test_metric_view_and_errors():
    samples = _corpus()
    metric = DTWRetrievalMetric(ks=(8, ), view=1)
    metric.process(
        {}, [dict(features=s['features'].numpy(), gt_label=int(s['gt_label'])) for s in samples])
    assert metric.evaluate(9) == {'retrieval/precision@8': 0.25}
    with pytest.raises(ValueError, match='view 3 out of range'):
        DTWRetrievalMetric(view=3).process({}, samples[:1])
    bad = dict(features=np.full((5, 2, 4), np.nan), gt_label=0)
    metric = DTWRetrievalMetric()
    metric.process({}, samples[:2] + [bad])
    with pytest.raises(ValueError, match='query 2'):
        metric.evaluate(3)
    with pytest.raises(ValueError, match='step_pattern'):
        DTWRetrievalMetric(step_pattern='symmetricP3')
    with pytest.raises(ValueError, match="view must be 'concat'"):
        DTWRetrievalMetric(view='max')


def test_metric_frame_vectors_and_step_patterns():
    # view 0 alone separates the classes; 'concat' adds view 1's noise (frame vector [T, 8]),
    # so its costs equal the DTW of the concatenated sequences: checked against the functional
    from vpd_mm.evaluation.functional import retrieval_precision_at_k
    from vpd_mm.ops import dtw_cost_matrix
    samples = _corpus()
    labels = np.array([int(s['gt_label']) for s in samples])
    for view, pattern in (('concat', 'symmetricP2'), ('concat', 'symmetric1'),
                          ('mean', 'symmetric2'), (0, 'symmetricP2')):
        metric = DTWRetrievalMetric(ks=(1, 3), view=view, step_pattern=pattern)
        metric.process({}, samples)
        feats = [s['features'].numpy() for s in samples]
        seqs = ([f.reshape(len(f), -1) for f in feats] if view == 'concat' else
                [f.mean(axis=1) for f in feats] if view == 'mean' else [f[:, 0] for f in feats])
        want = retrieval_precision_at_k(
            dtw_cost_matrix(seqs, seqs, step_pattern=pattern), labels, labels, (1, 3),
            self_index=np.arange(len(seqs)))
        got = metric.evaluate(len(samples))
        assert got == {f'retrieval/{k}': pytest.approx(v) for k, v in want.items()}


def test_deprecated_for_the_retrieval_tool_with_the_same_numbers():
    """The replacement named by the warning, dtw_retrieval with every sequence a query, gives
    the metric's numbers."""
    from vpd_mm.apis.retrieval import dtw_retrieval
    with pytest.warns(DeprecationWarning, match='tools/retrieval.py'):
        metric = DTWRetrievalMetric(ks=(1, 2, 8), view='concat', step_pattern='symmetric1')
    samples = _corpus()
    metric.process({}, samples)
    got = metric.evaluate(len(samples))
    want = dtw_retrieval([s['features'].numpy() for s in samples],
                         [int(s['gt_label']) for s in samples], ks=(1, 2, 8), view='concat',
                         step_pattern='symmetric1')
    assert got == {f'retrieval/precision@{k}': pytest.approx(want[f'precision@{k}'])
                   for k in (1, 2, 8)}
