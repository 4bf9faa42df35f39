# Copyright (c) vpd_mm contributors. All rights reserved.
"""Export of features + segments for mmaction2's ActivityNetDataset / LoadLocalizationFeature."""
import json

import numpy as np
import pytest
from mmaction.datasets import ActivityNetDataset
from mmengine.registry import DefaultScope

from vpd_mm.apis.localization_export import (LocalizationExportError, check_feat_dim,
                                             export_localization, fill_missing_frames,
                                             resample_sequence)
from vpd_mm.datasets.features import dump_action_annotations

FPS = 10.0


def make_corpus(tmp_path, lengths, actions, dim=3, views=2, nan_rows=None, num_frames=None):
    """Features ``[T, views, dim]`` with known values and an action annotation file."""
    feat_dir = tmp_path / 'feats'
    feat_dir.mkdir(exist_ok=True)
    rng = np.random.RandomState(0)
    feats = {}
    for video, length in lengths.items():
        x = rng.normal(size=(length, views, dim)).astype(np.float32)
        for row in (nan_rows or {}).get(video, []):
            x[row] = np.nan
        np.save(feat_dir / f'{video}.npy', x)
        feats[video] = x
    videos = {v: dict(fps=FPS, num_frames=(num_frames or {}).get(v, n), split=s)
              for (v, n), s in zip(lengths.items(), ['train', 'train', 'test', 'test'])}
    ann = dict(dataset='t', classes=['a', 'b'], videos=videos, actions=actions)
    path = str(tmp_path / 'actions.json')
    dump_action_annotations(ann, path)
    return path, str(feat_dir), feats


def act(i, video, start, end, label=0, split='train'):
    return dict(id=f'a{i}', video=video, start_frame=start, end_frame=end, label=label, split=split)


def test_resample_known_values():
    x = np.array([[0.], [1.], [2.], [3.]], np.float32)
    # downsampling, mean over each step's frames
    np.testing.assert_allclose(resample_sequence(x, 2, 'mean')[:, 0], [0.5, 2.5])
    # 4 -> 3: step i covers frames [4i/3, 4(i+1)/3): centres 0.5 | 1.5, 2.5 | 3.5
    np.testing.assert_allclose(resample_sequence(x, 3, 'mean')[:, 0], [0., 1.5, 3.])
    # linear at step centres (i + 0.5) * 4 / 3 - 0.5 = 1/6, 3/2, 17/6
    np.testing.assert_allclose(resample_sequence(x, 3, 'linear')[:, 0], [1 / 6, 1.5, 17 / 6],
                               rtol=1e-6)
    # upsampling 2 -> 4: positions -0.25, 0.25, 0.75, 1.25 clipped to [0, 1]
    y = np.array([[0., 10.], [4., 20.]], np.float32)
    np.testing.assert_allclose(
        resample_sequence(y, 4, 'mean'), [[0, 10], [1, 12.5], [3, 17.5], [4, 20]], rtol=1e-6)
    # identity length
    np.testing.assert_allclose(resample_sequence(x, 4, 'mean'), x)
    np.testing.assert_allclose(resample_sequence(x, 4, 'linear'), x)


def test_fill_missing_frames_rule():
    x = np.array([[np.nan, 1], [2, 2], [np.nan, 0], [np.nan, 0], [8, 8], [1, np.inf]],
                 np.float32)
    filled, count = fill_missing_frames(x)
    assert count == 4  # any non-finite value makes the whole frame missing
    # edge hold, then linear between frames 1 and 4, then edge hold
    np.testing.assert_allclose(filled, [[2, 2], [2, 2], [4, 4], [6, 6], [8, 8], [8, 8]])
    with pytest.raises(ValueError, match='all 2 frames'):
        fill_missing_frames(np.full((2, 3), np.nan))


