# Copyright (c) vpd_mm contributors. All rights reserved.
import time

import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS

import vpd_mm  # noqa: F401
import vpd_mm.datasets.pose3d  # noqa: F401  (registers VIPEPairDataset)
from vpd_mm.codecs import VIPEInputEncoder
from vpd_mm.datasets.pose3d.geometry import (LIFT_DIM, canonicalize, lifting_targets, mirror_3d,
                                             project_orthographic)
from vpd_mm.datasets.pose3d.synthetic import synthetic_sequences

SOURCE = dict(type='synthetic', num_sequences=12, frames=20, seed=0)


def _build(**kwargs):
    cfg = dict(type='VIPEPairDataset', source=SOURCE)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_sample_format_and_splits():
    ds = _build()
    val = _build(split='val', test_mode=True)
    assert set(ds.seq_names).isdisjoint(val.seq_names)
    assert len(ds.seq_names) + len(val.seq_names) == 12
    assert len(ds) == 20 * len(ds.seq_names) and len(val) == 20 * len(val.seq_names)
    assert len(_build(num_samples=7)) == 7
    out = ds[0]
    assert out['inputs'].shape == (3, VIPEInputEncoder.dim) and out['inputs'].dtype == torch.float32
    sample = out['data_samples']
    assert sample.lift_target.shape == (LIFT_DIM, ) and sample.lift_target.dtype == torch.float32
    assert sample.neg_valid.dtype == torch.bool and sample.neg_valid.dim() == 0
    assert ds.metainfo['lift_dim'] == LIFT_DIM and ds.metainfo['input_dim'] == 39
    scores = out['inputs'].reshape(3, 13, 3)[:2, :, 2]  # score - 0.5 of both views
    assert ((scores >= 0) & (scores <= 0.5)).all()


def test_targets_match_the_anchor():
    seqs = synthetic_sequences(12, 20, seed=0)
    ds = _build(split='all', test_mode=True, flip_prob=0.5)
    flips = set()
    for idx in range(0, 240, 17):
        out = ds[idx]
        meta = out['data_samples'].metainfo
        pose = canonicalize(seqs[meta['sequence']][meta['frame']])
        if meta['flip']:
            pose = mirror_3d(pose)
        flips.add(meta['flip'])
        np.testing.assert_allclose(out['data_samples'].lift_target.numpy(), lifting_targets(pose),
                                   atol=1e-5)
        assert out['data_samples'].neg_valid == (meta['neg_frame'] != meta['frame'])
    assert flips == {True, False}


def test_views_without_camera_randomness():
    """With a frontal camera and no flip both views equal the canonical projection."""
    seqs = synthetic_sequences(12, 20, seed=0)
    ds = _build(split='all', yaw_range=(0, 0), tilt_range=(0, 0), score_range=(1, 1),
                flip_prob=0.0, test_mode=True)
    out = ds[3]
    meta = out['data_samples'].metainfo
    pose = canonicalize(seqs[meta['sequence']][meta['frame']])
    expected = VIPEInputEncoder().encode_kept(
        project_orthographic(pose[None], np.eye(3)[None])[0], np.ones(13))
    np.testing.assert_allclose(out['inputs'][0].numpy(), expected, atol=1e-5)
    np.testing.assert_allclose(out['inputs'][1].numpy(), expected, atol=1e-5)
    # the flipped triplet is the flip of each view: x negated, left/right swapped
    flipped = _build(split='all', yaw_range=(0, 0), tilt_range=(0, 0), score_range=(1, 1),
                     flip_prob=1.0, test_mode=True)[3]
    mirrored = VIPEInputEncoder().encode_kept(
        project_orthographic(mirror_3d(pose)[None], np.eye(3)[None])[0], np.ones(13))
    np.testing.assert_allclose(flipped['inputs'][0].numpy(), mirrored, atol=1e-5)


def test_no_negative_in_static_or_single_frame_sequences():
    pose = synthetic_sequences(1, 1, seed=0)['synth_0000_random'][0]
    ds = _build(source=dict(type='memory', sequences=dict(
        single=pose[None], static=np.repeat(pose[None], 10, axis=0))), split='all')
    assert len(ds) == 11
    for idx in range(30):
        out = ds[idx]
        assert not bool(out['data_samples'].neg_valid)
        assert (out['inputs'][2] == 0).all()
        assert out['inputs'][0].abs().sum() > 0
    # a moving sequence gives negatives most of the time
    moving = _build()
    assert np.mean([bool(moving[i]['data_samples'].neg_valid) for i in range(50)]) > 0.5


def test_determinism():
    a = _build(split='val', test_mode=True)
    b = _build(split='val', test_mode=True)
    for idx in (0, 5, 33):
        torch.testing.assert_close(a[idx]['inputs'], b[idx]['inputs'])
        torch.testing.assert_close(a[idx]['inputs'], a[idx]['inputs'])
    assert not torch.equal(a[0]['inputs'], a[1]['inputs'])
    # training draws from np.random: reproducible under the (worker) seed
    train = _build()
    np.random.seed(7)
    first = [train[0]['inputs'] for _ in range(3)]
    np.random.seed(7)
    second = [train[0]['inputs'] for _ in range(3)]
    for x, y in zip(first, second):
        torch.testing.assert_close(x, y)
    assert not torch.equal(first[0], first[1])


def test_h36m_source_splits_by_subject(tmp_path):
    seqs = list(synthetic_sequences(3, 10, seed=0).values())
    # to H3.6M's z-up world and 17-joint layout (only the kept joints matter)
    from vpd_mm.datasets.pose3d.readers import H36M17_TO_KEPT

    def to_h36m(kept):
        out = np.zeros((len(kept), 17, 3))
        out[:, list(H36M17_TO_KEPT)] = np.stack([kept[..., 0], -kept[..., 2], kept[..., 1]], -1)
        return out

    path = str(tmp_path / 'data_3d_h36m.npz')
    np.savez(path, positions_3d={'S1': {'Walk': to_h36m(seqs[0]), 'Eat': to_h36m(seqs[1])},
                                 'S9': {'Sit': to_h36m(seqs[2])}})
    train = _build(source=dict(type='h36m', path=path))
    val = _build(source=dict(type='h36m', path=path), split='val', test_mode=True)
    assert train.seq_names == ['S1/Eat', 'S1/Walk'] and val.seq_names == ['S9/Sit']
    np.testing.assert_allclose(val.poses, canonicalize(seqs[2]), atol=1e-5)
    only = _build(source=dict(type='h36m', path=path, subjects=['S9']))
    assert only.seq_names == ['S9/Sit']
    with pytest.raises(ValueError, match='split'):
        _build(split='test')


def test_throughput():
    ds = _build(source=dict(type='synthetic', num_sequences=24, frames=60))
    np.random.seed(0)
    n = 500
    start = time.perf_counter()
    for i in range(n):
        ds[i]
    rate = n / (time.perf_counter() - start)
    print(f'VIPEPairDataset: {rate:.0f} samples/s (one process, no DataLoader)')
