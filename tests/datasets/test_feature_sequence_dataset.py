# Copyright (c) vpd_mm contributors. All rights reserved.
"""VPDFeatureSequenceDataset: splits, validation hold-out, id lists, fps, missing features."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import vpd_mm  # noqa: F401
from vpd_mm.datasets import VPDFeatureSequenceDataset, resample_indices, share_train_id_list
from vpd_mm.datasets.feature_sequence_dataset import (FeatureDimError, NumClassesError,
                                                      check_feature_dim, check_num_classes)
from vpd_mm.datasets.transforms import sequence_collate
from vpd_mm.utils.io import FileFormatError


@pytest.fixture(autouse=True)
def mmaction_scope():
    with DefaultScope.overwrite_default_scope('mmaction'):
        yield


PIPELINE = [dict(type='LoadFeatureSequence'), dict(type='PackFeatureSequence')]


def write_set(root, num_train=(6, 5), num_test=2, frames=10, dim=4, val=False, fps=25.0):
    """Two classes; video v holds frame t, view w, value 100 * idx + t (+ 0.5 for view 1)."""
    feat_dir = osp.join(root, 'feats')
    os.makedirs(feat_dir, exist_ok=True)
    actions, videos, idx = [], {}, 0
    for label, n in enumerate(num_train):
        for split, count in (('train', n), ('test', num_test), ('val', 2 if val else 0)):
            for _ in range(count):
                name = f'v{idx:03d}'
                x = 100.0 * idx + np.arange(frames, dtype=np.float32)
                feats = np.stack([x, x + 0.5], axis=1)[:, :, None].repeat(dim, 2)
                np.save(osp.join(feat_dir, name + '.npy'), feats.astype(np.float32))
                videos[name] = dict(fps=fps, num_frames=frames, split=split)
                actions.append(dict(id=f'a{idx:03d}', video=name, start_frame=0,
                                    end_frame=frames, label=label, split=split))
                idx += 1
    ann = dict(dataset='toy', classes=['c0', 'c1'], videos=videos, actions=actions)
    ann_file = osp.join(root, 'actions.json')
    with open(ann_file, 'w') as f:
        json.dump(ann, f)
    return ann_file, feat_dir


def build(ann_file, feat_dir, **kwargs):
    return VPDFeatureSequenceDataset(
        ann_file=ann_file, feature_dir=feat_dir, pipeline=PIPELINE, **kwargs)


def ids(ds):
    return {ds.get_data_info(i)['action_id'] for i in range(len(ds))}


def test_splits_views_and_packing(tmp_path):
    ann_file, feat_dir = write_set(str(tmp_path))
    test = build(ann_file, feat_dir, split='test', views='both')
    assert len(test) == 4
    sample = test[0]
    assert sample['inputs'].shape == (2, 10, 4)
    # view 1 is stored +0.5
    np.testing.assert_allclose(sample['inputs'][1] - sample['inputs'][0], 0.5)
    assert sample['data_samples'].metainfo['num_frames'] == 10
    train = build(ann_file, feat_dir, split='train', views='split')
    assert len(train) == 2 * len(ids(train))
    assert train[0]['inputs'].shape == (1, 10, 4)
    assert {train[i]['data_samples'].metainfo['view'] for i in range(2)} == {0, 1}
    assert test.metainfo['classes'] == ('c0', 'c1')


def test_val_carving_deterministic_disjoint_per_class(tmp_path):
    ann_file, feat_dir = write_set(str(tmp_path), num_train=(6, 5))
    train = build(ann_file, feat_dir, split='train')
    val = build(ann_file, feat_dir, split='val', views='both')
    val2 = build(ann_file, feat_dir, split='val', views='both')
    other = build(ann_file, feat_dir, split='val', views='both', val_seed=1)
    test = build(ann_file, feat_dir, split='test', views='both')
    assert ids(val) == ids(val2) and ids(val) != ids(other)
    assert not ids(val) & ids(train) and not ids(val) & ids(test)
    assert len(ids(val)) + len(ids(train)) == 11
    # round(0.2 * 6) = 1 of class 0, round(0.2 * 5) = 1 of class 1
    labels = sorted(val.get_data_info(i)['label'] for i in range(len(val)))
    assert labels == [0, 1]
    # majority class of the remaining training actions: 5 of class 0 vs 4 of class 1
    assert train.majority_label == 0


def test_file_val_split_is_used(tmp_path):
    ann_file, feat_dir = write_set(str(tmp_path), val=True)
    val = build(ann_file, feat_dir, split='val', views='both')
    train = build(ann_file, feat_dir, split=['train'])
    assert len(ids(val)) == 4 and len(ids(train)) == 11


def test_id_list_list_file_and_unknown(tmp_path):
    ann_file, feat_dir = write_set(str(tmp_path), num_train=(6, 5))
    chosen = ['a000', 'a001', 'a002', 'a008', 'a009', 'a010']  # 3 of each class
    train = build(ann_file, feat_dir, split='train', id_list=chosen)
    val = build(ann_file, feat_dir, split='val', id_list=chosen, views='both')
    assert ids(train) | ids(val) == set(chosen) and len(ids(val)) == 2
    path = tmp_path / 'ids.txt'
    path.write_text('\n'.join(chosen) + '\n')
    assert ids(build(ann_file, feat_dir, split='train', id_list=str(path))) == ids(train)
    with pytest.raises(KeyError, match=r"unknown action ids.*nope"):
        build(ann_file, feat_dir, split='train', id_list=['a000', 'nope'])


def test_share_train_id_list_for_fewshot(tmp_path):
    ann_file, feat_dir = write_set(str(tmp_path))
    cfg = Config.fromfile('configs/recognition/bigru_tiny_cpu.py')
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].dataset.ann_file = ann_file
    cfg.train_dataloader.dataset.id_list = ['a000', 'a001']
    assert share_train_id_list(cfg)
    assert cfg.val_dataloader.dataset.id_list == ['a000', 'a001']


def test_resample_to_target_fps(tmp_path):
    np.testing.assert_array_equal(resample_indices(3, 9, 50, 25), [3, 5, 7])
    np.testing.assert_array_equal(resample_indices(0, 4, 25, 50), [0, 0, 1, 1, 2, 2, 3, 3])
    np.testing.assert_array_equal(resample_indices(0, 5, 30, None), np.arange(5))
    ann_file, feat_dir = write_set(str(tmp_path), fps=50.0)
    ds = build(ann_file, feat_dir, split='test', views='both', target_fps=25)
    x = ds[0]['inputs'][0, :, 0].numpy()
    np.testing.assert_allclose(x - x[0], [0, 2, 4, 6, 8])


def test_nan_rows_dropped_partial_nan_rejected_empty_actions(tmp_path):
    ann_file, feat_dir = write_set(str(tmp_path))
    test = build(ann_file, feat_dir, split='test', views='both')
    video = test.get_data_info(0)['video']
    path = osp.join(feat_dir, video + '.npy')
    feats = np.load(path)
    feats[[2, 5]] = np.nan
    np.save(path, feats)
    sample = build(ann_file, feat_dir, split='test', views='both')[0]
    assert sample['inputs'].shape == (2, 8, 4)
    assert sample['data_samples'].metainfo['frame_inds'].tolist() == [0, 1, 3, 4, 6, 7, 8, 9]
    # a test action without any frame: kept, counted; a training one: dropped
    feats[:] = np.nan
    np.save(path, feats)
    test = build(ann_file, feat_dir, split='test', views='both')
    assert test.stats['actions_empty'] == 1 and len(test) == 4
    empty = [test[i] for i in range(4) if test[i]['data_samples'].metainfo['num_frames'] == 0]
    assert len(empty) == 1 and empty[0]['inputs'].shape == (2, 0, 4)
    feats[:4] = 1.0
    feats[3, 1, 2] = np.nan  # one value of one view missing: not a frame without features
    np.save(path, feats)
    with pytest.raises(ValueError, match=f'{video}.*some NaN or inf'):
        build(ann_file, feat_dir, split='test', views='both')
    feats[3] = np.inf
    np.save(path, feats)
    with pytest.raises(ValueError, match=video):
        build(ann_file, feat_dir, split='test', views='both')


def test_concat_of_two_feature_dirs(tmp_path):
    ann_file, feat_a = write_set(str(tmp_path / 'a'), dim=4)
    _, feat_b = write_set(str(tmp_path / 'b'), dim=3)
    ds = build(ann_file, [feat_a, feat_b], split='test', views='both')
    x = ds[0]['inputs']
    assert x.shape == (2, 10, 7)
    np.testing.assert_allclose(x[..., :4], x[..., 4:5].expand(-1, -1, 4))
    np.save(osp.join(feat_b, 'v006.npy'), np.zeros((9, 2, 3), np.float32))
    with pytest.raises(ValueError, match='v006'):
        build(ann_file, [feat_a, feat_b], split='test', views='both')


@pytest.mark.parametrize('shape', [(10, 2, 5), (10, 1, 4)])  # another d; one view of two
def test_a_file_of_another_shape_is_named_when_the_dataset_is_built(tmp_path, shape):
    """Before, the odd file surfaced as a collation error of some batch, naming no file."""
    ann_file, feat_dir = write_set(str(tmp_path), dim=4)
    odd, first = osp.join(feat_dir, 'v007.npy'), osp.join(feat_dir, 'v006.npy')
    np.save(odd, np.zeros(shape, np.float32))
    with pytest.raises(FileFormatError) as e:
        build(ann_file, feat_dir, split='test', views='both')
    assert str(e.value) == (f'{odd}: features of {shape[1]} views x d = {shape[2]}, but '
                            f'{first} has 2 x 4: the folder mixes the features of two models')


def test_collate_pads_and_keeps_lengths():
    batch = [dict(inputs=torch.ones(2, n, 3), data_samples=None) for n in (4, 2, 0)]
    out = sequence_collate(batch)
    assert out['inputs'].shape == (3, 2, 4, 3)
    assert out['inputs'][1, :, 2:].abs().sum() == 0 and out['inputs'][1, :, :2].min() == 1
    frames = [dict(inputs=torch.ones(n, 5, 8, 8, dtype=torch.uint8), data_samples=None)
              for n in (3, 1)]
    assert sequence_collate(frames, time_dim=0)['inputs'].shape == (2, 3, 5, 8, 8)
    with pytest.raises(ValueError, match='differ'):
        sequence_collate([dict(inputs=torch.ones(2, 3, 3), data_samples=None),
                          dict(inputs=torch.ones(2, 3, 4), data_samples=None)])


def test_feature_dim_checked_against_the_head(tmp_path):
    """A feature folder of another size stops before the run, naming the folder, a file, its d
    and model.cls_head.in_channels (was a raw GRU RuntimeError in the first batch)."""
    ann_file, feat_a = write_set(str(tmp_path / 'a'), dim=4)
    _, feat_b = write_set(str(tmp_path / 'b'), dim=3)
    cfg = Config.fromfile(osp.join(osp.dirname(osp.dirname(osp.dirname(__file__))), 'configs',
                                   'recognition', 'bigru_tiny_cpu.py'))
    cfg.merge_from_dict({'model.cls_head.num_classes': 2, 'model.cls_head.in_channels': 4})
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.update(ann_file=ann_file, feature_dir=feat_a)
    assert check_feature_dim(cfg, 'tiny.py') == 4
    assert check_num_classes(cfg, 'tiny.py') == 2
    cfg.model.cls_head.in_channels = 26
    with pytest.raises(FeatureDimError) as err:
        check_num_classes(cfg, 'tiny.py')  # what tools/train.py and tools/test.py call
    assert isinstance(err.value, NumClassesError)  # reported in one line by those tools
    first = osp.join(feat_a, 'v000.npy')
    assert str(err.value) == (
        f'tiny.py: model.cls_head.in_channels=26 but the features of train_dataloader have '
        f'd=4: {feat_a} (d=4, e.g. {first}); set model.cls_head.in_channels=4 (e.g. '
        f'--cfg-options model.cls_head.in_channels=4) or give the feature_dir the config was '
        f'written for')
    # Concat-VPD: the folders' sizes add up; the first video without a file is passed over
    cfg.test_dataloader.dataset.feature_dir = [feat_a, feat_b]
    os.remove(osp.join(feat_b, 'v000.npy'))
    cfg.model.cls_head.in_channels = 7
    with pytest.raises(FeatureDimError, match=r'train_dataloader have d=4: .*in_channels=4 \('):
        check_feature_dim(cfg, 'tiny.py')
    for split in ('train', 'val'):
        cfg[f'{split}_dataloader'].dataset.feature_dir = [feat_a, feat_b]
    assert check_feature_dim(cfg, 'tiny.py') == 7
    with pytest.raises(FeatureDimError, match=r'd=7: .*a/feats \(d=4, .*\) \+ .*b/feats \(d=3, '
                       r'e\.g\. .*v001\.npy\)'):
        check_feature_dim(Config(dict(cfg.to_dict(), model=dict(cls_head=dict(in_channels=8)))))
    # nothing to compare: no in_channels (DTW), no feature file, another dataset
    assert check_feature_dim(Config(dict(model=dict(type='DTWNearestNeighbor')))) is None
    cfg.model.cls_head.in_channels = 26
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.feature_dir = str(tmp_path / 'empty')
    assert check_feature_dim(cfg) is None
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.type = 'VPDActionFramesDataset'
    assert check_feature_dim(cfg) is None
