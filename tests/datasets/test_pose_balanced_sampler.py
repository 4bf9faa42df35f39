# Copyright (c) vpd_mm contributors. All rights reserved.
import itertools

import numpy as np
import pytest
from mmaction.registry import DATA_SAMPLERS

from vpd_mm.datasets import PoseBalancedSampler, torso_angles


def _pose(angle_deg: float) -> np.ndarray:
    """COCO-17 keypoints whose torso (hips -> shoulders) is turned ``angle_deg`` from up."""
    kp = np.zeros((17, 2))
    a = np.radians(angle_deg)
    up = np.array([np.sin(a), -np.cos(a)])  # image coordinates, y down
    side = np.array([np.cos(a), np.sin(a)])
    kp[[11, 12]] = [-0.2 * side, 0.2 * side]
    kp[[5, 6]] = kp[[11, 12]] + up
    return kp + 100


class _Frames:
    def __init__(self, angles):
        self.kp = np.stack([_pose(a) for a in angles])

    def __len__(self):
        return len(self.kp)

    def sample_keypoints(self):
        return self.kp


def test_torso_angles():
    kp = np.stack([_pose(a) for a in (0, 30, -30, 90, 180, -179)])
    np.testing.assert_allclose(torso_angles(kp), [0, 30, 30, 90, 180, 179], atol=1e-6)
    bad = kp[:2].copy()
    bad[0, 5] = np.nan
    bad[1, [5, 6, 11, 12]] = 3.0  # no torso length
    assert np.isnan(torso_angles(bad)).all()
    with pytest.raises(ValueError, match='17'):
        torso_angles(np.zeros((3, 13, 2)))


def test_weights_balance_orientation_bins():
    # 90 upright frames, 9 horizontal, 1 inverted, 1 without a torso
    angles = [0] * 90 + [90] * 9 + [180]
    ds = _Frames(angles)
    ds.kp = np.concatenate([ds.kp, np.full((1, 17, 2), np.nan)])
    uniform = PoseBalancedSampler(ds, alpha=0.0, seed=0)
    np.testing.assert_allclose(uniform.weights, 1 / 101)
    equal = PoseBalancedSampler(ds, num_bins=6, alpha=1.0, max_ratio=1000, seed=0)
    share = np.bincount(equal.bins, weights=equal.weights)
    np.testing.assert_allclose(share[share > 0], 0.25)  # 4 occupied bins, the same share each
    assert equal.bins[100] == 6 and equal.bins[0] == 0 and equal.bins[99] == 5
    capped = PoseBalancedSampler(ds, num_bins=6, alpha=1.0, max_ratio=5, seed=0)
    assert capped.weights.max() <= 5 / 101 + 1e-12 and capped.weights.sum() == pytest.approx(1)
    half = PoseBalancedSampler(ds, num_bins=6, alpha=0.5, max_ratio=1000, seed=0)
    # counts ** -0.5: one inverted frame weighs sqrt(90) times an upright one
    assert half.weights[99] / half.weights[0] == pytest.approx(np.sqrt(90))


def test_draws_follow_the_weights_and_are_seeded():
    ds = _Frames([0] * 95 + [180] * 5)
    cfg = dict(type='PoseBalancedSampler', dataset=ds, alpha=1.0, max_ratio=100, seed=3)
    sampler = DATA_SAMPLERS.build(cfg)
    draws = np.array(list(itertools.islice(iter(sampler), 20000)))
    assert 0.47 < (draws >= 95).mean() < 0.53  # half the draws from 5% of the frames
    again = list(itertools.islice(iter(DATA_SAMPLERS.build(cfg)), 500))
    assert again == draws[:500].tolist()
    other = list(itertools.islice(iter(DATA_SAMPLERS.build(dict(cfg, seed=4))), 500))
    assert other != again
    assert len(sampler) == 100


def test_bad_arguments():
    ds = _Frames([0, 180])
    for bad in (dict(num_bins=0), dict(alpha=1.5), dict(max_ratio=0.5)):
        with pytest.raises(ValueError):
            PoseBalancedSampler(ds, seed=0, **bad)
    with pytest.raises(TypeError, match='sample_keypoints'):
        PoseBalancedSampler(list(range(3)), seed=0)
