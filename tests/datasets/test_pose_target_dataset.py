# Copyright (c) vpd_mm contributors. All rights reserved.
import os.path as osp
import shutil

import mmengine
import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS
from mmengine.registry import DefaultScope
from toy_data import SKELETON, frame_pose, frame_rgb, make_annotation, write_corpus

from vpd_mm.codecs import PoseNormalizer
from vpd_mm.datasets import NoVideoLeftError, VPDPoseTargetDataset, split_videos


def build(corpus, **kwargs):
    kwargs.setdefault('split', 'all')
    return VPDPoseTargetDataset(pipeline=[], **corpus, **kwargs)


def frames_of(ds):
    return sorted((d['frame_dir'], d['frame_idx']) for d in ds.load_data_list())


def test_confidence_filter_with_motion(toy_corpus):
    ds = build(toy_corpus)
    assert frames_of(ds) == [('vid_a', 1), ('vid_a', 4), ('vid_a', 5), ('vid_b', 2), ('vid_b', 5)]
    s = ds.stats
    assert (s['videos_seen'], s['frames_seen']) == (3, 18)
    assert s['frames_nonfinite_pose'] == 2  # vid_b 0 and 3
    assert s['frames_low_conf'] == 1 + 6  # vid_a 2, all of vid_c
    assert s['frames_confident'] == 5 + 4
    assert s['frames_prev_not_confident'] == 4  # vid_a 0, 3; vid_b 1, 4
    assert s['videos_no_confident'] == 1
    assert (s['videos_kept'], s['frames_kept'], s['frames_dropped']) == (2, 5, 13)
    assert s['videos_other_split'] == 0
    assert (s['frames_nonfinite_pose'] + s['frames_nonfinite_target'] + s['frames_low_conf'] +
            s['frames_confident']) == s['frames_seen']
    assert all(d['target_valid'] and d['motion_valid'] for d in ds.load_data_list())


def test_confidence_filter_without_motion(toy_corpus):
    ds = build(toy_corpus, with_motion=False)
    assert frames_of(ds) == ([('vid_a', i) for i in (0, 1, 3, 4, 5)] + [('vid_b', i)
                                                                        for i in (1, 2, 4, 5)])
    assert ds.stats['frames_prev_not_confident'] == 0
    assert not any(d['motion_valid'] for d in ds.load_data_list())
    # a stricter threshold drops vid_a 4 (0.7) and 5 (0.6), vid_b 5 (0.5)
    ds = build(toy_corpus, with_motion=False, conf_thr=0.75)
    assert frames_of(ds) == [('vid_a', i) for i in (0, 1, 3)] + [('vid_b', i) for i in (1, 2, 4)]


def test_all_frames_mode(toy_corpus):
    ds = build(toy_corpus, frames='all')
    infos = ds.load_data_list()
    assert len(ds) == 18 and ds.stats['videos_kept'] == 3
    valid = {
        (d['frame_dir'], d['frame_idx']): (d['target_valid'], d['motion_valid'])
        for d in infos
    }
    assert valid[('vid_a', 2)] == (False, False)
    assert valid[('vid_a', 3)] == (True, False)  # previous frame not confident
    assert valid[('vid_a', 4)] == (True, True)
    assert valid[('vid_b', 0)] == (False, False)  # NaN keypoints
    assert valid[('vid_b', 5)] == (True, True)  # exactly at the threshold
    assert not any(v[0] for k, v in valid.items() if k[0] == 'vid_c')
    nan_frame = next(d for d in infos if d['frame_dir'] == 'vid_b' and d['frame_idx'] == 0)
    assert np.isnan(nan_frame['keypoint']).all()
    assert np.all(nan_frame['pose_target'] == 0)  # non-finite targets are stored as 0
    assert sum(v[0] for v in valid.values()) == ds.stats['frames_confident'] == 9


