# Copyright (c) vpd_mm contributors. All rights reserved.
"""Drawing COCO-17 skeletons (image pixels) and normalised 2D-VPD poses (d = 26) with OpenCV.

Colours are BGR (OpenCV's order) unless a function says otherwise. A joint's colour says how
sure the teacher is: red (score 0) through yellow (0.5) to green (1). Left joints are filled
dots and right joints rings, so that a left-right swap shows.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from vpd_mm.codecs import KEPT_JOINTS, NUM_KEYPOINTS

Color = Tuple[int, int, int]

#: COCO-17 limbs (mmpose's ``coco.py`` skeleton).
COCO_SKELETON: Tuple[Tuple[int, int], ...] = (
    (15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7), (6, 8),
    (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6))
#: COCO-17 joints of the left side (eyes, ears, shoulders, ...: the odd indices).
LEFT_JOINTS: Tuple[int, ...] = (1, 3, 5, 7, 9, 11, 13, 15)
#: Limbs between the 13 joints of the 2D-VPD target, as indices into ``KEPT_JOINTS`` (the COCO
#: limbs between kept joints, plus nose to each shoulder: the eyes and ears are not kept).
KEPT_SKELETON: Tuple[Tuple[int, int], ...] = tuple(
    (KEPT_JOINTS.index(a), KEPT_JOINTS.index(b))
    for a, b in COCO_SKELETON if a in KEPT_JOINTS and b in KEPT_JOINTS) + ((0, 1), (0, 2))
#: Kept joints of the left side, as indices into ``KEPT_JOINTS``.
KEPT_LEFT: Tuple[int, ...] = tuple(i for i, j in enumerate(KEPT_JOINTS) if j in LEFT_JOINTS)

#: Per-frame state colours (BGR) of the confidence strip and the legends.
CONFIDENT_COLOR: Color = (80, 200, 60)
UNCONFIDENT_COLOR: Color = (40, 110, 250)
NO_POSE_COLOR: Color = (90, 90, 90)
STUDENT_COLOR: Color = (255, 220, 60)
ATHLETE_COLOR: Color = (60, 230, 60)


def score_color(score: float) -> Color:
    """BGR colour of a joint score: red (0), yellow (0.5), green (1); grey if not finite."""
    if not np.isfinite(score):
        return NO_POSE_COLOR
    s = float(np.clip(score, 0.0, 1.0))
    red = 255 if s <= 0.5 else int(round(255 * (1 - s) * 2))
    green = int(round(255 * s * 2)) if s <= 0.5 else 220
    return (0, min(green, 220), red)


def _point(p: np.ndarray) -> Tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))


def _draw(img: np.ndarray, points: np.ndarray, scores: Optional[np.ndarray],
          limbs: Sequence[Tuple[int, int]], left: Sequence[int], color: Optional[Color],
          thickness: int, radius: int) -> np.ndarray:
    finite = np.isfinite(points).all(axis=1)
    for a, b in limbs:
        if not (finite[a] and finite[b]):
            continue
        c = color if color is not None else score_color(min(scores[a], scores[b]))
        cv2.line(img, _point(points[a]), _point(points[b]), c, thickness, cv2.LINE_AA)
    for j, p in enumerate(points):
        if not finite[j]:
            continue
        c = color if color is not None else score_color(scores[j])
        fill = -1 if j in left else max(1, thickness // 2)
        cv2.circle(img, _point(p), radius, c, fill, cv2.LINE_AA)
    return img


def draw_skeleton(img: np.ndarray,
                  keypoints: np.ndarray,
                  scores: Optional[np.ndarray] = None,
                  color: Optional[Color] = None,
                  thickness: int = 2,
                  radius: int = 3) -> np.ndarray:
    """Draw a COCO-17 pose in place.

    Args:
        img (np.ndarray): [H, W, 3] uint8 BGR image, drawn on in place.
        keypoints (np.ndarray): [17, 2] x, y in the image's pixels; NaN joints are skipped.
        scores (np.ndarray, optional): [17] joint scores that colour the joints and limbs
            (:func:`score_color`; a limb takes the lower score of its ends). Required unless
            ``color`` is given.
        color (tuple, optional): One BGR colour for everything instead. Defaults to None.
        thickness (int): Limb width. Defaults to 2.
        radius (int): Joint radius. Defaults to 3.

    Returns:
        np.ndarray: ``img``.
    """
    kp = np.asarray(keypoints, dtype=np.float64).reshape(NUM_KEYPOINTS, 2)
    if color is None and scores is None:
        raise ValueError('draw_skeleton needs scores or a color')
    sc = None if scores is None else np.asarray(scores, dtype=np.float64).reshape(NUM_KEYPOINTS)
    return _draw(img, kp, sc, COCO_SKELETON, LEFT_JOINTS, color, thickness, radius)


def normalized_to_canvas(pose: np.ndarray, size: int, extent: float = 1.1) -> np.ndarray:
    """Map a normalised 2D-VPD pose into a square canvas.

    The target is centred on the hip midpoint with its largest shoulder/hip distance 0.5
    (:class:`vpd_mm.codecs.PoseNormalizer`), so a body fits in ``[-extent, extent]``; that
    square becomes the canvas (y down, as in the image the pose came from).

    Args:
        pose (np.ndarray): [26] (13 joints x (x, y)) or [13, 2].
        size (int): Canvas side in pixels.
        extent (float): Half-width of the shown region, normalised units. Defaults to 1.1.

    Returns:
        np.ndarray: [13, 2] float64 canvas pixels.
    """
    p = np.asarray(pose, dtype=np.float64).reshape(len(KEPT_JOINTS), 2)
    return (p + extent) * (size / (2 * extent))


def draw_normalized_pose(img: np.ndarray,
                         pose: np.ndarray,
                         scores: Optional[np.ndarray] = None,
                         color: Optional[Color] = None,
                         thickness: int = 2,
                         radius: int = 3,
                         extent: float = 1.1) -> np.ndarray:
    """Draw a normalised 2D-VPD pose (the teacher's target or the student's decoded pose).

    Args:
        img (np.ndarray): [S, S, 3] uint8 BGR square canvas, drawn on in place.
        pose (np.ndarray): [26] or [13, 2] normalised joints (nose, then COCO joints 5..16).
        scores (np.ndarray, optional): [13] scores that colour it (:func:`score_color`).
        color (tuple, optional): One BGR colour instead. Defaults to None.
        thickness (int): Limb width. Defaults to 2.
        radius (int): Joint radius. Defaults to 3.
        extent (float): See :func:`normalized_to_canvas`. Defaults to 1.1.

    Returns:
        np.ndarray: ``img``.
    """
    if color is None and scores is None:
        raise ValueError('draw_normalized_pose needs scores or a color')
    pts = normalized_to_canvas(pose, img.shape[0], extent)
    sc = None if scores is None else np.asarray(scores, dtype=np.float64).reshape(len(KEPT_JOINTS))
    return _draw(img, pts, sc, KEPT_SKELETON, KEPT_LEFT, color, thickness, radius)


def pose_panel(size: int,
               student_pose: Optional[np.ndarray] = None,
               teacher_pose: Optional[np.ndarray] = None,
               teacher_scores: Optional[np.ndarray] = None,
               label: bool = True) -> np.ndarray:
    """A square panel comparing normalised poses: the teacher's (thin, coloured by its scores)
    under the student's decoded pose (thick, :data:`STUDENT_COLOR`).

    Args:
        size (int): Side in pixels.
        student_pose (np.ndarray, optional): [26] the student's decoded pose; None or NaN:
            not drawn.
        teacher_pose (np.ndarray, optional): [26] the teacher's normalised pose; None or NaN:
            not drawn.
        teacher_scores (np.ndarray, optional): [13] the teacher's scores of the kept joints
            (grey if None).
        label (bool): Write a small legend. Defaults to True.

    Returns:
        np.ndarray: [size, size, 3] uint8 BGR.
    """
    img = np.full((size, size, 3), 24, np.uint8)
    c = size // 2
    cv2.line(img, (c, 0), (c, size - 1), (48, 48, 48), 1)
    cv2.line(img, (0, c), (size - 1, c), (48, 48, 48), 1)
    thin, thick = max(1, size // 96), max(2, size // 40)
    if teacher_pose is not None and np.isfinite(teacher_pose).all():
        draw_normalized_pose(img, teacher_pose, scores=teacher_scores,
                             color=None if teacher_scores is not None else (150, 150, 150),
                             thickness=thin, radius=max(1, thin + 1))
    if student_pose is not None and np.isfinite(student_pose).all():
        draw_normalized_pose(img, student_pose, color=STUDENT_COLOR, thickness=thick,
                             radius=thick)
    if label:
        scale = max(0.3, size / 400)
        put_text(img, 'student', (3, size - 4), STUDENT_COLOR, scale)
        width = cv2.getTextSize('teacher', cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0]
        put_text(img, 'teacher', (size - width - 3, size - 4), (180, 180, 180), scale)
    return img


def put_text(img: np.ndarray, text: str, org: Tuple[int, int], color: Color = (255, 255, 255),
             scale: float = 0.4, thickness: int = 1) -> np.ndarray:
    """Text with a dark outline (readable on any background), in place."""
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness + 2,
                cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, thickness, cv2.LINE_AA)
    return img
