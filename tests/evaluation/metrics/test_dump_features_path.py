# Copyright (c) vpd_mm contributors. All rights reserved.
"""The feature-dump path (tools/test.py --dump-features): batched inference gives every frame
the features that embedding it alone gives, without per-sample copies on a CPU."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS, METRICS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

import vpd_mm  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


@pytest.fixture(scope='module')
def corpus(tmp_path_factory):
    from vpd_mm.synthetic import make_toy_corpus
    return make_toy_corpus(str(tmp_path_factory.mktemp('toy')), num_videos=2, num_frames=6,
                           crop_size=64, seed=3, progress=False)


def test_batched_dump_equals_frame_by_frame(corpus, tmp_path):
    init_default_scope('mmaction')
    cfg = Config.fromfile(osp.join(ROOT, 'configs/vpd/2dvpd_tiny_cpu.py'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    dataset = DATASETS.build(
        dict(cfg.test_dataloader.dataset, ann_file=corpus['ann_file'],
             data_prefix=dict(img=corpus['rawframes']), split='all', frames='all'))
    metric = METRICS.build(dict(type='DumpVPDFeatures', out_dir=str(tmp_path / 'feats')))
    num = len(dataset)
    assert num == 12
    with torch.no_grad():
        for start in range(0, num, 5):  # batches of 5, 5, 2 across the two videos
            batch = pseudo_collate([dataset[i] for i in range(start, min(start + 5, num))])
            prepared = model.data_preprocessor(batch)
            # on a CPU the data samples are passed on as they are, not copied one by one
            assert all(a is b for a, b in zip(prepared['data_samples'], batch['data_samples']))
            outputs = model.test_step(batch)
            metric.process(batch, [s.to_dict() for s in outputs])
        assert metric.compute_metrics(metric.results) == dict(num_videos=2, num_frames=12)
        for i in (0, 7, 11):
            sample = dataset[i]
            meta = sample['data_samples'].metainfo
            assert meta['flow_scale'] == (1.0, 1.0) and isinstance(meta['flow_scale'], tuple)
            alone = model.test_step(pseudo_collate([sample]))[0].pred_feature  # [2, d]
            dumped = np.load(tmp_path / 'feats' / f'{meta["frame_dir"]}.npy')  # [T, 2, d]
            assert dumped.shape == (6, 2, 26)
            np.testing.assert_allclose(dumped[meta['frame_idx']], alone.numpy(), rtol=0,
                                       atol=1e-5)