def test_exclude_videos(toy_corpus):
    """A resumed feature dump leaves out the videos it wrote; none left is its own error."""
    ds = build(toy_corpus, frames='all', exclude_videos=['vid_b', 'not_in_the_file'])
    assert {d['frame_dir'] for d in ds.load_data_list()} == {'vid_a', 'vid_c'}
    assert len(ds) == 12 and ds.stats['videos_excluded'] == 1
    with pytest.raises(NoVideoLeftError, match="every one of the 3 videos of split 'all'"):
        build(toy_corpus, frames='all', exclude_videos=['vid_a', 'vid_b', 'vid_c'])


def test_video_level_split(tmp_path):
    names = {f'v{i:02d}': ([0.9] * 3, ()) for i in range(10)}
    corpus = write_corpus(str(tmp_path), names)
    train = VPDPoseTargetDataset(pipeline=[], split='train', **corpus)
    val = VPDPoseTargetDataset(pipeline=[], split='val', **corpus)
    train_v = {d['frame_dir'] for d in train.load_data_list()}
    val_v = {d['frame_dir'] for d in val.load_data_list()}
    assert len(val_v) == 2 and len(train_v) == 8  # round(0.2 * 10)
    assert not train_v & val_v and train_v | val_v == set(names)
    assert train.stats['videos_other_split'] == 2 and train.stats['frames_other_split'] == 6
    # same seed, same split, whatever the order of the annotations; another seed differs
    assert split_videos(sorted(names, reverse=True), 0.2, 0)[1] == sorted(val_v)
    assert any(split_videos(list(names), 0.2, s)[1] != sorted(val_v) for s in range(1, 5))
    # at least one validation video when there are two or more
    assert split_videos(['a', 'b'], 0.2, 0)[1] and len(split_videos(['a', 'b'], 0.2, 0)[0]) == 1


def test_source_split_and_list_format(tmp_path):
    corpus = write_corpus(str(tmp_path), split=dict(train=['vid_a', 'vid_c'], test=['vid_b']))
    ds = build(corpus, source_split='test', frames='all')
    assert {d['frame_dir'] for d in ds.load_data_list()} == {'vid_b'}
    with pytest.raises(KeyError, match='nope'):
        build(corpus, source_split='nope')
    corpus = write_corpus(str(tmp_path / 'list'), as_list=True)
    assert len(build(corpus)) == 5


def test_normalised_target_by_hand(toy_corpus):
    ds = build(toy_corpus, frames='all')
    info = next(d for d in ds.load_data_list() if d['frame_dir'] == 'vid_a' and d['frame_idx'] == 4)
    # frame 4: skeleton + (4, 0), nose raised by 4 px; hip midpoint (54, 60), scale 0.5 / 10
    expected = []
    for j in (0, ) + tuple(range(5, 17)):
        x, y = SKELETON[j]
        y = y - 4 if j == 0 else y
        expected += [(x + 4 - 54) * 0.05, (y - 60) * 0.05]
    expected = np.array(expected, np.float32)
    assert expected[:4].tolist() == pytest.approx([0.0, -0.9, -0.15, -0.4])
    assert info['pose_target'].shape == (2, 26) and info['pose_target'].dtype == np.float32
    np.testing.assert_allclose(info['pose_target'][0], expected, atol=1e-6)
    # view 1: the mirrored pose (left/right swapped, x negated)
    flipped = expected.reshape(13, 2)[[0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11]]
    flipped[:, 0] *= -1
    np.testing.assert_allclose(info['pose_target'][1], flipped.reshape(-1), atol=1e-6)
    # the previous frame's target; its nose was 1 px lower: motion of the nose y is -0.05
    np.testing.assert_allclose(
        info['prev_pose_target'], PoseNormalizer().encode_views(frame_pose(3)), atol=1e-6)
    assert (info['pose_target'][0] - info['prev_pose_target'][0])[1] == pytest.approx(-0.05)
    np.testing.assert_array_equal(info['keypoint'], frame_pose(4))
    assert info['keypoint'].shape == (17, 2) and info['keypoint_score'].shape == (17, )
    assert info['athlete_box'].shape == (4, ) and info['img_shape'] == (120, 160)
    assert info['frame_path'] == osp.join(toy_corpus['data_prefix']['img'], 'vid_a')
    assert ds.target_dim == 26 and ds.metainfo['target_dim'] == 26
    first = ds.get_data_info(0)
    assert first['frame_idx'] == 0 and np.all(first['prev_pose_target'] == 0)


