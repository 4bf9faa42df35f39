# Copyright (c) vpd_mm contributors. All rights reserved.
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

import vpd_mm  # noqa: F401
import vpd_mm.datasets.pose3d  # noqa: F401  (registers VIPEPairDataset)
from vpd_mm.codecs import PoseNormalizer, VIPEInputEncoder, kept_to_coco17
from vpd_mm.datasets.pose3d.geometry import (LIFT_BONES, LIFT_DIM, LIFT_PARENTS, bone_directions,
                                             canonicalize, lifting_targets, max_bone_angle,
                                             mirror_3d, project_orthographic, random_cameras,
                                             rotation_matrices)

# A person standing upright facing +z (the viewer), left on +x, hips at y = 1, metres.
# order: nose, LSh, RSh, LEl, REl, LWr, RWr, LHip, RHip, LKnee, RKnee, LAnk, RAnk
STAND = np.array([
    [0.0, 1.7, 0.1],
    [0.2, 1.5, 0.0], [-0.2, 1.5, 0.0],
    [0.25, 1.2, 0.0], [-0.25, 1.2, 0.0],
    [0.3, 0.9, 0.1], [-0.3, 0.9, 0.0],
    [0.1, 1.0, 0.0], [-0.1, 1.0, 0.0],
    [0.1, 0.5, 0.05], [-0.1, 0.5, 0.0],
    [0.1, 0.0, 0.0], [-0.1, 0.0, 0.0],
], dtype=np.float64)


def test_projection_known_cameras():
    # identity: u = x, v = -y; head above feet means smaller v
    uv = project_orthographic(STAND[None], rotation_matrices([0.0], [0.0], [0.0]))[0]
    np.testing.assert_allclose(uv, np.stack([STAND[:, 0], -STAND[:, 1]], -1), atol=1e-6)
    assert uv[0, 1] < uv[11, 1]
    # yaw 90: Ry(90) maps (x, y, z) -> (z, y, -x), so u = z: the person is seen from its left
    uv = project_orthographic(STAND[None], rotation_matrices([90.0], [0.0], [0.0]))[0]
    np.testing.assert_allclose(uv[0], [0.1, -1.7], atol=1e-6)  # nose z = 0.1
    np.testing.assert_allclose(uv[5], [0.1, -0.9], atol=1e-6)  # left wrist
    np.testing.assert_allclose(uv[7], [0.0, -1.0], atol=1e-6)  # hips overlap
    np.testing.assert_allclose(uv[8], [0.0, -1.0], atol=1e-6)
    # tilt_x 90: Rx(90) maps (x, y, z) -> (x, -z, y), so v = z (seen from above)
    uv = project_orthographic(STAND[None], rotation_matrices([0.0], [90.0], [0.0]))[0]
    np.testing.assert_allclose(uv, STAND[:, [0, 2]], atol=1e-6)
    # roll (tilt_z) 90: Rz(90) maps (x, y, z) -> (-y, x, z): u = -y, v = -x
    uv = project_orthographic(STAND[None], rotation_matrices([0.0], [0.0], [90.0]))[0]
    np.testing.assert_allclose(uv, -STAND[:, [1, 0]], atol=1e-6)


def test_rotations_and_random_cameras():
    R = random_cameras(np.random.default_rng(0), 50, tilt=(-30, 30))
    assert R.shape == (50, 3, 3)
    np.testing.assert_allclose(R @ R.transpose(0, 2, 1), np.broadcast_to(np.eye(3), R.shape),
                               atol=1e-9)
    np.testing.assert_allclose(np.linalg.det(R), 1.0, atol=1e-9)
    # works with the np.random module (worker-seeded) and RandomState alike
    assert random_cameras(np.random, 2).shape == (2, 3, 3)
    np.testing.assert_array_equal(
        random_cameras(np.random.RandomState(3), 4), random_cameras(np.random.RandomState(3), 4))
    # zero ranges give the identity
    np.testing.assert_allclose(
        random_cameras(np.random.default_rng(0), 3, yaw=(0, 0), tilt=(0, 0)),
        np.broadcast_to(np.eye(3), (3, 3, 3)), atol=1e-12)


