# Copyright (c) vpd_mm contributors. All rights reserved.
"""The 2D-VPD teacher target: normalised COCO-17 poses (d = 26), and their horizontal flip."""
from typing import Optional, Sequence, Tuple, Union

import numpy as np

#: COCO-17 left/right permutation of a horizontally flipped pose.
COCO_FLIP_INDICES: Tuple[int, ...] = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)
#: The joints kept by the target: the nose and joints 5..16 (shoulders to ankles).
KEPT_JOINTS: Tuple[int, ...] = (0, ) + tuple(range(5, 17))
#: Shoulders and hips, whose largest pairwise distance sets the scale.
TORSO_JOINTS: Tuple[int, ...] = (5, 6, 11, 12)
NUM_KEYPOINTS = 17
#: Where each kept joint's left/right partner sits among the kept joints.
KEPT_FLIP_INDICES: Tuple[int, ...] = tuple(
    KEPT_JOINTS.index(COCO_FLIP_INDICES[j]) for j in KEPT_JOINTS)


class PoseNormalizer:
    """Encode COCO-17 2D poses as the 2D-VPD target.

    Each pose is centred on the hip midpoint (joints 11 and 12), scaled so that the largest
    pairwise distance among shoulders and hips (5, 6, 11, 12) equals ``torso_size`` (scale 1
    where that distance is 0), and reduced to the nose and joints 5..16:
    13 x (x, y) = 26 values, x and y interleaved per joint.

    Args:
        torso_size (float): Target largest shoulder/hip distance. Defaults to 0.5.
    """

    dim = 2 * len(KEPT_JOINTS)

    def __init__(self, torso_size: float = 0.5) -> None:
        self.torso_size = torso_size

    def encode(self, keypoints: np.ndarray) -> np.ndarray:
        """Normalise poses.

        Args:
            keypoints (np.ndarray): [..., 17, 2] pixel coordinates.

        Returns:
            np.ndarray: [..., 26] float32 targets.
        """
        kp = np.asarray(keypoints, dtype=np.float64)
        if kp.shape[-2:] != (NUM_KEYPOINTS, 2):
            raise ValueError(f'expected keypoints of shape [..., {NUM_KEYPOINTS}, 2], '
                             f'got {list(kp.shape)}')
        centre = kp[..., [11, 12], :].mean(axis=-2, keepdims=True)  # [..., 1, 2]
        torso = kp[..., TORSO_JOINTS, :]  # [..., 4, 2]
        dists = np.linalg.norm(torso[..., :, None, :] - torso[..., None, :, :], axis=-1)
        extent = dists.max(axis=(-1, -2))[..., None, None]  # [..., 1, 1]
        scale = np.where(extent > 0, self.torso_size / np.where(extent > 0, extent, 1), 1.0)
        out = (kp - centre) * scale  # [..., 17, 2]
        out = out[..., KEPT_JOINTS, :]  # [..., 13, 2]
        return out.reshape(*out.shape[:-2], self.dim).astype(np.float32)

    @staticmethod
    def flip(keypoints: np.ndarray, scores: np.ndarray = None, width: float = 0.0):
        """Flip poses horizontally: permute left and right, mirror x.

        Args:
            keypoints (np.ndarray): [..., 17, 2].
            scores (np.ndarray, optional): [..., 17] joint scores, permuted alike.
            width (float): Mirror ``x -> width - x``. 0 negates x (the normalised
                target does not depend on the mirror's position).

        Returns:
            np.ndarray or tuple: flipped keypoints (and scores if given).
        """
        kp = np.asarray(keypoints)[..., COCO_FLIP_INDICES, :].copy()
        kp[..., 0] = width - kp[..., 0]
        if scores is None:
            return kp
        return kp, np.asarray(scores)[..., COCO_FLIP_INDICES].copy()

    @staticmethod
    def flip_target(target: np.ndarray) -> np.ndarray:
        """Flip encoded targets: ``flip_target(encode(kp)) == encode(flip(kp))``.

        Normalisation commutes with the flip (the hip midpoint and the torso extent are
        symmetric), so the flipped target is a permutation of the kept joints with x negated.

        Args:
            target (np.ndarray): [..., 26] targets.

        Returns:
            np.ndarray: [..., 26] targets of the horizontally flipped poses.
        """
        t = np.asarray(target).reshape(*np.shape(target)[:-1], len(KEPT_JOINTS), 2)
        t = t[..., KEPT_FLIP_INDICES, :].copy()  # [..., 13, 2]
        t[..., 0] = -t[..., 0]
        return t.reshape(*t.shape[:-2], 2 * len(KEPT_JOINTS))

    def encode_views(self, keypoints: np.ndarray) -> np.ndarray:
        """Targets of both flip views.

        Args:
            keypoints (np.ndarray): [..., 17, 2].

        Returns:
            np.ndarray: [..., 2, 26]: view 0 as is, view 1 horizontally flipped.
        """
        target = self.encode(keypoints)
        return np.stack([target, self.flip_target(target)], axis=-2)