def test_embedding_targets(tmp_path, toy_corpus):
    emb_dir = tmp_path / 'emb'
    emb_dir.mkdir()
    rng = np.random.default_rng(0)
    embs = {}
    for name in ('vid_a', 'vid_b', 'vid_c'):
        embs[name] = rng.standard_normal((6, 2, 8)).astype(np.float32)
        np.save(emb_dir / f'{name}.npy', embs[name])
    embs['vid_a'][4] = np.nan  # no teacher output at vid_a 4: not confident
    np.save(emb_dir / 'vid_a.npy', embs['vid_a'])
    ds = build(toy_corpus, target_type='embedding', emb_dir=str(emb_dir))
    assert ds.target_dim == 8
    assert frames_of(ds) == [('vid_a', 1), ('vid_b', 2), ('vid_b', 5)]
    assert ds.stats['frames_nonfinite_target'] == 1
    info = ds.get_data_info(2)
    np.testing.assert_array_equal(info['pose_target'], embs['vid_b'][5])
    np.testing.assert_array_equal(info['prev_pose_target'], embs['vid_b'][4])

    np.save(emb_dir / 'vid_b.npy', rng.standard_normal((5, 2, 8)).astype(np.float32))
    with pytest.raises(ValueError, match=r'vid_b\.npy.*\[6, 2, 8\]'):
        build(toy_corpus, target_type='embedding', emb_dir=str(emb_dir))
    (emb_dir / 'vid_b.npy').unlink()
    with pytest.raises(FileNotFoundError, match=r'vid_b\.npy'):
        build(toy_corpus, target_type='embedding', emb_dir=str(emb_dir))


def test_bad_annotations(tmp_path, toy_corpus):
    with pytest.raises(FileNotFoundError, match='missing.pkl'):
        build(dict(toy_corpus, ann_file=str(tmp_path / 'missing.pkl')))

    def dump(anns):
        path = str(tmp_path / 'bad.pkl')
        mmengine.dump(anns, path)
        return dict(toy_corpus, ann_file=path)

    bad = make_annotation('vid_a', [0.9] * 6, num_joints=18)
    with pytest.raises(ValueError, match=r"bad\.pkl.*'vid_a'.*17"):
        build(dump([bad]))
    bad = make_annotation('vid_a', [0.9] * 6)
    bad['keypoint_score'] = bad['keypoint_score'][:, :5]
    with pytest.raises(ValueError, match=r"bad\.pkl.*'vid_a'.*keypoint_score"):
        build(dump([bad]))
    bad = make_annotation('vid_a', [0.9] * 6)
    bad['total_frames'] = 7
    with pytest.raises(ValueError, match='total_frames'):
        build(dump([bad]))
    with pytest.raises(ValueError, match='split'):
        build(toy_corpus, split='test')
    with pytest.raises(ValueError, match='frames'):
        build(toy_corpus, frames='some')
    with pytest.raises(ValueError, match='target_type'):
        build(toy_corpus, target_type='pose3d')


def test_nan_keypoints_never_confident(tmp_path):
    corpus = write_corpus(str(tmp_path), dict(v=([0.9] * 4, (1, 2))))
    ds = build(corpus, with_motion=False)
    assert frames_of(ds) == [('v', 0), ('v', 3)]
    assert ds.stats['frames_nonfinite_pose'] == 2


def test_no_confident_frame(tmp_path):
    corpus = write_corpus(str(tmp_path), dict(v=([0.4] * 4, ()), w=([0.9] * 3, (0, 1, 2))))
    with pytest.raises(ValueError, match=r'7 frames of 2 videos.*conf_thr=0\.5'):
        build(corpus)
    # inference mode keeps every frame anyway
    assert len(build(corpus, frames='all')) == 7


