# Copyright (c) vpd_mm contributors. All rights reserved.
"""Recognizers over feature sequences: flip-view averaging, majority class, DTW-NN."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.registry import DefaultScope

import vpd_mm  # noqa: F401
from vpd_mm.datasets.transforms import sequence_collate


def build(cfg):
    with DefaultScope.overwrite_default_scope('mmaction'):
        return MODELS.build(cfg)


def sample(label, num_frames, action_id='a'):
    s = ActionDataSample()
    s.set_gt_label(label)
    s.set_metainfo(dict(num_frames=num_frames, action_id=action_id))
    return s


def bigru(num_classes=3, d=4):
    return build(
        dict(
            type='FeatureSequenceRecognizer',
            cls_head=dict(
                type='BiGRUHead', num_classes=num_classes, in_channels=d, hidden_channels=8,
                fc_channels=8)))


def test_flip_view_softmax_averaging():
    torch.manual_seed(0)
    model = bigru().eval()
    x = torch.randn(2, 2, 5, 4)  # [N, V, T, d]
    samples = [sample(0, 5), sample(1, 3)]
    with torch.no_grad():
        preds = model(x, [sample(0, 5), sample(1, 3)], mode='predict')
        head = model.cls_head
        per_view = [head(x[:, v], lengths=torch.tensor([5, 3])) for v in range(2)]  # [N, C]
    expected = (F.softmax(per_view[0], 1) + F.softmax(per_view[1], 1)) / 2
    got = torch.stack([p.pred_score for p in preds])
    torch.testing.assert_close(got, expected)
    assert [int(p.pred_label) for p in preds] == expected.argmax(1).tolist()
    assert abs(got.sum(1) - 1).max() < 1e-5
    # tensor mode: per-view scores
    with torch.no_grad():
        scores = model(x, samples, mode='tensor')
    assert scores.shape == (2, 2, 3)
    torch.testing.assert_close(scores[:, 1], per_view[1])


def test_loss_counts_labels_and_empty_sequence_gets_majority():
    torch.manual_seed(0)
    model = bigru().train()
    x = torch.randn(3, 1, 4, 4)
    losses = model(x, [sample(2, 4), sample(2, 2), sample(1, 4)], mode='loss')
    assert torch.isfinite(losses['loss_cls'])
    assert model.class_counts.tolist() == [0, 1, 2] and model.majority_label == 2
    model.eval()
    batch = sequence_collate([
        dict(inputs=torch.randn(2, 3, 4), data_samples=sample(0, 3)),
        dict(inputs=torch.zeros(2, 0, 4), data_samples=sample(0, 0)),
    ])
    with torch.no_grad():
        preds = model(batch['inputs'], batch['data_samples'], mode='predict')
    assert int(preds[1].pred_label) == 2
    assert preds[1].pred_score.tolist() == [0.0, 0.0, 1.0]
    # the count is a buffer: it goes with the checkpoint
    assert 'class_counts' in model.state_dict()


def _dtw_gallery(model):
    """3 training actions, both flip views in one sample: [V = 2, T, 1] each."""
    ramp = np.linspace(0, 1, 6, dtype=np.float32)[:, None]
    gallery = {  # class -> (view 0, view 1) sequences [T, 1]
        0: (ramp, -ramp),
        1: (np.ones((4, 1), np.float32), -np.ones((4, 1), np.float32)),
        2: (np.full((5, 1), 5.0, np.float32), np.full((5, 1), -5.0, np.float32)),
    }
    items = [dict(inputs=torch.from_numpy(np.stack(v)), data_samples=sample(c, len(v[0])))
             for c, v in gallery.items()]
    batch = sequence_collate(items)
    model.add_to_gallery(batch['inputs'], batch['data_samples'])
    model.finalize_gallery()
    # one gallery sequence per action, the views of a frame side by side: [15 frames, 2]
    assert model.gallery_labels.tolist() == [0, 1, 2]
    assert model.gallery_offsets.tolist() == [0, 6, 10, 15]
    np.testing.assert_array_equal(model.gallery_feats[:6].numpy(), np.hstack([ramp, -ramp]))
    return ramp


def _query_batch(queries):
    return sequence_collate([
        dict(inputs=torch.from_numpy(q.astype(np.float32)), data_samples=sample(0, q.shape[1]))
        for q in queries
    ])


def test_dtw_nearest_neighbour_authors_default():
    """Default: the views concatenated per frame ([T, 2]) and symmetricP2 (slope <= 3/2)."""
    model = build(dict(type='DTWNearestNeighbour', num_classes=3, num_threads=1))
    assert model.step_pattern == 'symmetricP2' and model.view == 'concat'
    ramp = _dtw_gallery(model)
    queries = [
        np.stack([ramp, -ramp]),  # class 0's action itself
        np.stack([np.full((4, 1), 1.1), np.full((4, 1), -1.1)]),  # near class 1, 4 frames
        np.zeros((2, 0, 1)),  # no frames
        np.stack([np.full((1, 1), 5.0), np.full((1, 1), -5.0)]),  # class 2's frame, 1 frame
    ]
    qbatch = _query_batch(queries)
    costs = model(qbatch['inputs'], qbatch['data_samples'], mode='tensor').numpy()
    assert costs.shape == (4, 3)
    assert costs[0, 0] == 0.0
    # 6 vs 4 frames: no sum of the steps (1,1), (2,3), (3,2) reaches (5, 3): unalignable
    assert np.isinf(costs[0, 1]) and np.isinf(costs[1, 0])
    # 4 vs 4: the diagonal, every cell costs |(0.1, -0.1)| = 0.1 sqrt(2); weights 1 + 2 + 2 + 2
    np.testing.assert_allclose(costs[1, 1], 0.1 * np.sqrt(2) * 7 / 8, rtol=1e-5)
    assert np.isinf(costs[2]).all()
    # 1 frame vs 4-6 is unalignable under symmetricP2: aligned again with symmetric2 (the
    # authors' fallback), where the 1-frame query matches class 2's frames exactly
    assert np.isfinite(costs[3]).all() and costs[3, 2] == 0.0
    preds = model(qbatch['inputs'], qbatch['data_samples'], mode='predict')
    # no frames: the gallery's most common class (a tie: 0)
    assert [int(p.pred_label) for p in preds] == [0, 1, 0, 2]
    assert int(preds[1].pred_score.argmax()) == 1
    assert preds[1].pred_score[0] == -1e30  # class 0 cannot be aligned: no score
    # without a fallback, a query nothing aligns with gets the most common class
    strict = build(dict(type='DTWNearestNeighbour', num_classes=3, num_threads=1,
                        fallback_step_pattern=None))
    strict.load_state_dict(model.state_dict())
    costs = strict(qbatch['inputs'], qbatch['data_samples'], mode='tensor').numpy()
    assert np.isinf(costs[3]).all()
    preds = strict(qbatch['inputs'], qbatch['data_samples'], mode='predict')
    assert [int(p.pred_label) for p in preds] == [0, 1, 0, 0]
    # symmetric1 aligns anything: the 1-frame query finds class 2 (cost 0)
    sym1 = build(dict(type='DTWNearestNeighbour', num_classes=3, num_threads=1,
                      step_pattern='symmetric1'))
    sym1.load_state_dict(model.state_dict())
    preds = sym1(qbatch['inputs'], qbatch['data_samples'], mode='predict')
    assert [int(p.pred_label) for p in preds] == [0, 1, 0, 2]


def test_dtw_nearest_neighbour_min_over_views():
    """view='min': each view its own sequence, the smallest cost over view pairs."""
    model = build(dict(type='DTWNearestNeighbour', num_classes=3, num_threads=1,
                       view='min', step_pattern='symmetric1'))
    ramp = _dtw_gallery(model)
    # a stretched ramp aligns with class 0 at zero cost; a flipped 1.1 with class 1 (view 1)
    stretched = np.repeat(ramp, 2, axis=0)
    queries = [
        np.stack([stretched, stretched + 10]),  # view 0 aligns, view 1 far
        np.stack([np.full((3, 1), 7.0), np.full((3, 1), -1.1)]),  # view 1 near -1
        np.zeros((2, 0, 1)),  # no frames: majority (all classes tie -> 0)
    ]
    qbatch = _query_batch(queries)
    costs = model(qbatch['inputs'], qbatch['data_samples'], mode='tensor')
    assert costs.shape == (3, 3)
    assert costs[0, 0] < 1e-6 and costs[0, 1:].min() > 0.1
    # 3 frames of -1.1 vs 4 frames of -1: every cell costs 0.1, 4 cells, / 7
    np.testing.assert_allclose(costs[1, 1], 0.4 / 7, rtol=1e-5)
    assert np.isinf(costs[2]).all()
    preds = model(qbatch['inputs'], qbatch['data_samples'], mode='predict')
    assert [int(p.pred_label) for p in preds] == [0, 1, 0]
    assert int(preds[1].pred_score.argmax()) == 1
    # the gallery lives in the state dict and loads into a fresh model; no pruning: same
    fresh = build(dict(type='DTWNearestNeighbour', num_classes=3, num_threads=1, prune=False,
                       view='min', step_pattern='symmetric1'))
    fresh.load_state_dict(model.state_dict())
    again = fresh(qbatch['inputs'], qbatch['data_samples'], mode='predict')
    assert [int(p.pred_label) for p in again] == [0, 1, 0]
    torch.testing.assert_close(again[1].pred_score, preds[1].pred_score)
    # the default (concat) needs every view of a training action in one sample
    concat = build(dict(type='DTWNearestNeighbour', num_classes=3, num_threads=1))
    concat.load_state_dict(model.state_dict())
    one_view = _query_batch([np.stack([ramp])])
    with pytest.raises(ValueError, match="views='both'"):
        concat(one_view['inputs'], one_view['data_samples'], mode='tensor')
    with pytest.raises(ValueError, match='view must be one of'):
        build(dict(type='DTWNearestNeighbour', num_classes=3, view='mean'))


def test_dtw_empty_gallery_says_why():
    """Audit item 15: an empty gallery names its cause: never built, a loaded checkpoint
    without gallery buffers (another model's), or one whose gallery is empty."""
    query = _query_batch([np.stack([np.ones((4, 1)), -np.ones((4, 1))])])  # class 1's

    def message(model):
        with pytest.raises(RuntimeError, match='the gallery is empty') as err:
            model(query['inputs'], query['data_samples'], mode='tensor')
        return str(err.value)

    fresh = build(dict(type='DTWNearestNeighbour', num_classes=3, num_threads=1))
    assert 'build it first with' in message(fresh) and 'loaded' not in message(fresh)
    other = build(dict(type='DTWNearestNeighbour', num_classes=3, num_threads=1))
    other.load_state_dict({'cls_head.fc.weight': torch.zeros(3, 4)}, strict=False)
    assert 'the checkpoint loaded into the model holds no gallery (no gallery_feats' in \
        message(other)
    empty = build(dict(type='DTWNearestNeighbour', num_classes=3, num_threads=1))
    empty.load_state_dict(fresh.state_dict())
    assert 'holds an empty gallery' in message(empty)
    # a gallery built after such a load is used
    _dtw_gallery(other)
    costs = other(query['inputs'], query['data_samples'], mode='tensor')
    assert costs.shape == (1, 3) and costs[0, 1] == 0.0
