# Copyright (c) vpd_mm contributors. All rights reserved.
"""Skeletons drawn where the joints are, in the colours of their scores."""
import numpy as np
import pytest

from vpd_mm.codecs import KEPT_JOINTS, PoseNormalizer
from vpd_mm.visualization import (COCO_SKELETON, KEPT_SKELETON, draw_normalized_pose, draw_skeleton,
                                  pose_panel, score_color)
from vpd_mm.visualization.skeleton import STUDENT_COLOR, normalized_to_canvas


def standing_pose(cx=50.0, top=10.0, h=80.0):
    """[17, 2] a person standing upright, COCO order (left = image right)."""
    y = {0: 0.05, 1: 0.03, 2: 0.03, 3: 0.05, 4: 0.05, 5: 0.2, 6: 0.2, 7: 0.4, 8: 0.4, 9: 0.55,
         10: 0.55, 11: 0.55, 12: 0.55, 13: 0.75, 14: 0.75, 15: 0.98, 16: 0.98}
    kp = np.zeros((17, 2))
    for j in range(17):
        side = 0 if j == 0 else (1 if j % 2 == 1 else -1)
        kp[j] = (cx + side * (0.12 * h), top + y[j] * h)
    return kp


def near(pixel, color, tol=40):
    """Anti-aliased drawing: the pixel is within ``tol`` of the colour."""
    return np.abs(np.asarray(pixel, int) - np.asarray(color, int)).max() <= tol


def test_limbs_cover_the_kept_joints():
    assert len(COCO_SKELETON) == 19
    joints = {j for limb in KEPT_SKELETON for j in limb}
    assert joints == set(range(len(KEPT_JOINTS)))  # every kept joint is connected


def test_draw_skeleton_colours_joints_by_score():
    img = np.zeros((100, 100, 3), np.uint8)
    kp = standing_pose()
    scores = np.full(17, 1.0)
    scores[15] = 0.0  # left ankle: red
    draw_skeleton(img, kp, scores, thickness=1, radius=2)
    x, y = np.round(kp[15]).astype(int)
    assert near(img[y, x], score_color(0.0))
    x, y = np.round(kp[5]).astype(int)
    assert near(img[y, x], score_color(1.0))
    assert not img[95:, :5].any()  # far from the body: untouched
    with pytest.raises(ValueError, match='scores or a color'):
        draw_skeleton(img, kp)


def test_nan_joints_are_skipped():
    img = np.zeros((100, 100, 3), np.uint8)
    kp = standing_pose()
    kp[:] = np.nan
    draw_skeleton(img, kp, color=(255, 255, 255))
    assert not img.any()


def test_normalized_pose_in_canvas_and_panel():
    kp = standing_pose()
    norm = PoseNormalizer().encode(kp[None])[0]  # [26]
    pts = normalized_to_canvas(norm, 110, extent=1.1)
    hips = (pts[KEPT_JOINTS.index(11)] + pts[KEPT_JOINTS.index(12)]) / 2
    assert hips == pytest.approx([55, 55])  # the hip midpoint is the centre
    img = np.zeros((110, 110, 3), np.uint8)
    draw_normalized_pose(img, norm, color=(255, 255, 255), thickness=1, radius=1)
    x, y = np.round(pts[0]).astype(int)  # the nose, above the centre
    assert y < 55 and near(img[y, x], (255, 255, 255))
    panel = pose_panel(96, student_pose=norm, teacher_pose=None, label=False)
    x, y = np.round(normalized_to_canvas(norm, 96)[0]).astype(int)
    assert near(panel[y, x], STUDENT_COLOR)
    empty = pose_panel(96, student_pose=np.full(26, np.nan), label=False)
    assert not any(near(p, STUDENT_COLOR) for p in empty.reshape(-1, 3))