def test_missing_rawframes(toy_corpus):
    shutil.rmtree(osp.join(toy_corpus['data_prefix']['img'], 'vid_b'))
    with pytest.raises(FileNotFoundError, match=r'1 of 2 videos.*vid_b'):
        build(toy_corpus)
    # vid_c has no confident frame: its folder is only needed in 'all' mode
    shutil.rmtree(osp.join(toy_corpus['data_prefix']['img'], 'vid_c'))
    with pytest.raises(FileNotFoundError, match=r'2 of 3 videos'):
        build(toy_corpus, frames='all')


def test_subset(toy_corpus):
    ds = build(toy_corpus, frames='all')
    sub = ds.get_subset([3, 0])
    assert len(sub) == 2 and len(ds) == 18
    assert sub.get_data_info(0)['frame_idx'] == 3 and sub.get_data_info(1)['frame_idx'] == 0
    assert len(build(toy_corpus, frames='all', indices=4)) == 4


def test_end_to_end_build(toy_corpus):
    pipeline = [
        dict(type='LoadVPDFrame'),
        dict(type='VPDBackgroundNoise'),
        dict(type='VPDRandomFlip', prob=1.0),
        dict(type='VPDRandomResizedCrop', size=32),
        dict(type='VPDColorJitter'),
        dict(type='PackVPDInputs'),
    ]
    with DefaultScope.overwrite_default_scope('mmaction'):
        ds = DATASETS.build(
            dict(type='VPDPoseTargetDataset', pipeline=pipeline, split='all', **toy_corpus))
    assert len(ds) == 5
    out = ds[3]  # vid_b frame 2
    inputs, sample = out['inputs'], out['data_samples']
    assert inputs.dtype == torch.uint8 and inputs.shape == (5, 32, 32)
    assert sample.pose_target.shape == (26, ) and sample.pose_target.dtype == torch.float32
    assert sample.motion_target.shape == (26, )
    assert bool(sample.target_valid) and bool(sample.motion_valid)
    assert sample.metainfo['frame_dir'] == 'vid_b' and sample.metainfo['frame_idx'] == 2
    assert sample.flip is True
    sx, sy = sample.flow_scale
    assert sx >= 2 and sy >= 2  # a 16 px crop, at most its whole, zoomed to 32
    # flipped: view 1 of the stored target, and the flow x negated in storage
    info = ds.get_data_info(3)
    np.testing.assert_allclose(sample.pose_target.numpy(), info['pose_target'][1])
    np.testing.assert_allclose(
        sample.motion_target.numpy(),
        info['pose_target'][1] - info['prev_pose_target'][1],
        atol=1e-6)
    fx, fy = 100 + 5 * 2, 160 - 5 * 2
    assert abs(int(inputs[3].float().mean().round()) - (255 - fx)) <= 1
    assert abs(int(inputs[4].float().mean().round()) - fy) <= 1
    # the RGB crop of vid_b (video 1) frame 2, (80, 150, 100): the jitter keeps G the largest
    assert frame_rgb(1, 2) == (80, 150, 100)
    assert int(inputs[:3].float().mean(dim=(1, 2)).argmax()) == 1


def test_absurd_poses_are_not_confident_targets(tmp_path):
    """Issue 16: finite but absurd keypoints (1e30, or beyond one image size outside the
    160 x 120 frame of the annotation) give no target, whatever their scores."""
    from toy_data import write_frames
    ann = make_annotation('vid_a', [0.9] * 6)
    ann['keypoint'][0, 1, 9] = (1e30, 50)  # frame 1: a wrist at 1e30
    ann['keypoint'][0, 3, 15, 0] = 2 * 160 + 1  # frame 3: an ankle one width past the edge
    ann['keypoint'][0, 4, 15, 0] = 160 + 30  # frame 4: 30 px outside, fine
    write_frames(str(tmp_path / 'rawframes'), 'vid_a', 0, 6)
    ann_file = str(tmp_path / 'pose.pkl')
    mmengine.dump(dict(split={}, annotations=[ann]), ann_file)
    ds = build(dict(ann_file=ann_file, data_prefix=dict(img=str(tmp_path / 'rawframes'))),
               with_motion=False)
    assert frames_of(ds) == [('vid_a', i) for i in (0, 2, 4, 5)]
    assert ds.stats['frames_nonfinite_pose'] == 2 and ds.stats['frames_confident'] == 4


