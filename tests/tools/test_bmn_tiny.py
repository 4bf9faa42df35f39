# Copyright (c) vpd_mm contributors. All rights reserved.
"""mmaction2's BMN on exported toy features: one training epoch and a test through the Runner."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from vpd_mm.apis.localization_export import export_localization
from vpd_mm.synthetic import make_uncut_features

CONFIG = osp.join(osp.dirname(__file__), '..', '..', 'configs', 'localization',
                  'bmn_tiny_cpu.py')


@pytest.fixture(scope='module')
def export(tmp_path_factory):
    root = tmp_path_factory.mktemp('bmn_toy')
    toy = make_uncut_features(str(root / 'src'), num_train=9, num_test=3, num_frames=40, dim=4,
                              ann_file='actions.json')
    report = export_localization(toy['ann_file'], toy['feature_dir'], str(root / 'export'),
                                 temporal_dim=16, views='concat')
    return root, report


def tiny_cfg(root, report) -> Config:
    cfg = Config.fromfile(CONFIG)
    export_dir = str(root / 'export')
    cfg.model.feat_dim = report['feat_dim']  # the dimension of our features (2 views x 4)
    assert cfg.model.temporal_dim == report['temporal_dim']
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.dataset.ann_file = osp.join(export_dir, f'anno_{split}.json')
        loader.dataset.data_prefix.video = osp.join(export_dir, 'features')
    cfg.work_dir = str(root / 'work')
    cfg.train_cfg.max_epochs = 1
    cfg.train_dataloader.batch_size = 3
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint.save_best = None
    cfg.test_evaluator[0].dump_config.out = str(root / 'work' / 'test_proposals.json')
    cfg.test_evaluator[1].result_file = str(root / 'work' / 'toy.result.json')
    cfg.log_level = 'WARNING'
    return cfg


def test_bmn_tiny_train_and_test_step(export):
    root, report = export
    assert report['feat_dim'] == 8
    cfg = tiny_cfg(root, report)
    runner = Runner.from_cfg(cfg)
    model = runner.model
    assert model.feat_dim == 8 and model.tscale == 16
    before = [p.detach().clone() for p in model.parameters() if p.requires_grad]
    runner.train()
    after = [p.detach() for p in model.parameters() if p.requires_grad]
    assert any(not torch.equal(a, b) for a, b in zip(before, after)), 'no parameter was updated'
    assert not next(model.parameters()).is_cuda

    metrics = runner.test()
    print({k: round(float(v), 4) for k, v in metrics.items()})
    for key in ('auc', 'AR@1', 'AR@5', 'AR@10', 'AR@100', 'AP@0.3', 'AP@0.5', 'AP@0.7', 'mAP'):
        assert key in metrics and np.isfinite(metrics[key])
    for key in ('AR@1', 'AR@100', 'AP@0.3', 'AP@0.7'):
        assert 0 <= metrics[key] <= 1
    assert metrics['AP@0.3'] >= metrics['AP@0.5'] >= metrics['AP@0.7']
    assert metrics['AR@1'] <= metrics['AR@5'] <= metrics['AR@100']

    # the result file holds ANetMetric's AR@AN/AUC (recomputed identically) and the APs
    record = json.load(open(root / 'work' / 'toy.result.json'))
    assert record['task'] == 'localization' and record['method'] == 'bmn'
    for key in ('auc', 'AR@1', 'AR@5', 'AR@10', 'AR@100', 'AP@0.3', 'AP@0.5', 'mAP'):
        assert record['metrics'][key] == pytest.approx(float(metrics[key]), abs=1e-6), key

    # BMN's proposals, dumped by ANetMetric, lie inside the test videos (seconds)
    dumped = json.load(open(root / 'work' / 'test_proposals.json'))['results']
    gt = json.load(open(root / 'export' / 'anno_test.json'))
    assert sorted('v_' + k for k in dumped) == sorted(gt)
    for name, proposals in dumped.items():
        duration = gt['v_' + name]['duration_second']
        assert 0 < len(proposals) <= cfg.model.post_process_top_k
        for p in proposals:
            assert -1e-6 <= p['segment'][0] < p['segment'][1] <= duration + 1e-6


def test_feat_dim_mismatch_fails_in_bmn(export):
    root, report = export
    cfg = tiny_cfg(root, report)
    cfg.model.feat_dim = 12  # not what was exported
    runner = Runner.from_cfg(cfg)
    with pytest.raises(RuntimeError, match='to have 12 channels'):
        runner.train()


FEATURE_DIMS = {'2dvpd': 26, 'pose2d': 26, 'vipe': 64, 'vivpd': 64}  # per flip view (VIPE* D = 64)


@pytest.mark.parametrize('features', sorted(FEATURE_DIMS))
@pytest.mark.parametrize('dataset', ['fs', 'tennis', 'finegym_fx'])
def test_paper_configs_match_the_export(features, dataset):
    """Each leaf config is mmaction2's BMN with feat_dim = both views of the feature type."""
    cfg = Config.fromfile(osp.join(osp.dirname(CONFIG), f'bmn_{features}_{dataset}.py'))
    assert cfg.model.type == 'BMN' and cfg.model.temporal_dim == 100  # from mmaction2's config
    assert cfg.model.feat_dim == 2 * FEATURE_DIMS[features]  # --views concat
    assert cfg.model.feat_dim % 4 == 0  # BMN's grouped convolutions
    assert cfg.model.feature_extraction_interval == 1
    # the file names relative to the export folder, which mmengine's BaseDataset joins on
    root = f'data/{dataset}/localization/{features}/'
    assert cfg.test_dataloader.dataset.data_root == root
    assert cfg.test_dataloader.dataset.ann_file == 'anno_test.json'
    assert cfg.train_dataloader.dataset.data_prefix.video == 'features'
    assert [e.type for e in cfg.test_evaluator] == ['ANetMetric', 'ProposalAPMetric']
    assert cfg.test_evaluator[1].result_file.endswith(f'{dataset}_{features}_bmn.result.json')
