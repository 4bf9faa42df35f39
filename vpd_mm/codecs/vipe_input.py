# Copyright (c) vpd_mm contributors. All rights reserved.
"""The input of the view-invariant pose embedder (VIPE*): 13 normalised joints x (x, y, s - 0.5)."""
import numpy as np

from .pose_normalizer import KEPT_JOINTS, NUM_KEYPOINTS, PoseNormalizer

NUM_KEPT = len(KEPT_JOINTS)


def kept_to_coco17(kept: np.ndarray, fill: float = np.nan) -> np.ndarray:
    """Place the 13 kept joints (nose, shoulders .. ankles) into a COCO-17 array.

    Args:
        kept (np.ndarray): [..., 13, C] joints in the order of ``KEPT_JOINTS``.
        fill (float): Value of the eyes and ears (not used by any target). Defaults to NaN.

    Returns:
        np.ndarray: [..., 17, C].
    """
    kept = np.asarray(kept)
    out = np.full(kept.shape[:-2] + (NUM_KEYPOINTS, kept.shape[-1]), fill, dtype=kept.dtype)
    out[..., KEPT_JOINTS, :] = kept
    return out


class VIPEInputEncoder:
    """Encode 2D poses with joint scores as the VIPE* input vector (39 values).

    The 2D pose is normalised as the 2D-VPD target (:class:`PoseNormalizer`: hip-centred,
    torso-scaled, nose and joints 5..16), and each kept joint contributes
    ``(x, y, score - 0.5)``, interleaved per joint.
    """

    dim = 3 * NUM_KEPT

    def __init__(self) -> None:
        self.normalizer = PoseNormalizer()

    def encode(self, keypoints: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Encode COCO-17 poses.

        Args:
            keypoints (np.ndarray): [..., 17, 2] pixels.
            scores (np.ndarray): [..., 17] joint scores in [0, 1].

        Returns:
            np.ndarray: [..., 39] float32.
        """
        xy = self.normalizer.encode(keypoints).reshape(*np.shape(keypoints)[:-2], NUM_KEPT, 2)
        s = np.asarray(scores, dtype=np.float32)[..., KEPT_JOINTS, None] - 0.5  # [..., 13, 1]
        return np.concatenate([xy, s], axis=-1).reshape(*xy.shape[:-2], self.dim)

    def encode_kept(self, kept_xy: np.ndarray, kept_scores: np.ndarray) -> np.ndarray:
        """Encode poses given as the 13 kept joints only (e.g. projections of 3D poses).

        Args:
            kept_xy (np.ndarray): [..., 13, 2] in ``KEPT_JOINTS`` order.
            kept_scores (np.ndarray): [..., 13].

        Returns:
            np.ndarray: [..., 39] float32.
        """
        kp = kept_to_coco17(np.asarray(kept_xy, dtype=np.float64), fill=0.0)
        scores = kept_to_coco17(np.asarray(kept_scores, dtype=np.float32)[..., None], fill=0.0)
        return self.encode(kp, scores[..., 0])