def test_canonicalize_removes_yaw_and_translation():
    canon = canonicalize(STAND)
    np.testing.assert_allclose(canon[[7, 8]].mean(0), 0, atol=1e-9)
    hip = canon[7] - canon[8]
    assert hip[0] > 0 and abs(hip[2]) < 1e-9
    # the standing pose faces the viewer already: only the root moves
    np.testing.assert_allclose(canon, STAND - STAND[[7, 8]].mean(0), atol=1e-9)
    rng = np.random.default_rng(1)
    poses = rng.normal(size=(5, 13, 3))
    yaws = rng.uniform(-180, 180, size=5)
    R = Rotation.from_euler('y', yaws[:, None], degrees=True).as_matrix()  # [5, 3, 3]
    moved = np.einsum('nij,nkj->nki', R, poses) + rng.normal(size=(5, 1, 3)) * 3
    np.testing.assert_allclose(canonicalize(moved), canonicalize(poses), atol=1e-9)
    assert canonicalize(poses.astype(np.float32)).dtype == np.float32


def test_mirror_and_flip_consistency():
    """The horizontal flip of a projection is the projection of the mirrored pose."""
    normalizer = PoseNormalizer()
    encoder = VIPEInputEncoder()
    rng = np.random.default_rng(2)
    poses = canonicalize(STAND[None] + rng.normal(scale=0.05, size=(4, 13, 3)))
    R = random_cameras(rng, 4)
    M = np.diag([-1.0, 1.0, 1.0])
    uv = project_orthographic(poses, R)
    uv_mirror = project_orthographic(mirror_3d(poses), M @ R @ M)  # yaw and roll negated
    flipped = normalizer.flip(kept_to_coco17(uv, fill=0.0))
    np.testing.assert_allclose(
        normalizer.encode(flipped), normalizer.encode(kept_to_coco17(uv_mirror, fill=0.0)),
        atol=1e-5)
    # the encoded-target route agrees
    np.testing.assert_allclose(
        normalizer.flip_target(normalizer.encode(kept_to_coco17(uv, fill=0.0))),
        normalizer.encode(kept_to_coco17(uv_mirror, fill=0.0)), atol=1e-5)
    # same through the VIPE input (xy part)
    s = np.full((4, 13), 0.9)
    a = encoder.encode_kept(uv_mirror, s).reshape(4, 13, 3)[..., :2]
    b = normalizer.flip_target(encoder.encode_kept(uv, s).reshape(4, 13, 3)[..., :2].reshape(4, 26))
    np.testing.assert_allclose(a.reshape(4, 26), b, atol=1e-5)
    # a mirror is an involution and keeps canonical poses canonical
    np.testing.assert_allclose(mirror_3d(mirror_3d(poses)), poses)
    np.testing.assert_allclose(canonicalize(mirror_3d(poses)), mirror_3d(poses), atol=1e-6)


def _rotate_limb(pose, pivot, moving, deg):
    """Rotate joints ``moving`` about ``pivot`` by ``deg`` about an axis normal to the limb."""
    limb = pose[moving[0]] - pose[pivot]
    axis = np.cross(limb, [0.0, 0.0, 1.0])
    axis = axis / np.linalg.norm(axis)
    R = Rotation.from_rotvec(np.deg2rad(deg) * axis).as_matrix()
    out = pose.copy()
    out[moving] = (pose[moving] - pose[pivot]) @ R.T + pose[pivot]
    return out


