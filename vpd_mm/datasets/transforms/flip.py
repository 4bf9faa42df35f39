# Copyright (c) vpd_mm contributors. All rights reserved.
"""Horizontal flip of the crop, its flow, the teacher targets and the pose, all consistently."""
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from vpd_mm.codecs import FlowQuantizer, PoseNormalizer


@TRANSFORMS.register_module()
class VPDRandomFlip(BaseTransform):
    """Mirror a sample horizontally with probability ``prob``.

    * ``imgs`` [H, W, C] mirrored; the flow x channel (3) negated, i.e. ``255 - q`` in storage.
    * ``pose_target`` and ``prev_pose_target`` [2, d]: the two flip views swapped (view 0 is
      then the target of the flipped pose; for a view-invariant embedding, the precomputed
      embedding of the flipped pose).
    * ``keypoint`` [17, 2] / ``keypoint_score`` [17] flipped with :meth:`PoseNormalizer.flip`
      about the crop box's vertical centre line (``x -> x1 + x2 - x``) when ``crop_box`` is
      finite, else ``x -> -x``; ``athlete_box`` and ``crop_box`` mirrored alike (a finite crop
      box is symmetric about its own centre line, so it does not change).
    * ``flip`` toggled.

    Flipping twice gives back the input exactly for ``imgs``, targets and scores; keypoints and
    boxes up to float32 rounding of ``x1 + x2 - x``. Missing keys are skipped.

    Args:
        prob (float): Probability of the flip; 1.0 always flips, 0.0 never. Defaults to 0.5.
    """

    def __init__(self, prob: float = 0.5) -> None:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob

    @staticmethod
    def flip_sample(results: dict) -> dict:
        """Flip ``results`` unconditionally (see the class docstring)."""
        if 'imgs' in results:
            imgs = np.ascontiguousarray(results['imgs'][:, ::-1])  # [H, W, C]
            if imgs.shape[2] > 3:
                imgs[..., 3] = FlowQuantizer.flip_x(imgs[..., 3])
            results['imgs'] = imgs
        for key in ('pose_target', 'prev_pose_target'):
            if key in results:
                results[key] = np.ascontiguousarray(results[key][::-1])
        crop = results.get('crop_box')
        crop = None if crop is None else np.asarray(crop, dtype=np.float64)
        crop_ok = crop is not None and bool(np.isfinite(crop).all())
        pivot = float(crop[0] + crop[2]) if crop_ok else 0.0
        if 'keypoint' in results:
            if 'keypoint_score' in results:
                results['keypoint'], results['keypoint_score'] = PoseNormalizer.flip(
                    results['keypoint'], results['keypoint_score'], width=pivot)
            else:
                results['keypoint'] = PoseNormalizer.flip(results['keypoint'], width=pivot)
        boxes = ('athlete_box', ) if crop_ok else ('athlete_box', 'crop_box')
        for key in boxes:  # a finite crop box is its own mirror image: left as is
            if results.get(key) is not None:
                box = np.asarray(results[key], dtype=np.float32)
                results[key] = np.array([pivot - box[2], box[1], pivot - box[0], box[3]],
                                        dtype=np.float32)
        results['flip'] = not results.get('flip', False)
        return results

    def transform(self, results: dict) -> dict:
        """Flip with probability ``prob``.

        Args:
            results (dict): A sample; see the class docstring for the keys used.

        Returns:
            dict: The (possibly) flipped sample.
        """
        if self.prob > 0 and np.random.rand() < self.prob:
            results = self.flip_sample(results)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob})'
