# Copyright (c) vpd_mm contributors. All rights reserved.
import time

import numpy as np

import vpd_mm  # noqa: F401
import vpd_mm.datasets.pose3d  # noqa: F401  (registers VIPEPairDataset)
from vpd_mm.datasets.pose3d.geometry import canonicalize
from vpd_mm.datasets.pose3d.synthetic import MOTIONS, synthetic_sequences


def _angle(a, b):
    cos = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
    return np.rad2deg(np.arccos(np.clip(cos, -1, 1)))


def test_shapes_speed_and_determinism():
    start = time.perf_counter()
    seqs = synthetic_sequences(64, 60, seed=0)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, elapsed
    assert len(seqs) == 64
    assert {name.split('_', 2)[2] for name in seqs} == set(MOTIONS)
    for arr in seqs.values():
        assert arr.shape == (60, 13, 3) and arr.dtype == np.float32
        assert np.isfinite(arr).all()
    again = synthetic_sequences(64, 60, seed=0)
    assert all(np.array_equal(seqs[k], again[k]) for k in seqs)
    other = synthetic_sequences(64, 60, seed=1)
    assert not np.allclose(seqs['synth_0000_random'], other['synth_0000_random'])
    # sequence i depends on (seed, i) only
    small = synthetic_sequences(3, 60, seed=0)
    assert all(np.array_equal(small[k], seqs[k]) for k in small)


def test_joint_limits():
    poses = np.concatenate(list(synthetic_sequences(60, 40, seed=3).values()))  # [N, 13, 3]
    for hip, knee, ankle in ((7, 9, 11), (8, 10, 12)):
        thigh, shank = poses[:, knee] - poses[:, hip], poses[:, ankle] - poses[:, knee]
        flex = _angle(thigh, shank)
        assert flex.min() >= -1e-3 and flex.max() <= 150.0 + 0.05
        assert flex.max() > 100  # knees do bend
        # one way only: thigh x shank points along the hip axis (right -> left), never against
        hinge = np.cross(thigh, shank)
        assert ((hinge * (poses[:, 7] - poses[:, 8])).sum(-1) >= -1e-4).all()
    for sh, el, wr in ((1, 3, 5), (2, 4, 6)):
        flex = _angle(poses[:, el] - poses[:, sh], poses[:, wr] - poses[:, el])
        assert flex.max() <= 150.0 + 0.05
    # bone lengths: plausible and constant within a sequence
    for arr in synthetic_sequences(6, 30, seed=4).values():
        thigh = np.linalg.norm(arr[:, 9] - arr[:, 7], axis=-1)
        np.testing.assert_allclose(thigh, thigh[0], rtol=1e-4)
        assert 0.3 < thigh[0] < 0.6


def test_inverted_and_upright_poses():
    seqs = synthetic_sequences(24, 60, seed=0)
    poses = canonicalize(np.concatenate(list(seqs.values())))
    head_below = poses[:, 0, 1] < poses[:, [7, 8], 1].mean(-1)
    assert 0.02 < head_below.mean() < 0.6
    for name, arr in seqs.items():
        canon = canonicalize(arr)
        inverted = (canon[:, 0, 1] < 0).any()
        if 'somersault' in name:
            assert inverted, name
        if 'run' in name:
            assert not inverted, name
            # standing persons face +z in canonical pose: the nose is in front
            assert (canon[:, 0, 2] > -0.05).mean() > 0.8
