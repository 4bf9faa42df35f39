"""Few-shot temporal detection end to end (2 folds, generated uncut videos), the per-frame
label dataset, and the rule that the threshold comes from the training folds only."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

import vpd_mm  # noqa: F401
from vpd_mm.apis import temporal_detection as td
from vpd_mm.datasets import FrameLabelDataset, load_action_annotations
from vpd_mm.synthetic import make_uncut_features

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'detection', 'framebigru_tiny_cpu.py')


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


def test_frame_label_dataset(toy, tmp_path):
    ann = load_action_annotations(toy['ann_file'])
    video = toy['train_videos'][0]
    ds = FrameLabelDataset(toy['ann_file'], toy['feature_dir'], videos=[video], window=30)
    assert len(ds) == 2  # one sample per flip view
    raw = np.load(osp.join(toy['feature_dir'], f'{video}.npy'))
    missing = np.isnan(raw).all((1, 2))
    expected = np.zeros(len(raw), dtype=np.int64)
    for a in ann['actions']:
        if a['video'] == video:
            expected[a['start_frame']:a['end_frame']] = 1  # end exclusive
    expected[missing] = -1
    for idx in (0, 1):
        s = ds[idx]
        start, length = s['data_samples'].start, s['data_samples'].num_frames
        assert length == 30 and s['inputs'].shape == (30, 8)
        assert s['data_samples'].gt_frame_labels.tolist() == expected[start:start + 30].tolist()
        view = s['data_samples'].view
        np.testing.assert_array_equal(
            s['inputs'].numpy(), np.nan_to_num(raw[start:start + 30, view], nan=0.))
    whole = FrameLabelDataset(toy['ann_file'], toy['feature_dir'], videos=[video],
                              test_mode=True)[1]
    assert whole['data_samples'].gt_frame_labels.tolist() == expected.tolist()
    assert missing.any() and torch.all(whole['inputs'][missing] == 0)

    # a frame with only some NaN values is an error naming the video and the frame
    bad = raw.copy()
    bad[7, 0, 3] = np.nan
    bad[7, 1] = 0.
    np.save(tmp_path / f'{video}.npy', bad)
    with pytest.raises(ValueError, match=f"{video}.*frame 7"):
        FrameLabelDataset(toy['ann_file'], str(tmp_path), videos=[video])


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
    assert osp.isfile(tmp_path / 'detection_summary.json')
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
        osp.join(ROOT, 'configs', 'detection', f'framebigru_{features}_{dataset}.py'))
    assert cfg.detection.dataset == dataset and cfg.detection.features == features
    ds = cfg.train_dataloader.dataset
    assert ds.ann_file == f'data/{dataset}/annotations/{dataset}_actions.json'
    assert ds.feature_dir == f'data/{dataset}/features/{features}'
    model = MODELS.build(cfg.model)
    assert model.gru.input_size == dim and model.gru.hidden_size == 128
    assert td.detection_settings(cfg, folds=3)['folds'] == 3
