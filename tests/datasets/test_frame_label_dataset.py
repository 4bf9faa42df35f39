"""FrameLabelDataset, the dataset of few-shot temporal detection: per-frame labels, random
windows, one sample per flip view, frames without features masked, broken rows rejected."""
import os.path as osp

import numpy as np
import pytest
import torch

from vpd_mm.datasets import FrameLabelDataset, load_action_annotations
from vpd_mm.synthetic import make_uncut_features


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    return make_uncut_features(
        str(tmp_path_factory.mktemp('toydet')), num_train=2, num_test=1, num_frames=80, seed=3)


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


def test_clean_features_of_an_empty_file(tmp_path):
    from vpd_mm.datasets import load_clean_features
    np.save(tmp_path / 'v.npy', np.zeros((0, 2, 4), np.float32))
    with pytest.raises(ValueError) as err:
        load_clean_features(str(tmp_path), 'v')
    assert str(err.value) == (f"{tmp_path / 'v.npy'}: video 'v' has no frames (feature array "
                              'of shape [0, 2, 4])')
