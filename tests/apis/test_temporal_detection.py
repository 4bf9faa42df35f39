"""Few-shot temporal detection end to end (2 folds, generated uncut videos), the rule that the
threshold comes from the training folds only, and the configs of configs/temporal_detection (the
dataset: tests/datasets/test_frame_label_dataset.py; the model:
tests/models/test_frame_sequence_labeler.py)."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

import vpd_mm  # noqa: F401
from vpd_mm.apis import temporal_detection as td
from vpd_mm.synthetic import make_uncut_features

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'temporal_detection', 'bigru_tiny_cpu.py')


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """A small GRU on a shared CPU: one thread is faster than many competing ones."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    return make_uncut_features(
        str(tmp_path_factory.mktemp('toydet')), num_train=4, num_test=3, num_frames=80, seed=3)


def test_end_to_end_two_folds(toy, tmp_path, monkeypatch):
    cfg = Config.fromfile(CONFIG)
    cfg.train_dataloader.dataset.ann_file = toy['ann_file']
    cfg.train_dataloader.dataset.feature_dir = toy['feature_dir']
    cfg.train_dataloader.dataset.window = 48
    cfg.train_cfg.max_iters = 30
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', T_max=30, eta_min=1e-4,
                                by_epoch=False)]
    cfg.default_hooks.checkpoint.interval = 30
    cfg.default_hooks.logger.interval = 10
    test_videos = set(toy['test_videos'])

    # record the order of events: scoring of test videos, threshold selection, GT reads
    events = []
    real_gt, real_select, real_score = (td.ground_truth_segments, td.select_threshold,
                                        td.score_video)

    def gt(actions, videos, label=None):
        kinds = {'test' if v in test_videos else 'train' for v in videos}
        events.append(('gt', kinds))
        return real_gt(actions, videos, label)

    def select(scores, ground_truth, *args, **kwargs):
        assert not set(scores) & test_videos and not set(ground_truth) & test_videos
        events.append(('select', None))
        return real_select(scores, ground_truth, *args, **kwargs)

    def score(models, feats, views=(0, 1)):
        events.append(('score', len(models)))
        return real_score(models, feats, views)

    monkeypatch.setattr(td, 'ground_truth_segments', gt)
    monkeypatch.setattr(td, 'select_threshold', select)
    monkeypatch.setattr(td, 'score_video', score)
    res = td.run_temporal_detection(cfg, str(tmp_path), folds=2, seed=0)

    assert res['folds'] == 2 and res['train_videos'] == toy['train_videos']
    assert sorted(res['test_videos']) == sorted(test_videos)
    # out-of-fold scoring: one model per training video; test: the 2-model ensemble
    assert [e for e in events if e[0] == 'score'] == [('score', 1)] * 4 + [('score', 2)] * 3
    kinds = [e for e in events if e[0] != 'score']
    assert kinds == [('gt', {'train'}), ('select', None), ('gt', {'test'})]
    assert events[-1] == ('gt', {'test'})  # test annotations read after all test scoring
    assert res['metrics']['AP@0.5'] > 0.8, res['metrics']
    assert set(res['metrics']) == {'AP@0.3', 'AP@0.4', 'AP@0.5', 'AP@0.6', 'AP@0.7', 'mAP'}
    assert res['threshold'] in [round(0.05 * i, 2) for i in range(1, 20)]
    assert osp.isfile(tmp_path / 'temporal_detection_summary.json')
    scores = np.load(tmp_path / 'scores' / f'{toy["test_videos"][0]}.npy')
    assert scores.shape == (80, ) and ((scores >= 0) & (scores <= 1)).all()


def test_fold_assignment_and_video_draw():
    folds = td.assign_folds([f'v{i}' for i in range(7)], 5, seed=0)
    assert sorted(set(folds)) == [0, 1, 2, 3, 4]
    assert sorted(np.bincount(folds).tolist()) == [1, 1, 1, 2, 2]
    with pytest.raises(ValueError, match='2 folds'):
        td.assign_folds(['v0'], 5, seed=0)
    ann = dict(actions=[
        dict(video=f'v{i}', split='train' if i < 6 else 'test', label=i % 2) for i in range(8)
    ])
    drawn = td.select_training_videos(ann, 'train', None, 3, seed=1)
    assert len(drawn) == 3 and set(drawn) <= {f'v{i}' for i in range(6)}
    assert drawn == td.select_training_videos(ann, 'train', None, 3, seed=1)
    assert td.select_training_videos(ann, 'train', 1, None, 0) == ['v1', 'v3', 'v5']


