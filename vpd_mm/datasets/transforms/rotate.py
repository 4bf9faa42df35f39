# Copyright (c) vpd_mm contributors. All rights reserved.
"""In-plane rotation of the crop, its flow and the 2D pose targets (inverted athletes)."""
import math
from typing import Tuple

import cv2
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

#: Quantised zero flow (``FlowQuantizer``: q = (f + bound) / (2 bound) * 255).
_FLOW_ZERO = 127.5


def rotation_matrix(angle: float) -> np.ndarray:
    """The 2x2 linear part of a rotation by ``angle`` degrees in image coordinates (y down).

    Positive angles turn the picture counter-clockwise as displayed, like
    ``cv2.getRotationMatrix2D``: a point offset ``v`` from the centre moves to ``L @ v``.
    """
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return np.array([[c, s], [-s, c]], dtype=np.float64)


def rotate_pose_views(target: np.ndarray, angle: float) -> np.ndarray:
    """Rotate 2D-VPD targets of both flip views by ``angle`` (image coordinates).

    View 0 is the pose as seen, turned by ``L``; view 1 is its mirror image, which turns the
    other way (``F L F = L^T`` with ``F = diag(-1, 1)``). The normalised target is centred on the
    hips and scaled by a rotation-invariant length, so rotating the image rotates the target
    about its origin.

    Args:
        target (np.ndarray): [2, 2 * J] (x, y interleaved per joint), views (as is, mirrored).
        angle (float): Degrees.

    Returns:
        np.ndarray: [2, 2 * J] float32.
    """
    t = np.asarray(target, dtype=np.float64)
    if t.ndim != 2 or t.shape[0] != 2 or t.shape[1] % 2:
        raise ValueError(f'expected 2D pose targets [2 views, 2 * J], got {list(t.shape)}')
    rot = rotation_matrix(angle)
    joints = t.reshape(2, -1, 2)  # [2, J, 2]
    out = np.stack([joints[0] @ rot.T, joints[1] @ rot], axis=0)  # row vectors: v @ L^T = L v
    return out.reshape(t.shape).astype(np.float32)


