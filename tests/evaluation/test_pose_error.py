# Copyright (c) vpd_mm contributors. All rights reserved.
import numpy as np
import pytest

from vpd_mm.evaluation.pose_error import joint_error, pose_error_by_confidence


def test_joint_error_hand_computed():
    ref = np.zeros((2, 4))  # 2 frames, 2 joints
    pred = np.array([[3.0, 4.0, 0.0, 0.0], [0.0, 1.0, 0.0, 3.0]])
    np.testing.assert_allclose(joint_error(pred, ref), [2.5, 2.0])
    with pytest.raises(ValueError):
        joint_error(pred[:, :3], ref[:, :3])


def test_groups_by_confidence_and_masks():
    ref = np.zeros((4, 26))
    teacher = np.zeros((4, 26))
    teacher[0, 0] = 0.1  # confident, error 0.1 / 13
    teacher[1, 0] = 1.3  # unconfident, error 0.1
    teacher[2] = np.nan  # no pose
    teacher[3, 1] = 0.26  # unconfident, error 0.02
    student = np.zeros((4, 26))
    student[:, 0] = 0.13  # error 0.01 on every frame
    scores = np.full((4, 17), 0.9)
    scores[[1, 3]] = 0.2
    scores[[1, 3], 1:5] = 0.99  # the face does not count in the confidence
    inverted = np.array([False, True, True, False])
    out = pose_error_by_confidence(
        [dict(reference=ref, teacher=teacher, student=student, scores=scores,
              masks=dict(inverted=inverted))], extra_masks=['inverted'])
    assert out['confident']['frames'] == 1
    assert out['confident']['teacher'] == pytest.approx(0.1 / 13)
    assert out['unconfident']['frames'] == 2
    assert out['unconfident']['teacher'] == pytest.approx((0.1 + 0.02) / 2)
    assert out['unconfident']['student'] == pytest.approx(0.01)
    assert out['unconfident']['ratio'] == pytest.approx(0.01 / 0.06)
    assert out['no_pose'] == dict(frames=1, teacher=None, student=pytest.approx(0.01), ratio=None)
    assert out['unconfident&inverted']['frames'] == 1
    assert out['unconfident&inverted']['teacher'] == pytest.approx(0.1)
    assert out['confident&inverted']['frames'] == 0
    assert out['confident&inverted']['student'] is None
    with pytest.raises(ValueError, match='frames'):
        pose_error_by_confidence([dict(reference=ref, teacher=teacher[:3], student=student,
                                       scores=scores)])
