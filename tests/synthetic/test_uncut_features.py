# Copyright (c) vpd_mm contributors. All rights reserved.
"""The one toy generator of uncut-video features (temporal detection, localization export)."""
import json
import os.path as osp

import numpy as np
import pytest

from vpd_mm.apis.localization_export import write_toy_localization_corpus
from vpd_mm.apis.temporal_detection import make_toy_detection_data
from vpd_mm.datasets import load_action_annotations
from vpd_mm.synthetic import make_uncut_features


def reference_detection_data(num_videos, num_train, num_frames, dim, separation, missing_rate,
                             seed):
    """The generator of ``apis/temporal_detection.py`` before the move (the numbers of
    configs/temporal_detection/README.md were measured on it), without the file writing."""
    rng = np.random.default_rng(seed)
    direction = rng.standard_normal(dim)
    direction /= np.linalg.norm(direction)
    views = np.stack([direction, direction[::-1]])
    feats_of, actions = {}, []
    for i in range(num_videos):
        video = f'video_{i:03d}'
        feats = rng.standard_normal((num_frames, 2, dim)).astype(np.float32)
        start = int(rng.integers(3, 15))
        for j in range(int(rng.integers(1, 4))):
            length = int(rng.integers(10, 25))
            if start + length > num_frames - 2:
                break
            feats[start:start + length] += separation * views[None].astype(np.float32)
            actions.append((video, start, start + length, 'train' if i < num_train else 'test'))
            start += length + int(rng.integers(8, 30))
        feats[rng.random(num_frames) < missing_rate] = np.nan
        feats_of[video] = feats
    return feats_of, actions


def _load(out):
    ann = load_action_annotations(out['ann_file'])
    feats = {v: np.load(osp.join(out['feature_dir'], f'{v}.npy')) for v in ann['videos']}
    return ann, feats


def test_same_data_as_the_former_detection_generator(tmp_path):
    out = make_uncut_features(str(tmp_path), num_train=3, num_test=2, num_frames=60, dim=5,
                              separation=2.0, missing_rate=0.1, seed=4)
    ann, feats = _load(out)
    want_feats, want_actions = reference_detection_data(5, 3, 60, 5, 2.0, 0.1, seed=4)
    assert sorted(feats) == sorted(want_feats)
    for video, arr in feats.items():
        np.testing.assert_array_equal(arr, want_feats[video])  # NaN rows at the same places
    assert [(a['video'], a['start_frame'], a['end_frame'], a['split'])
            for a in ann['actions']] == want_actions
    assert out['ann_file'] == osp.join(str(tmp_path), 'annotations', 'toy_actions.json')
    assert out['train_videos'] == ['video_000', 'video_001', 'video_002']
    assert out['test_videos'] == ['video_003', 'video_004']


def test_layout_actions_and_signal(tmp_path):
    out = make_uncut_features(str(tmp_path), num_train=8, num_test=4, num_frames=120, dim=6,
                              separation=3.0, missing_rate=0.05, ann_file='actions.json',
                              class_name='move', seed=0)
    assert out['ann_file'] == osp.join(str(tmp_path), 'actions.json')
    ann, feats = _load(out)
    assert ann['classes'] == ['move'] and ann['dataset'] == 'toy'
    assert {v: info['split'] for v, info in ann['videos'].items()} == {
        f'video_{i:03d}': 'train' if i < 8 else 'test' for i in range(12)}
    fg_diff = []
    for video, arr in feats.items():
        assert arr.shape == (120, 2, 6) and arr.dtype == np.float32
        assert ann['videos'][video] == dict(fps=25.0, num_frames=120,
                                            split=ann['videos'][video]['split'])
        acts = sorted((a['start_frame'], a['end_frame']) for a in ann['actions']
                      if a['video'] == video)
        assert 1 <= len(acts) <= 3
        for (s0, e0), (s1, _) in zip(acts, acts[1:]):
            assert 8 <= s1 - e0 <= 29  # background between actions
        mask = np.zeros(120, bool)
        for s, e in acts:
            assert 10 <= e - s <= 24 and 3 <= acts[0][0] <= 14 and e <= 118
            mask[s:e] = True
        # missing frames are whole NaN rows
        nan = np.isnan(arr)
        assert (nan.all(axis=(1, 2)) == nan.any(axis=(1, 2))).all()
        ok = ~nan.any(axis=(1, 2))
        fg_diff.append(arr[mask & ok].mean(0) - arr[~mask & ok].mean(0))  # [2, d]
    shift = np.mean(fg_diff, axis=0)  # separation x the unit direction (view 1 reversed)
    np.testing.assert_allclose(np.linalg.norm(shift, axis=1), 3.0, atol=0.25)
    np.testing.assert_allclose(shift[1], shift[0][::-1], atol=0.25)
    missing = np.mean([np.isnan(a).all(axis=(1, 2)).mean() for a in feats.values()])
    assert 0.02 < missing < 0.09


def test_seeded(tmp_path):
    a = make_uncut_features(str(tmp_path / 'a'), num_train=2, num_test=1, seed=1)
    b = make_uncut_features(str(tmp_path / 'b'), num_train=2, num_test=1, seed=1)
    c = make_uncut_features(str(tmp_path / 'c'), num_train=2, num_test=1, seed=2)
    (ann_a, fa), (ann_b, fb), (_, fc) = _load(a), _load(b), _load(c)
    assert ann_a == ann_b
    for v in fa:
        np.testing.assert_array_equal(fa[v], fb[v])
    assert not np.array_equal(np.nan_to_num(fa['video_000']), np.nan_to_num(fc['video_000']))


def test_bad_arguments(tmp_path):
    root = str(tmp_path)
    with pytest.raises(ValueError, match='at least one video'):
        make_uncut_features(root, num_train=0, num_test=0)
    with pytest.raises(ValueError, match='num_frames must be at least 30'):
        make_uncut_features(root, num_frames=20)
    with pytest.raises(ValueError, match='missing_rate'):
        make_uncut_features(root, missing_rate=1.0)
    with pytest.raises(ValueError, match='inside root'):
        make_uncut_features(root, ann_file='../escape.json')
    with pytest.raises(ValueError, match='inside root'):
        make_uncut_features(root, ann_file=str(tmp_path / 'abs.json'))


def test_deprecated_generators_delegate(tmp_path):
    with pytest.warns(DeprecationWarning, match='make_uncut_features'):
        old = make_toy_detection_data(str(tmp_path / 'old'), num_train=2, num_test=1, seed=5)
    new = make_uncut_features(str(tmp_path / 'new'), num_train=2, num_test=1, seed=5)
    (ann_old, f_old), (ann_new, f_new) = _load(old), _load(new)
    assert ann_old == ann_new
    for v in f_new:
        np.testing.assert_array_equal(f_old[v], f_new[v])

    with pytest.warns(DeprecationWarning, match='make_uncut_features'):
        ann_file, feature_dir = write_toy_localization_corpus(str(tmp_path / 'loc'),
                                                              num_videos=5, num_test=2)
    assert ann_file == str(tmp_path / 'loc' / 'actions.json')
    with open(ann_file) as f:
        ann = json.load(f)
    assert sorted(v['split'] for v in ann['videos'].values()) == ['test'] * 2 + ['train'] * 3
    assert np.load(osp.join(feature_dir, 'video_000.npy')).shape == (40, 2, 4)