@TRANSFORMS.register_module()
class VPDRandomRotate(BaseTransform):
    """Rotate the crop, its flow and the teacher's 2D pose targets by a random angle.

    With probability ``prob`` the sample is turned by an angle drawn uniformly from
    ``angle_range`` (degrees) about the crop's centre (bilinear; uncovered corners get black RGB
    and zero flow). Consistently:

    * the flow vectors turn with the pixels (rotated in quantised space about the zero level);
    * ``pose_target`` and ``prev_pose_target`` (2D-VPD targets [2, d]) turn as well, view 1 (the
      mirrored pose) the other way (:func:`rotate_pose_views`), so the motion target is the
      rotated motion;
    * ``keypoint`` (image pixels) turns about the centre of ``crop_box``; ``athlete_box``
      becomes the box around its turned corners.

    A rotated upright frame is a frame of a turned athlete with its exact pose: it lets a
    student learn inverted and horizontal athletes, which teachers are rarely confident about
    (see :class:`PoseBalancedSampler` for the frames that are there). This is not in the paper's
    list of augmentations; the sports configs of vpd_mm turn it on. Targets that are embeddings
    (VI-VPD: VIPE* is not equivariant to in-plane rotation) cannot be rotated: an error.

    Place it after :class:`VPDBackgroundNoise` and :class:`VPDRandomFlip`, before
    :class:`VPDRandomResizedCrop` (the crop's pixels must be square for a turn of the pixels to
    be a turn of the pose; an error names the sample otherwise). Random numbers from
    ``np.random``.

    Required keys: ``imgs`` [H, W, C] uint8 (C = 3 or 5). Modified: ``imgs``, ``pose_target``,
    ``prev_pose_target``, ``keypoint``, ``athlete_box``; added: ``rotation`` (degrees, 0 when
    not rotated).

    Args:
        prob (float): Probability of rotating. Defaults to 0.5.
        angle_range (tuple[float, float]): Range of the angle in degrees. Defaults to
            (-180, 180).
    """

    def __init__(self, prob: float = 0.5, angle_range: Tuple[float, float] = (-180., 180.)) -> None:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        if len(angle_range) != 2 or angle_range[0] > angle_range[1]:
            raise ValueError(f'angle_range must be (low, high) with low <= high, got {angle_range}')
        self.prob = prob
        self.angle_range = (float(angle_range[0]), float(angle_range[1]))

    @staticmethod
    def rotate_sample(results: dict, angle: float) -> dict:
        """Rotate ``results`` by ``angle`` degrees (see the class docstring)."""
        if results.get('target_type', 'pose2d') != 'pose2d':
            raise ValueError(f"VPDRandomRotate rotates 2D pose targets only, got target_type="
                             f"{results.get('target_type')!r}: an embedding (VIPE*) cannot be "
                             'rotated; remove VPDRandomRotate from the pipeline')
        imgs = results['imgs']
        h, w = imgs.shape[:2]
        affine = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1.0)  # [2, 3]
        rot = affine[:, :2]
        warp = dict(dsize=(w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        out = np.empty_like(imgs)
        out[..., :3] = cv2.warpAffine(np.ascontiguousarray(imgs[..., :3]), affine, **warp,
                                      borderValue=(0, 0, 0)).reshape(h, w, -1)
        if imgs.shape[2] == 5:
            flow = cv2.warpAffine(np.ascontiguousarray(imgs[..., 3:]).astype(np.float32), affine,
                                  **warp, borderValue=(_FLOW_ZERO, _FLOW_ZERO))  # [H, W, 2]
            flow = (flow - _FLOW_ZERO) @ rot.T.astype(np.float32) + _FLOW_ZERO
            out[..., 3:] = np.clip(np.rint(flow), 0, 255).astype(np.uint8)
        elif imgs.shape[2] != 3:
            raise ValueError(f'VPDRandomRotate expects 3 or 5 channels, got {imgs.shape[2]}')
        results['imgs'] = out
        for key in ('pose_target', 'prev_pose_target'):
            if key in results:
                results[key] = rotate_pose_views(results[key], angle)

        crop = np.asarray(results.get('crop_box', np.full(4, np.nan)), dtype=np.float64)
        if np.isfinite(crop).all() and crop[2] > crop[0] and crop[3] > crop[1]:
            # image pixels -> crop pixels -> turned about the crop's centre -> image pixels
            scale = np.array([w / (crop[2] - crop[0]), h / (crop[3] - crop[1])])
            if abs(scale[0] / scale[1] - 1) > 0.01:
                raise ValueError(
                    f'VPDRandomRotate needs square pixels (a crop resized alike in x and y), '
                    f'got {w}x{h} pixels for the crop box {crop.round(2).tolist()}: place it '
                    'before VPDRandomResizedCrop')

            def turn(points: np.ndarray) -> np.ndarray:  # [..., 2] image pixels
                local = (points - crop[:2]) * scale - (w / 2, h / 2)
                return (local @ rot.T + (w / 2, h / 2)) / scale + crop[:2]

            if results.get('keypoint') is not None:
                kp = np.asarray(results['keypoint'], dtype=np.float64)
                results['keypoint'] = turn(kp).astype(np.float32)
            box = results.get('athlete_box')
            if box is not None and np.isfinite(box).all():
                x1, y1, x2, y2 = np.asarray(box, dtype=np.float64)
                corners = turn(np.array([[x1, y1], [x2, y1], [x1, y2], [x2, y2]]))
                results['athlete_box'] = np.concatenate([corners.min(0),
                                                         corners.max(0)]).astype(np.float32)
        results['rotation'] = float(results.get('rotation', 0.0)) + angle
        return results

    def transform(self, results: dict) -> dict:
        """Rotate with probability ``prob``.

        Args:
            results (dict): A sample; see the class docstring for the keys used.

        Returns:
            dict: The (possibly) rotated sample.
        """
        results.setdefault('rotation', 0.0)
        if self.prob > 0 and np.random.rand() < self.prob:
            results = self.rotate_sample(results, float(np.random.uniform(*self.angle_range)))
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob}, angle_range={self.angle_range})'
