# Copyright (c) vpd_mm contributors. All rights reserved.
import copy

import numpy as np
import pytest
from mmaction.registry import TRANSFORMS
from toy_data import frame_pose

from vpd_mm.codecs import PoseNormalizer
from vpd_mm.datasets.transforms import VPDRandomFlip, VPDRandomRotate
from vpd_mm.datasets.transforms.rotate import rotate_pose_views


@pytest.fixture
def square_sample():
    """A 16x16 crop of the square region (10, 20)-(50, 60) with a pose inside it."""
    rng = np.random.default_rng(0)
    kp = frame_pose(3).astype(np.float64)
    kp = 30 + (kp - kp.mean(0)) * 0.5 + np.array([0.0, 10.0])
    return dict(
        imgs=rng.integers(0, 256, size=(16, 16, 5), dtype=np.uint8),
        pose_target=PoseNormalizer().encode_views(kp),
        prev_pose_target=PoseNormalizer().encode_views(kp + 1.5),
        keypoint=kp.astype(np.float32),
        athlete_box=np.array([20, 25, 40, 55], np.float32),
        crop_box=np.array([10, 20, 50, 60], np.float32))


@pytest.mark.parametrize('angle', [30.0, 90.0, 180.0, -135.0])
def test_rotated_targets_are_the_targets_of_the_rotated_keypoints(square_sample, angle):
    out = VPDRandomRotate.rotate_sample(copy.deepcopy(square_sample), angle)
    np.testing.assert_allclose(PoseNormalizer().encode_views(out['keypoint']),
                               out['pose_target'], atol=2e-5)
    assert out['rotation'] == angle
    # the motion target (current - previous) turns with the poses
    motion = square_sample['pose_target'] - square_sample['prev_pose_target']
    np.testing.assert_allclose(out['pose_target'] - out['prev_pose_target'],
                               rotate_pose_views(motion, angle), atol=1e-5)
    # the athlete box holds the turned keypoints
    box = out['athlete_box']
    assert (out['keypoint'] >= box[:2] - 1e-3).all() and (out['keypoint'] <= box[2:] + 1e-3).all()


def test_half_turns_round_trip_and_quarter_turn_moves_pixels(square_sample):
    once = VPDRandomRotate.rotate_sample(copy.deepcopy(square_sample), 180.0)
    # 180 degrees about the centre of the pixel grid: a pixel permutation; flow vectors negated
    np.testing.assert_array_equal(once['imgs'][..., :3], square_sample['imgs'][::-1, ::-1, :3])
    back = VPDRandomRotate.rotate_sample(copy.deepcopy(once), 180.0)
    np.testing.assert_array_equal(back['imgs'], square_sample['imgs'])
    np.testing.assert_allclose(back['pose_target'], square_sample['pose_target'], atol=1e-6)
    np.testing.assert_allclose(back['keypoint'], square_sample['keypoint'], atol=1e-4)
    # +90 degrees turns the picture counter-clockwise: the top row becomes the left column
    quarter = VPDRandomRotate.rotate_sample(copy.deepcopy(square_sample), 90.0)
    np.testing.assert_array_equal(quarter['imgs'][:, 0, :3], square_sample['imgs'][0, ::-1, :3])


def test_flow_vectors_turn_with_the_pixels():
    imgs = np.zeros((8, 8, 5), np.uint8)
    imgs[..., 3] = 128 + 40  # motion to the right
    imgs[..., 4] = 128  # no vertical motion
    out = VPDRandomRotate.rotate_sample(dict(imgs=imgs), 90.0)
    # turned counter-clockwise (as displayed, y down), motion to the right becomes motion up
    centre = out['imgs'][2:6, 2:6]
    assert np.abs(centre[..., 3].astype(int) - 128).max() <= 1
    assert np.abs(centre[..., 4].astype(int) - (128 - 40)).max() <= 1
    # uncovered corners get zero flow and black pixels
    corner = VPDRandomRotate.rotate_sample(dict(imgs=imgs), 45.0)['imgs'][0, 0]
    assert corner[:3].tolist() == [0, 0, 0] and abs(int(corner[3]) - 128) <= 1


def test_flip_and_rotation_commute_as_mirror_images(square_sample):
    a = VPDRandomFlip.flip_sample(VPDRandomRotate.rotate_sample(copy.deepcopy(square_sample), 40.))
    b = VPDRandomRotate.rotate_sample(VPDRandomFlip.flip_sample(copy.deepcopy(square_sample)), -40.)
    np.testing.assert_allclose(a['pose_target'], b['pose_target'], atol=1e-6)
    np.testing.assert_allclose(a['keypoint'], b['keypoint'], atol=1e-3)


def test_probability_embedding_targets_and_non_square_pixels(square_sample):
    never = TRANSFORMS.build(dict(type='VPDRandomRotate', prob=0.0))
    out = never(copy.deepcopy(square_sample))
    np.testing.assert_array_equal(out['imgs'], square_sample['imgs'])
    assert out['rotation'] == 0.0
    np.random.seed(0)
    always = VPDRandomRotate(prob=1.0, angle_range=(10.0, 20.0))
    angles = [always(copy.deepcopy(square_sample))['rotation'] for _ in range(20)]
    assert all(10.0 <= a <= 20.0 for a in angles) and len(set(angles)) == 20
    with pytest.raises(ValueError, match='embedding'):
        always(dict(copy.deepcopy(square_sample), target_type='embedding'))
    with pytest.raises(ValueError, match='square pixels'):
        always(dict(copy.deepcopy(square_sample), crop_box=np.array([10, 20, 90, 60], np.float32)))
    for bad in (dict(prob=1.5), dict(angle_range=(5, -5))):
        with pytest.raises(ValueError):
            VPDRandomRotate(**bad)
