"""VIPE* trained a little on the synthetic source beats raw 2D joints at cross-view retrieval."""
import os.path as osp

import numpy as np
import torch
from mmaction.registry import DATASETS, METRICS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

import vpd_mm  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_batched_draw_shares_storage_and_masks_missing_negatives():
    with DefaultScope.overwrite_default_scope('mmaction'):
        ds = DATASETS.build(
            dict(type='VIPEPairDataset', split='all',
                 source=dict(type='synthetic', num_sequences=4, frames=20, seed=1)))
    np.random.seed(0)
    batch = ds.__getitems__(list(range(16)))
    assert len(batch) == 16
    inputs = [b['inputs'] for b in batch]
    assert all(x.shape == (3, 39) for x in inputs)
    # one storage for the whole batch (one shared-memory block through a DataLoader worker)
    assert len({x.untyped_storage().data_ptr() for x in inputs}) == 1
    for b in batch:
        if not bool(b['data_samples'].neg_valid):
            assert torch.all(b['inputs'][2] == 0)
        else:
            assert torch.any(b['inputs'][2] != 0)
        assert b['data_samples'].lift_target.shape == (95, )


def test_training_beats_raw_2d_on_held_out_poses():
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'vipe', 'vipe_synthetic_tiny.py'))
    torch.manual_seed(0)
    np.random.seed(0)
    with DefaultScope.overwrite_default_scope('mmaction'):
        train = DATASETS.build(cfg.train_dataloader.dataset)
        # held-out poses: sequences of another seed, every 5th frame (adjacent frames are near
        # duplicates, which no embedding can tell apart)
        val = DATASETS.build(cfg.val_dataloader.dataset)
        model = MODELS.build(cfg.model)
        metric = METRICS.build(cfg.val_evaluator)
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    losses = []
    for _ in range(2000):  # about 40 s on 2 cores
        batch = pseudo_collate(train.__getitems__(list(range(100))))
        losses.append(float(model.train_step(batch, optim)['loss']))
    assert np.mean(losses[-50:]) < 0.3 * np.mean(losses[:10])
    assert len(val) == 300 and val.anchor_stride == 5
    val_batch = pseudo_collate([val[i] for i in range(len(val))])
    metric.process(val_batch, [p.to_dict() for p in model.val_step(val_batch)])
    res = metric.compute_metrics(metric.results)
    # seen here (seeded): hit@1 0.137 vs 0.113 for the raw 2D joints, hit@10 0.63 vs 0.30
    assert res['hit@1'] > res['raw2d_hit@1']
    assert res['hit@10'] > res['raw2d_hit@10'] + 0.15