@pytest.mark.parametrize('features,dim', [('2dvpd', 26), ('vivpd', 64)])
@pytest.mark.parametrize('dataset', ['fs', 'tennis', 'finegym_fx'])
def test_dataset_configs(features, dim, dataset):
    from mmaction.registry import MODELS
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'temporal_detection', f'bigru_{features}_{dataset}.py'))
    det = cfg.temporal_detection
    assert det.dataset == dataset and det.features == features and 'detection' not in cfg
    ds = cfg.train_dataloader.dataset
    assert ds.ann_file == f'data/{dataset}/annotations/{dataset}_actions.json'
    assert ds.feature_dir == f'data/{dataset}/features/{features}'
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'FrameSequenceLabeler'
    assert model.head.gru.input_size == dim and model.head.gru.hidden_size == 128
    assert td.detection_settings(cfg, folds=3)['folds'] == 3


def test_deprecated_config_names_still_work(toy, tmp_path):
    """A config of the old layout (model type 'FrameBiGRULocalizer' with flat arguments, a
    'detection' section) is read: its settings apply, its in_channels is checked, and a fold
    model builds and trains with mmengine's Runner."""
    cfg = Config.fromfile(CONFIG)
    old = cfg.model.pop('head')
    old.pop('type')
    cfg.model = dict(type='FrameBiGRULocalizer', **old)
    cfg.detection = dict(cfg.pop('temporal_detection'), folds=4, merge_gap=7)
    with pytest.warns(DeprecationWarning, match="'detection' is deprecated"):
        det = td.detection_settings(cfg, folds=3)
    assert det['folds'] == 3 and det['merge_gap'] == 7 and det['dataset'] == 'toy'
    feats = np.zeros((5, 2, 8), dtype=np.float32)
    td._check_dim(cfg, feats, 'v', 'dir')
    with pytest.raises(ValueError, match=r'dir/v.npy: feature size 6 .* model.in_channels=8'):
        td._check_dim(cfg, feats[..., :6], 'v', 'dir')
    new = Config.fromfile(CONFIG)
    with pytest.raises(ValueError, match=r'dir/v.npy: feature size 6 .* model.head.in_channels=8'):
        td._check_dim(new, feats[..., :6], 'v', 'dir')
    with pytest.raises(KeyError, match=r"unknown temporal_detection settings: \['fold'\]"):
        td.detection_settings(new, fold=2)

    cfg.train_dataloader.dataset.ann_file = toy['ann_file']
    cfg.train_dataloader.dataset.feature_dir = toy['feature_dir']
    cfg.train_cfg.max_iters = 3
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint.interval = 3
    cfg.default_hooks.logger.interval = 1
    model = td.train_fold_model(cfg, toy['train_videos'][:2], str(tmp_path / 'fold'), seed=0)
    assert type(model).__name__ == 'FrameBiGRULocalizer' and not model.training
    assert osp.isfile(tmp_path / 'fold' / 'iter_3.pth')
    feats = np.load(osp.join(toy['feature_dir'], f'{toy["test_videos"][0]}.npy'))
    scores = td.score_video([model], np.nan_to_num(feats, nan=0.))
    assert scores.shape == (80, ) and ((scores > 0) & (scores < 1)).all()


def test_tool_missing_annotation_file_is_one_line(tmp_path):
    import sys
    sys.path.insert(0, osp.join(ROOT, 'tools'))
    import temporal_detection as td_tool
    missing = str(tmp_path / 'nope.json')
    with pytest.raises(SystemExit) as err:
        td_tool.main([CONFIG, '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                      f'train_dataloader.dataset.ann_file={missing}'])
    message = str(err.value)
    assert message.startswith('error: ') and missing in message, message
    assert len(message.splitlines()) == 1
