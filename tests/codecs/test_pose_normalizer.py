"""2D-VPD target normalisation and flips against hand-computed poses."""
import numpy as np
import pytest

from vpd_mm.codecs import (COCO_FLIP_INDICES, KEPT_JOINTS, PoseNormalizer, plausible_poses,
                           pose_confidence)


def hand_pose():
    """Shoulders (5, 6) at (90, 50) / (110, 50), hips (11, 12) at (95, 90) / (105, 90)."""
    kp = np.zeros((17, 2))
    kp[:, 0] = 100 + np.arange(17)  # distinct x for every joint
    kp[:, 1] = 60
    kp[5], kp[6] = (90, 50), (110, 50)
    kp[11], kp[12] = (95, 90), (105, 90)
    kp[0] = (100, 30)
    return kp


def test_encode_hand_computed():
    kp = hand_pose()
    target = PoseNormalizer().encode(kp)
    assert target.shape == (26, ) and target.dtype == np.float32
    # centre: hip midpoint (100, 90); largest torso distance: shoulder 5 to hip 12 or 6 to 11,
    # sqrt(15^2 + 40^2); scale 0.5 / that
    scale = 0.5 / np.hypot(15, 40)
    joints = target.reshape(13, 2)
    np.testing.assert_allclose(joints[0], [(100 - 100) * scale, (30 - 90) * scale], rtol=1e-6)
    np.testing.assert_allclose(joints[1], [(90 - 100) * scale, (50 - 90) * scale], rtol=1e-6)
    np.testing.assert_allclose(joints[7], [(95 - 100) * scale, 0], rtol=1e-6, atol=1e-7)
    # joint 16 (kept index 12)
    np.testing.assert_allclose(joints[12], [(116 - 100) * scale, (60 - 90) * scale], rtol=1e-6)
    # the torso's largest distance is 0.5 after normalisation
    torso = kp[[5, 6, 11, 12]]
    d = np.linalg.norm(torso[:, None] - torso[None], axis=-1).max()
    assert d * scale == pytest.approx(0.5)


def test_zero_torso_uses_scale_one_and_batches():
    kp = np.zeros((2, 3, 17, 2))
    kp[..., 0] = np.arange(17)
    kp[..., [5, 6, 11, 12], :] = 4.0  # all torso joints on one point
    out = PoseNormalizer().encode(kp)
    assert out.shape == (2, 3, 26)
    np.testing.assert_allclose(out[0, 0, 0], 0 - 4.0)  # nose x, scale 1


def test_wrong_joint_count_raises():
    with pytest.raises(ValueError, match='17'):
        PoseNormalizer().encode(np.zeros((18, 2)))


def test_flip_round_trip_and_target_flip():
    rng = np.random.default_rng(0)
    kp = rng.uniform(0, 200, (4, 17, 2))
    scores = rng.uniform(0, 1, (4, 17))
    norm = PoseNormalizer()
    fkp, fscores = norm.flip(kp, scores, width=200)
    np.testing.assert_allclose(fkp[:, 1, 0], 200 - kp[:, 2, 0])  # left eye <- right eye
    np.testing.assert_array_equal(fscores[:, 1], scores[:, 2])
    back, back_scores = norm.flip(fkp, fscores, width=200)
    np.testing.assert_allclose(back, kp)
    np.testing.assert_array_equal(back_scores, scores)
    # flipping the target equals encoding the flipped pose, wherever the mirror is
    np.testing.assert_allclose(norm.flip_target(norm.encode(kp)), norm.encode(fkp), atol=1e-6)
    np.testing.assert_allclose(norm.encode(norm.flip(kp)), norm.encode(fkp), atol=1e-6)
    views = norm.encode_views(kp)
    assert views.shape == (4, 2, 26)
    np.testing.assert_allclose(views[:, 1], norm.encode(fkp), atol=1e-6)
    np.testing.assert_allclose(norm.flip_target(norm.flip_target(views[:, 0])), views[:, 0])


def test_flip_indices_are_an_involution_on_kept_joints():
    flip = np.array(COCO_FLIP_INDICES)
    np.testing.assert_array_equal(flip[flip], np.arange(17))
    assert set(flip[list(KEPT_JOINTS)]) == set(KEPT_JOINTS)


def test_pose_confidence_nonfinite_is_never_confident():
    scores = np.full((4, 17), 0.8)
    kp = np.zeros((4, 17, 2))
    scores[1, 5] = np.nan  # a kept joint (left shoulder)
    kp[2, 0, 1] = np.inf  # the nose
    scores[3, 4] = np.nan  # an ear: not part of the target, so it does not count
    conf = pose_confidence(scores, kp)
    assert conf[0] == pytest.approx(0.8) and conf[3] == pytest.approx(0.8)
    assert conf[1] == -np.inf and conf[2] == -np.inf
    assert pose_confidence(scores)[2] == pytest.approx(0.8)
    assert pose_confidence(scores, joints=None)[3] == -np.inf


def test_pose_confidence_averages_the_kept_joints():
    # an inverted athlete: body joints scored 0.55, eyes and ears 0.2. The paper's 2D-VPD
    # teacher score (13 kept joints) keeps the frame at threshold 0.5; all 17 would drop it.
    scores = np.full(17, 0.55)
    scores[1:5] = 0.2
    assert pose_confidence(scores) == pytest.approx(0.55)
    assert pose_confidence(scores, joints=None) == pytest.approx((13 * 0.55 + 4 * 0.2) / 17)
    assert pose_confidence(scores, joints=None) < 0.5
    with pytest.raises(ValueError, match='17'):
        pose_confidence(np.ones(13))


def test_absurd_but_finite_poses_are_never_confident():
    """Issue 16: a joint at 1e30, or more than one image size outside a 100 x 200 (h x w)
    frame, makes the frame unconfident whatever its scores; a joint somewhat outside does not.
    """
    scores = np.full((7, 17), 0.9)
    kp = np.full((7, 17, 2), 50.0)
    kp[1, 9] = (1e30, 50)  # a wrist at 1e30
    kp[2, 15, 1] = 201  # an ankle 101 px below a 100 px high frame: more than one height out
    kp[3, 15, 1] = 199  # 99 px below: fine
    kp[4, 5, 0] = -201  # a shoulder more than one width (200) left of the frame
    kp[5, 5, 0] = -200  # exactly one width: fine
    kp[6, 3] = (1e30, 1e30)  # an ear: not part of the target, does not count
    conf = pose_confidence(scores, kp, img_shape=(100, 200))
    np.testing.assert_array_equal(conf == -np.inf, [0, 1, 1, 0, 1, 0, 0])
    assert conf[0] == pytest.approx(0.9)
    # without the image size only the absolute bound (MAX_COORD) applies
    np.testing.assert_array_equal(pose_confidence(scores, kp) == -np.inf, [0, 1, 0, 0, 0, 0, 0])
    # per-frame image sizes, NaN where unknown
    shapes = np.array([[100, 200]] * 7, float)
    shapes[2] = np.nan
    np.testing.assert_array_equal(
        pose_confidence(scores, kp, img_shape=shapes) == -np.inf, [0, 1, 0, 0, 1, 0, 0])
    assert plausible_poses(kp[:, KEPT_JOINTS], (100, 200)).tolist() == [
        True, False, False, True, False, True, True]
