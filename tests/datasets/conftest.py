# Copyright (c) vpd_mm contributors. All rights reserved.
"""Fixtures of the dataset tests; the helpers live in toy_data.py (importable by the tests)."""
import os.path as osp
import sys

import numpy as np
import pytest

import vpd_mm.datasets  # noqa: F401  (registers; imports vpd_mm.compat first)
from vpd_mm.codecs import PoseNormalizer

sys.path.insert(0, osp.dirname(__file__))
from toy_data import ATHLETE_BOX, CROP_BOX, frame_pose, write_corpus  # noqa: E402


@pytest.fixture
def toy_corpus(tmp_path):
    return write_corpus(str(tmp_path))


@pytest.fixture
def toy_sample():
    """A packed-free sample dict with a 16x12 crop of distinct pixels, before any transform."""
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, size=(12, 16, 5), dtype=np.uint8)
    kp = frame_pose(2)
    kp[:, 0] += 0.3  # not on integers
    prev = PoseNormalizer().encode_views(frame_pose(1))
    return dict(
        imgs=imgs,
        img_shape=(12, 16),
        flip=False,
        flow_scale=(1.0, 1.0),
        frame_dir='vid_a',
        frame_idx=2,
        pose_target=PoseNormalizer().encode_views(kp),
        prev_pose_target=prev,
        target_valid=True,
        motion_valid=True,
        keypoint=kp,
        keypoint_score=np.linspace(0.1, 0.9, 17).astype(np.float32),
        athlete_box=ATHLETE_BOX.copy(),
        crop_box=CROP_BOX.copy())