#: A joint further than this many pixels from the origin is absurd, image size known or not.
MAX_COORD = 1e5


def plausible_poses(keypoints: np.ndarray,
                    img_shape: Optional[Union[Sequence[float], np.ndarray]] = None) -> np.ndarray:
    """Whether each pose lies near its image: every joint finite, within :data:`MAX_COORD`
    pixels of the origin and, with the image size, at most one image size outside the frame.

    The rule: with an image of ``h`` x ``w`` pixels, a joint must have ``-w <= x <= 2w`` and
    ``-h <= y <= 2h``. A teacher may place a joint of a partly visible athlete somewhat outside
    the frame; one further away than the frame is large (or at 1e30) is a broken pose, whatever
    its scores.

    Args:
        keypoints (np.ndarray): [..., J, 2] pixel coordinates (x, y).
        img_shape (array-like, optional): ``(h, w)``, or [..., 2] per pose (broadcast against
            ``keypoints.shape[:-2]``; NaN where unknown). None applies :data:`MAX_COORD` only.

    Returns:
        np.ndarray: [...] bool.
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    with np.errstate(invalid='ignore'):
        ok = (np.isfinite(kp) & (np.abs(kp) <= MAX_COORD)).all(axis=(-1, -2))
        if img_shape is not None:
            hw = np.asarray(img_shape, dtype=np.float64)  # [..., 2] (h, w)
            size = hw[..., None, ::-1]  # [..., 1, 2] (w, h)
            inside = ((kp >= -size) & (kp <= 2 * size)) | ~np.isfinite(size)
            ok = ok & inside.all(axis=(-1, -2))
    return ok


def pose_confidence(scores: np.ndarray,
                    keypoints: np.ndarray = None,
                    joints: Optional[Sequence[int]] = KEPT_JOINTS,
                    img_shape: Optional[Union[Sequence[float], np.ndarray]] = None) -> np.ndarray:
    """Per-frame teacher confidence: the mean score of the joints of the 2D-VPD target.

    As in the paper's 2D-VPD teacher, the mean runs over the 13 kept joints (nose and joints
    5..16): the eyes' and ears' scores collapse on inverted or averted athletes whose body the
    teacher gets right, and they are not part of the target. Frames with a non-finite score, or
    whose pose among those joints is not plausible (:func:`plausible_poses`: a non-finite
    joint, one beyond :data:`MAX_COORD` pixels such as 1e30, or, given the image size, one more
    than an image width or height outside the frame), get confidence -inf (never confident).

    Args:
        scores (np.ndarray): [..., 17] joint scores.
        keypoints (np.ndarray, optional): [..., 17, 2], checked as above.
        joints (Sequence[int], optional): The joints averaged; None takes all 17.
            Defaults to :data:`KEPT_JOINTS`.
        img_shape (array-like, optional): ``(h, w)`` of the image, or [..., 2] per frame (NaN
            where unknown); see :func:`plausible_poses`. Defaults to None.

    Returns:
        np.ndarray: [...] float64 confidences.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape[-1:] != (NUM_KEYPOINTS, ):
        raise ValueError(f'expected scores [..., {NUM_KEYPOINTS}], got {list(scores.shape)}')
    sel = list(range(NUM_KEYPOINTS)) if joints is None else list(joints)
    scores = scores[..., sel]
    finite = np.isfinite(scores).all(axis=-1)
    if keypoints is not None:
        kp = np.asarray(keypoints, dtype=np.float64)[..., sel, :]
        finite &= plausible_poses(kp, img_shape)
    return np.where(finite, np.nan_to_num(scores).mean(axis=-1), -np.inf)
