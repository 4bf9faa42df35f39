"""VPDRegressionMetric against hand-computed errors; DumpVPDFeatures' files."""
import json

import numpy as np
import pytest
import torch

import vpd_mm.evaluation  # noqa: F401
from vpd_mm.evaluation import DumpVPDFeatures, VPDRegressionMetric


def sample(pred, target, valid=True, motion=None, motion_target=None, motion_valid=False,
           frame_dir='v', frame_idx=0, feature=None):
    ds = dict(pred_pose=torch.tensor(pred, dtype=torch.float32),
              pose_target=torch.tensor(target, dtype=torch.float32),
              target_valid=torch.tensor(valid), motion_valid=torch.tensor(motion_valid),
              frame_dir=frame_dir, frame_idx=frame_idx)
    if motion is not None:
        ds['pred_motion'] = torch.tensor(motion, dtype=torch.float32)
        ds['motion_target'] = torch.tensor(motion_target, dtype=torch.float32)
    if feature is not None:
        ds['pred_feature'] = torch.tensor(feature, dtype=torch.float32)
    return ds


def test_regression_metric_hand_computed():
    metric = VPDRegressionMetric(pose_weight=1.0, motion_weight=2.0)
    metric.dataset_meta = {}
    metric.process(None, [
        # pose error 1 + 4 = 5, motion error 9
        sample([1, 2], [0, 0], motion=[3, 0], motion_target=[0, 0], motion_valid=True),
        # pose error 1, motion not valid
        sample([0, 1], [0, 0], motion=[5, 5], motion_target=[0, 0], motion_valid=False),
        # not confident: ignored
        sample([100, 100], [0, 0], valid=False),
    ])
    res = metric.evaluate(3)
    assert res['vpd/pose_mse'] == pytest.approx(3.0)
    assert res['vpd/motion_mse'] == pytest.approx(9.0)
    assert res['vpd/total_mse'] == pytest.approx(3.0 + 2 * 9.0)
    assert res['vpd/pose_rmse'] == pytest.approx(np.sqrt(6 / 4))
    assert res['vpd/num_frames'] == 2


def test_regression_metric_without_confident_frames_says_so():
    metric = VPDRegressionMetric()
    metric.process(None, [sample([1], [0], valid=False)])
    with pytest.raises(ValueError, match='no frame with a confident'):
        metric.evaluate(1)


def test_dump_features_writes_per_video_arrays(tmp_path):
    metric = DumpVPDFeatures(out_dir=str(tmp_path / 'f'))
    feats = {('a', i): np.full((2, 3), i, np.float32) for i in range(3)}
    feats[('b', 1)] = np.ones((2, 3), np.float32)  # frame 0 of 'b' never evaluated
    metric.process(None, [sample([0], [0], frame_dir=k[0], frame_idx=k[1], feature=v)
                          for k, v in feats.items()])
    res = metric.evaluate(4)
    assert res == {'features/num_videos': 2, 'features/num_frames': 4}
    a = np.load(tmp_path / 'f' / 'a.npy')
    assert a.shape == (3, 2, 3) and (a[2] == 2).all()
    b = np.load(tmp_path / 'f' / 'b.npy')
    assert np.isnan(b[0]).all() and (b[1] == 1).all()
    index = json.loads((tmp_path / 'f' / 'features.json').read_text())
    assert index['dim'] == 3 and index['videos'] == {'a': 3, 'b': 2}
    assert sorted(p.name for p in (tmp_path / 'f').iterdir()) == ['a.npy', 'b.npy',
                                                                  'features.json']


def test_dump_features_of_another_key(tmp_path):
    metric = DumpVPDFeatures(out_dir=str(tmp_path / 'p'), key='pred_pose')
    samples = [sample([0], [0], frame_dir='a', frame_idx=i) for i in range(2)]
    for i, s in enumerate(samples):
        s['pred_pose'] = torch.full((4, ), float(i))
    metric.process(None, samples)
    metric.evaluate(2)
    poses = np.load(tmp_path / 'p' / 'a.npy')
    assert poses.shape == (2, 1, 4) and (poses[1] == 1).all()
    with pytest.raises(KeyError, match='pred_motion'):
        DumpVPDFeatures(out_dir=str(tmp_path / 'm'), key='pred_motion').process(None, samples)