def test_roundtrip_through_activitynet_dataset(tmp_path):
    """What mmaction2's own dataset + pipeline read back equals the resampled input."""
    lengths = dict(vid_a=30, vid_b=12, vid_c=40, vid_d=25)
    actions = [act(0, 'vid_a', 3, 10, 1), act(1, 'vid_a', 20, 28), act(2, 'vid_b', 2, 6),
               act(3, 'vid_c', 0, 40, split='test'), act(4, 'vid_d', 5, 9, split='test')]
    ann_file, feat_dir, feats = make_corpus(
        tmp_path, lengths, actions, nan_rows=dict(vid_a=[0, 15, 16]))
    out = tmp_path / 'export'
    report = export_localization(ann_file, feat_dir, str(out), temporal_dim=16, views='concat',
                                 pad_to_multiple=4, val_fraction=0.5)
    assert report['feat_dim'] == 8 and report['padded_dims'] == 2  # 2 views x 3 + 2 zeros
    assert report['filled_frames'] == 3 and report['videos_with_filled_frames'] == 1
    assert report['upsampled_videos'] == 1  # vid_b: 12 < 16 frames
    assert report['split_videos'] == dict(train=1, val=1, test=2)

    pipeline = [dict(type='LoadLocalizationFeature'), dict(type='GenerateLocalizationLabels'),
                dict(type='PackLocalizationInputs', keys=('gt_bbox', ),
                     meta_keys=('video_name', 'duration_second', 'duration_frame',
                                'annotations', 'feature_frame'))]
    with DefaultScope.overwrite_default_scope('mmaction'):
        items = {}
        for split in ('train', 'val', 'test'):
            ds = ActivityNetDataset(str(out / f'anno_{split}.json'), pipeline,
                                    data_prefix=dict(video=str(out / 'features')),
                                    test_mode=split != 'train')
            for i in range(len(ds)):
                item = ds[i]
                items[item['data_samples'].metainfo['video_name']] = item
    assert sorted(items) == ['v_vid_a', 'v_vid_b', 'v_vid_c', 'v_vid_d']
    for video, x in feats.items():
        item = items['v_' + video]
        inputs = item['inputs'].numpy()
        assert inputs.shape == (8, 16)  # [feat_dim, temporal_dim], as BMN wants
        flat, _ = fill_missing_frames(x.reshape(len(x), -1))
        expected = resample_sequence(flat, 16, 'mean')
        np.testing.assert_allclose(inputs[:6].T, expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(inputs[6:], 0)
    meta = items['v_vid_a']['data_samples'].metainfo
    assert meta['duration_second'] == pytest.approx(3.0)
    assert [a['segment'] for a in meta['annotations']] == [[0.3, 1.0], [2.0, 2.8]]
    assert [a['label'] for a in meta['annotations']] == ['b', 'a']
    # GenerateLocalizationLabels: segments as fractions of the video
    np.testing.assert_allclose(items['v_vid_a']['data_samples'].gt_instances.gt_bbox.numpy(),
                               [[0.1, 1 / 3], [2 / 3, 28 / 30]], rtol=1e-5)
    np.testing.assert_allclose(items['v_vid_c']['data_samples'].gt_instances.gt_bbox.numpy(),
                               [[0, 1]])


def test_views_mean_and_index(tmp_path):
    ann_file, feat_dir, feats = make_corpus(
        tmp_path, dict(v0=8, v1=8, v2=8, v3=8), [act(0, 'v0', 1, 4), act(1, 'v2', 1, 3, 0, 'test')],
        dim=4)
    for views, expected in (('mean', feats['v0'].mean(1)), ('1', feats['v0'][:, 1])):
        out = tmp_path / f'out_{views}'
        report = export_localization(ann_file, feat_dir, str(out), temporal_dim=8, views=views)
        assert report['feat_dim'] == 4 and report['padded_dims'] == 0
        got = np.loadtxt(out / 'features' / 'v_v0.csv', delimiter=',', skiprows=1)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    # two folders: Concat-VPD
    out = tmp_path / 'out_cat'
    report = export_localization(ann_file, [feat_dir, feat_dir], str(out), temporal_dim=8,
                                 views='0')
    got = np.loadtxt(out / 'features' / 'v_v0.csv', delimiter=',', skiprows=1)
    np.testing.assert_allclose(got, np.concatenate([feats['v0'][:, 0]] * 2, 1), rtol=1e-6,
                               atol=1e-6)


def test_segments_outside_the_video_are_clipped_or_dropped(tmp_path):
    # no num_frames in the annotations: the feature file gives the length (20 frames)
    lengths = dict(v0=20, v1=20, v2=20, v3=20)
    actions = [act(0, 'v0', 5, 26), act(1, 'v0', 22, 30), act(2, 'v1', 1, 4),
               act(3, 'v2', 2, 5, split='test')]
    ann_file, feat_dir, _ = make_corpus(tmp_path, lengths, actions,
                                        num_frames=dict(v0=None))
    ann = json.load(open(ann_file))
    del ann['videos']['v0']['num_frames']
    dump_action_annotations(ann, ann_file)
    out = tmp_path / 'out'
    report = export_localization(ann_file, feat_dir, str(out), temporal_dim=10)
    assert report['clipped_segments'] == 1 and report['dropped_segments'] == 1
    db = {}
    for split in ('train', 'val', 'test'):
        db.update(json.load(open(out / f'anno_{split}.json')))
    assert [a['segment'] for a in db['v_v0']['annotations']] == [[0.5, 2.0]]
    with pytest.raises(LocalizationExportError, match=r"action 'a0' \[5, 26\) ends after video"):
        export_localization(ann_file, feat_dir, str(tmp_path / 'o2'), temporal_dim=10,
                            on_bad_segment='error')


def test_short_feature_file_padded_and_long_one_rejected(tmp_path):
    lengths = dict(v0=10, v1=10, v2=10, v3=10)
    actions = [act(0, 'v0', 1, 4), act(1, 'v2', 1, 3, split='test')]
    ann_file, feat_dir, feats = make_corpus(tmp_path, lengths, actions,
                                            num_frames=dict(v0=12, v2=8))
    with pytest.raises(LocalizationExportError, match=r"v2 .*has 10 frames but .* has 8"):
        export_localization(ann_file, feat_dir, str(tmp_path / 'o'), temporal_dim=12)
    np.save(f'{feat_dir}/v2.npy', feats['v2'][:8])
    report = export_localization(ann_file, feat_dir, str(tmp_path / 'o'), temporal_dim=12,
                                 views='0', pad_to_multiple=1)
    assert report['padded_frames'] == 2 and report['filled_frames'] == 2
    got = np.loadtxt(tmp_path / 'o' / 'features' / 'v_v0.csv', delimiter=',', skiprows=1)
    np.testing.assert_allclose(got[10:], [feats['v0'][9, 0]] * 2, rtol=1e-6)  # edge hold


def test_feat_dim_mismatch_and_bad_input_errors(tmp_path):
    lengths = dict(v0=10, v1=10, v2=10, v3=10)
    actions = [act(0, 'v0', 1, 4), act(1, 'v2', 1, 3, split='test')]
    ann_file, feat_dir, _ = make_corpus(tmp_path, lengths, actions, dim=3,
                                        nan_rows=dict(v2=list(range(10))))
    out = tmp_path / 'o'
    with pytest.raises(LocalizationExportError,
                       match=r'dimension 6 \(\+2 zero columns = 8\), but the model expects '
                       r'feat_dim=400'):
        export_localization(ann_file, feat_dir, str(out), temporal_dim=8, feat_dim=400)
    assert not (out / 'anno_train.json').exists()  # nothing written
    with pytest.raises(LocalizationExportError, match=r'video v2 .*all 10 frames are missing'):
        export_localization(ann_file, feat_dir, str(out), temporal_dim=8, feat_dim=8)
    with pytest.raises(FileNotFoundError, match="no features for video 'v0'"):
        export_localization(ann_file, str(tmp_path / 'nowhere'), str(out))
    report = dict(feat_dim=8, feature_dirs=['f'], views='concat')
    check_feat_dim(report, 8)
    with pytest.raises(LocalizationExportError, match='dimension 8 .*feat_dim=400'):
        check_feat_dim(report, 400)


def test_failed_export_leaves_the_earlier_one_whole(tmp_path):
    """An export that fails half-way (a video of another dimension) changes nothing of the
    export already in the folder: before, its first CSVs replaced the earlier ones while the
    annotations and the report still described the earlier dimension."""
    lengths = dict(v0=10, v1=10, v2=10, v3=10)
    actions = [act(0, 'v0', 1, 4), act(1, 'v1', 2, 5), act(2, 'v2', 1, 3, split='test')]
    ann_file, feat_dir, _ = make_corpus(tmp_path, lengths, actions, dim=4)
    out = tmp_path / 'o'
    export_localization(ann_file, feat_dir, str(out), temporal_dim=8, views=0)
    before = {p.name: p.read_bytes() for p in sorted(out.rglob('*')) if p.is_file()}
    assert 'v_v0.csv' in before and len(before) == 3 + 4  # 3 CSVs, 3 anno files, the report
    # v0 and v1 of dimension 8, v2 of 4: fails on v2, after writing v0 and v1
    for video in ('v0', 'v1'):
        np.save(f'{feat_dir}/{video}.npy', np.ones((10, 2, 8), np.float32))
    with pytest.raises(LocalizationExportError, match='v2 .*dimension 4 differs .*\\(8\\)'):
        export_localization(ann_file, feat_dir, str(out), temporal_dim=8, views=0)
    assert {p.name: p.read_bytes() for p in sorted(out.rglob('*')) if p.is_file()} == before
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ['features', 'anno_train.json', 'anno_val.json', 'anno_test.json', 'export_report.json'])
    # a staging folder of a killed export is removed by the next one; a success replaces all
    (out / 'features.tmp.999999999').mkdir()
    np.save(f'{feat_dir}/v2.npy', np.ones((10, 2, 8), np.float32))
    report = export_localization(ann_file, feat_dir, str(out), temporal_dim=8, views=0)
    assert report['feat_dim'] == 8 and not (out / 'features.tmp.999999999').exists()
    header = (out / 'features' / 'v_v1.csv').read_text().splitlines()[0]
    assert header.split(',') == [f'f{i}' for i in range(8)]


def test_null_num_frames_is_the_feature_length(tmp_path):
    lengths = dict(v0=10, v1=10, v2=12, v3=10)
    actions = [act(0, 'v0', 1, 4), act(1, 'v2', 1, 11, split='test')]
    ann_file, feat_dir, _ = make_corpus(tmp_path, lengths, actions)
    ann = json.load(open(ann_file))
    ann['videos']['v2']['num_frames'] = None  # accepted by load_action_annotations
    json.dump(ann, open(ann_file, 'w'))
    report = export_localization(ann_file, feat_dir, str(tmp_path / 'o'), temporal_dim=8)
    assert report['videos']['v2']['num_frames'] == 12 and report['clipped_segments'] == 0