@pytest.mark.parametrize('key,value,problem', [
    ('total_frames', 'six', "total_frames must be an integer, got 'six'"),
    ('total_frames', [6], 'total_frames must be an integer, got [6]'),
    ('total_frames', 6.5, 'total_frames must be an integer, got 6.5'),
    ('athlete_box', [[1, 2, 3, 4]] * 5 + [[3]], 'athlete_box is not a regular array of numbers'),
    ('crop_box', [['a'] * 4] * 6, 'crop_box must hold numbers'),
    ('img_shape', 5, 'img_shape must be (height, width), got 5'),
])
def test_hostile_annotation_fields_name_the_file(tmp_path, toy_corpus, key, value, problem):
    from vpd_mm.datasets.pose_annotations import PoseAnnotationError
    ann = make_annotation('vid_a', [0.9] * 6)
    ann[key] = value
    path = str(tmp_path / 'bad.pkl')
    mmengine.dump([ann], path)
    with pytest.raises(PoseAnnotationError) as err:
        build(dict(toy_corpus, ann_file=path))
    assert str(err.value).startswith(f"{path}: video 'vid_a': {problem}")


def test_frame_dirs_never_leave_their_folders(tmp_path, toy_corpus):
    """A frame_dir of '../outside/secret' is refused when the pkl is read; the dataset's own
    paths (rawframes, teacher embeddings) are joined with join_under as well."""
    from vpd_mm.utils.paths import UnsafePathError
    (tmp_path / 'outside').mkdir()
    np.save(tmp_path / 'outside' / 'secret.npy', np.zeros((6, 2, 8), np.float32))
    emb_dir = tmp_path / 'emb'
    emb_dir.mkdir()
    path = str(tmp_path / 'evil.pkl')
    mmengine.dump([make_annotation('../outside/secret', [0.9] * 6)], path)
    with pytest.raises(UnsafePathError, match=r"evil\.pkl: annotation #0: frame_dir "
                       r"'\.\./outside/secret' contains a path separator"):
        build(dict(toy_corpus, ann_file=path), target_type='embedding', emb_dir=str(emb_dir))
    ds = build(toy_corpus, frames='all')
    ds.emb_dir = str(emb_dir)
    with pytest.raises(UnsafePathError, match="frame_dir '../outside/secret'"):
        ds._load_embedding('../outside/secret', 6, None)


@pytest.mark.parametrize('header', [
    "{'descr': '<U3', 'fortran_order': False, 'shape': (6, 2, 8), }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 2, 8), }"])
def test_embedding_file_header_is_checked(tmp_path, toy_corpus, header):
    """A teacher embedding whose header claims strings or terabytes is refused naming the file,
    without a numpy error or a huge allocation."""
    emb_dir = tmp_path / 'emb'
    emb_dir.mkdir()
    for name in ('vid_a', 'vid_b', 'vid_c'):
        np.save(emb_dir / f'{name}.npy', np.zeros((6, 2, 8), np.float32))
    header += ' ' * (117 - len(header)) + '\n'
    (emb_dir / 'vid_b.npy').write_bytes(b'\x93NUMPY\x01\x00' + len(header).to_bytes(2, 'little') +
                                        header.encode('latin1') + b'\0' * 64)
    with pytest.raises(ValueError, match=r'vid_b\.npy: (features must be real numbers, got '
                       r'dtype <U3|the header announces .* but the file holds 64 bytes)'):
        build(toy_corpus, target_type='embedding', emb_dir=str(emb_dir))