def test_negative_mining_criterion():
    anchor = canonicalize(STAND)
    dirs = bone_directions(anchor)
    assert dirs.shape == (len(LIFT_BONES), 3)
    np.testing.assert_allclose(np.linalg.norm(dirs, axis=-1), 1, atol=1e-6)
    assert max_bone_angle(dirs, dirs) == pytest.approx(0, abs=0.05)  # float32 arccos
    for deg, negative in ((60, True), (30, False), (-60, True), (44, False)):
        # the left forearm about the elbow
        other = _rotate_limb(anchor, 3, [5], deg)
        ang = max_bone_angle(bone_directions(other), dirs)
        assert ang == pytest.approx(abs(deg), abs=1e-2)
        assert (ang >= 45.0) == negative
    # the whole right leg about the hip: thigh and shank both turn by 60
    other = _rotate_limb(anchor, 8, [10, 12], 60)
    assert max_bone_angle(bone_directions(other), dirs) == pytest.approx(60, abs=1e-2)
    # batched: [K, B, 3] against [1, B, 3]
    batch = bone_directions(np.stack([anchor, _rotate_limb(anchor, 3, [5], 60)]))
    np.testing.assert_allclose(max_bone_angle(batch, dirs[None]), [0, 60], atol=0.05)


def test_lifting_targets():
    assert LIFT_DIM == 95
    assert sum(p < 0 for p in LIFT_PARENTS) == 3
    # every kept joint is the child of exactly one bone: a tree
    assert sorted(c for _, c in LIFT_BONES if c < 13) == list(range(13))
    pose = canonicalize(STAND)
    pose[9] = pose[7] + [0.0, -0.5, 0.0]  # a straight left leg ...
    pose[11] = pose[9] + [0.0, 0.0, -0.4]  # ... with the knee bent 90 deg
    t = lifting_targets(pose)
    assert t.shape == (95, ) and t.dtype == np.float32
    bones = t[:42].reshape(14, 3)
    angles = t[42:56]
    rel = t[56:].reshape(13, 3)
    np.testing.assert_allclose(np.linalg.norm(bones, axis=-1), 1, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(rel, axis=-1), 1, atol=1e-6)
    # the authors' normalisation: arccos(cos) / pi - 0.5, in [-0.5, 0.5]
    assert ((angles >= -0.5) & (angles <= 0.5)).all()
    np.testing.assert_allclose(bones[3], [0, 0, -1], atol=1e-6)  # LKnee -> LAnk
    assert angles[3] == pytest.approx(0.0, abs=1e-6)  # 90 deg to the thigh
    assert angles[12] == pytest.approx(-0.5, abs=1e-6)  # the spine is along +y
    np.testing.assert_allclose(bones[0], [1, 0, 0], atol=1e-6)  # root -> LHip
    assert angles[0] == pytest.approx(0.0, abs=1e-6)  # perpendicular to +y
    # a straight limb -> -0.5, folded back -> +0.5, 60 deg -> 1/3 - 1/2
    straight = pose.copy()
    straight[11] = straight[9] + [0.0, -0.4, 0.0]  # shin continues the thigh
    assert lifting_targets(straight)[42 + 3] == pytest.approx(-0.5, abs=1e-6)
    folded = pose.copy()
    folded[11] = folded[9] + [0.0, 0.4, 0.0]  # ankle back at the hip
    assert lifting_targets(folded)[42 + 3] == pytest.approx(0.5, abs=1e-6)
    bent = pose.copy()
    bent[11] = bent[9] + 0.4 * np.array([0.0, -np.cos(np.pi / 3), np.sin(np.pi / 3)])
    assert lifting_targets(bent)[42 + 3] == pytest.approx(1 / 3 - 0.5, abs=1e-6)
    # a zero-length bone: zero vector and angle 0
    degenerate = pose.copy()
    degenerate[11] = degenerate[9]
    td = lifting_targets(degenerate)
    np.testing.assert_array_equal(td[9:12], 0.0)
    assert td[42 + 3] == 0.0
    np.testing.assert_allclose(rel[0], np.array([0, 0.7, 0.1]) / np.linalg.norm([0, 0.7, 0.1]),
                               atol=1e-6)
    assert lifting_targets(np.stack([pose, pose])).shape == (2, 95)
    with pytest.raises(ValueError):
        lifting_targets(np.zeros((17, 3)))
