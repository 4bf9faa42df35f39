# Copyright (c) vpd_mm contributors. All rights reserved.
"""Configs that inherit instead of copying resolve to the values their copies had: the BMN
leaves (one base per feature set, the export folder as the datasets' data_root), the DTW
nearest-neighbour configs, and the frozen student, which is the distillation config's model."""
import os.path as osp

import pytest
from mmaction.registry import DATASETS
from mmengine.config import Config
from mmengine.registry import DefaultScope

import vpd_mm  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
FEAT_DIMS = {'2dvpd': 52, 'pose2d': 52, 'vipe': 256, 'vivpd': 256}


def _cfg(name: str) -> Config:
    return Config.fromfile(osp.join(ROOT, 'configs', name))


@pytest.mark.parametrize('features', sorted(FEAT_DIMS))
@pytest.mark.parametrize('dataset', ['finegym_fx', 'fs', 'tennis'])
def test_bmn_leaf_paths(dataset, features):
    cfg = _cfg(f'localization/bmn_{features}_{dataset}.py')
    export = f'data/{dataset}/localization/{features}'
    work_dir = f'./work_dirs/bmn_{features}_{dataset}'
    assert (cfg.dataset, cfg.features, cfg.work_dir) == (dataset, features, work_dir)
    assert cfg.model.feat_dim == cfg.feat_dim == FEAT_DIMS[features]
    # mmaction2's ActivityNetDataset joins the file names with the export folder
    with DefaultScope.overwrite_default_scope('mmaction'):
        for split in ('train', 'val', 'test'):
            ds = DATASETS.build(dict(cfg[f'{split}_dataloader'].dataset, lazy_init=True))
            assert type(ds).__name__ == 'ActivityNetDataset'
            assert ds.ann_file == f'{export}/anno_{split}.json'
            assert ds.data_prefix == dict(video=f'{export}/features')
    assert [e.get('dump_config', {}).get('out') for e in cfg.val_evaluator] == [
        f'{work_dir}/val_proposals.json', None]
    ann, ap = cfg.test_evaluator
    assert ann.dump_config.out == f'{work_dir}/test_proposals.json'
    assert (ap.type, ap.dataset, ap.features, ap.method) == (
        'ProposalAPMetric', dataset, features, 'bmn')
    assert ap.result_file == f'work_dirs/results/localization_{dataset}_{features}_bmn.result.json'


def test_dtwnn_vivpd_is_the_2dvpd_protocol_on_other_features():
    a, b = _cfg('recognition/dtwnn_2dvpd_diving48.py'), _cfg('recognition/dtwnn_vivpd_diving48.py')
    for split in ('train', 'val', 'test'):
        assert b[f'{split}_dataloader'].dataset.feature_dir == 'data/diving48/features/vivpd'
        a[f'{split}_dataloader'].dataset.feature_dir = 'data/diving48/features/vivpd'
    assert b.result_info == dict(task='recognition', dataset='diving48', features='vivpd',
                                 method='dtwnn')
    a.result_info.features = 'vivpd'
    a.feature_dir = b.feature_dir
    assert a.to_dict() == b.to_dict()


def test_frozen_student_is_the_distillation_model():
    student = _cfg('recognition/bigru_frozen_student_diving48.py').model
    distill = _cfg('vpd/2dvpd_diving48.py').model
    assert student.student.to_dict() == distill.to_dict()
    # the recogniser normalises its input as the student was trained to see it
    assert student.data_preprocessor == distill.data_preprocessor
    assert student.data_preprocessor.mean == [86.955, 118.065, 131.58]
    assert student.cls_head.in_channels == distill.backbone.out_channels == 26


@pytest.mark.parametrize('dataset,num_classes', [('diving48', 48), ('finegym_fx', 35)])
def test_stgcn_leaves(dataset, num_classes):
    """The two ST-GCN baselines share one base: their own classes and pose file in all three
    loaders (training through mmaction2's RepeatDataset), the base's pipelines."""
    cfg = _cfg(f'skeleton/stgcn_pose2d_{dataset}.py')
    ann = f'data/{dataset}/annotations/{dataset}_actions_pose.pkl'
    assert cfg.model.cls_head.num_classes == num_classes
    train = cfg.train_dataloader.dataset
    assert train.type == 'RepeatDataset' and train.dataset.ann_file == ann
    assert train.dataset.split == 'train'
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        assert loader.dataset.ann_file == ann and loader.dataset.split == 'test'
    clips = [[t.get('num_clips') for t in p if t.type == 'UniformSampleFrames'][0]
             for p in (train.dataset.pipeline, cfg.val_dataloader.dataset.pipeline,
                       cfg.test_dataloader.dataset.pipeline)]
    assert clips == [None, 1, 10]
