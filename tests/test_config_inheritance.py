# Copyright (c) vpd_mm contributors. All rights reserved.
"""Configs that inherit instead of copying resolve to the values their copies had: the BMN
leaves (one base per feature set, the export folder as the datasets' data_root), the DTW
nearest-neighbour configs, and the frozen student, which is the distillation config's model."""
import os
import os.path as osp

import pytest
from mmaction.registry import DATASETS
from mmengine.config import Config
from mmengine.registry import DefaultScope

import vpd_mm  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
FEAT_DIMS = {'2dvpd': 52, 'pose2d': 52, 'vipe': 128, 'vivpd': 128}


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
    # output files under the runner's work_dir, filled in at run time (--work-dir moves them)
    assert [e.get('dump_config', {}).get('out') for e in cfg.val_evaluator] == [
        '{work_dir}/val_proposals.json', None]
    ann, ap = cfg.test_evaluator
    assert ann.dump_config.out == '{work_dir}/test_proposals.json'
    assert (ap.type, ap.dataset, ap.features, ap.method) == (
        'ProposalAPMetric', dataset, features, 'bmn')
    assert ap.result_file == f'{{work_dir}}/localization_{dataset}_{features}_bmn.result.json'
    assert [h.type for h in cfg.custom_hooks] == ['WorkDirOutputsHook']


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


PAPER_DATASETS = ('diving48', 'finegym_fx', 'fs', 'tennis')


def _feature_dims() -> dict:
    """d per flip view of each (dataset, feature set), from the configs that make the features:
    the 2D-VPD student regresses the 2D teacher pose (the ``pose2d`` features); VIPE* embeds
    in D dimensions, and only Diving48 concatenates the embedding of the vertically flipped
    pose (d = 2D, SPEC 2), which its VI-VPD student regresses."""
    vipe_dir = osp.join(ROOT, 'configs', 'vipe')
    sizes = {_cfg(f'vipe/{n}').model.embed_dim for n in os.listdir(vipe_dir) if n.endswith('.py')}
    assert sizes == {64}  # the paper's D
    dims = {}
    for dataset in PAPER_DATASETS:
        pose = _cfg(f'vpd/2dvpd_{dataset}.py').model.backbone.out_channels
        vi = 2 * 64 if dataset == 'diving48' else 64
        dims.update({(dataset, '2dvpd'): pose, (dataset, 'pose2d'): pose, (dataset, 'vipe'): vi,
                     (dataset, 'vivpd'): vi, (dataset, 'concatvpd'): pose + vi})
    assert _cfg('vpd/vivpd_diving48.py').model.backbone.out_channels == 128
    return dims


def _feature_consumers() -> list:
    """The recognition, temporal-detection and BMN configs of a paper dataset's feature set."""
    out = []
    for family, prefix in (('recognition', 'bigru_'), ('temporal_detection', 'bigru_'),
                           ('localization', 'bmn_')):
        for name in sorted(os.listdir(osp.join(ROOT, 'configs', family))):
            features, _, dataset = name[len(prefix):-len('.py')].partition('_')
            if name.startswith(prefix) and dataset in PAPER_DATASETS:
                out.append(f'{family}/{name}')
    return out


CONSUMERS = _feature_consumers()
FEATURE_DIMS = _feature_dims()


def test_every_feature_consumer_is_checked():
    counts = {f: sum(c.startswith(f + '/') for c in CONSUMERS)
              for f in ('recognition', 'temporal_detection', 'localization')}
    assert counts == dict(recognition=11, temporal_detection=6, localization=12)


@pytest.mark.parametrize('config', CONSUMERS)
def test_input_size_is_the_feature_size(config):
    """BiGRU in_channels = d, BMN feat_dim = 2 d (both flip views concatenated), d being the
    size the feature set's producer writes for that dataset (VI-VPD: 64, Diving48 128)."""
    family, name = config.split('/')
    features, _, dataset = name.split('_', 1)[1][:-len('.py')].partition('_')
    cfg = _cfg(config)
    if family == 'recognition':
        meta, size = cfg.result_info, cfg.model.cls_head.in_channels
    elif family == 'temporal_detection':
        meta, size = cfg.temporal_detection, cfg.model.head.in_channels
    else:
        meta, size = dict(dataset=cfg.dataset, features=cfg.features), cfg.model.feat_dim // 2
        assert cfg.model.feat_dim % 2 == 0
    assert (meta['dataset'], meta['features']) == (dataset, features)
    assert size == FEATURE_DIMS[dataset, features], (config, size)
