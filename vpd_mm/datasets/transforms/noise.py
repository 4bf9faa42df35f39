# Copyright (c) vpd_mm contributors. All rights reserved.
"""Gaussian noise on the background of the crop (outside the athlete's mask or box), RGB only."""
from typing import Optional, Sequence

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from .color import merge_rgb, split_rgb


@TRANSFORMS.register_module()
class VPDBackgroundNoise(BaseTransform):
    """Add Gaussian noise to the RGB pixels outside the athlete (its mask, else its box).

    The noise has standard deviation ``sigma`` in units of the normalised input, i.e.
    ``sigma * std[c]`` grey levels for RGB channel ``c`` (``std`` being the data
    preprocessor's, in 0..255 units); the result is rounded and clipped to uint8. The flow
    channels are never touched (the published code added the noise to the athlete instead).

    **The athlete** is, by priority:

    1. its segmentation mask ``athlete_mask`` (bool [H, W], True on the athlete, in the
       crop's pixels; :class:`LoadVPDFrame` with ``with_mask=True`` reads it from
       ``mask_{t:05d}.png``), as in the paper: only pixels where the mask is 0 get noise.
       A mask without any athlete pixel is treated as missing.
    2. otherwise the athlete box, mapped into the crop's pixels through ``crop_box`` (the image
       region ``imgs`` shows): ``(x - crop_x1) * W / (crop_x2 - crop_x1)``, likewise for y;
       pixels whose centre lies inside the mapped box are the athlete. Where ``athlete_box``
       or ``crop_box`` is missing or not finite the athlete is unknown and **no pixel** gets
       noise.

    Place it before the geometric transforms (noise of the stored crop, resampled with it), as
    the configs do. A mask is only valid there: when ``athlete_mask`` is set after a flip, a
    rotation or a resized crop (``flip`` True, ``rotation`` non-zero or ``flow_scale`` not
    (1, 1)) or does not have the crop's size, this transform raises an error rather than noise
    the wrong pixels. The box fallback stays correct after them too: :class:`VPDRandomFlip`
    mirrors ``athlete_box`` with the pixels and :class:`VPDRandomResizedCrop` updates
    ``crop_box`` to the region shown.

    Required keys: ``imgs`` [H, W, C] uint8; ``athlete_mask`` [H, W] (optional), or
    ``athlete_box`` [4] and ``crop_box`` [4] (x1, y1, x2, y2). Modified: ``imgs``.

    Args:
        sigma (float): Standard deviation in normalised units. Defaults to ``0.05 ** 0.5``
            (variance 0.05, the paper's).
        std (Sequence[float]): Per-RGB-channel std of the normalisation, 0..255 units.
            Defaults to Diving48's ``(41.565, 43.605, 49.215)`` (0.163, 0.171, 0.193 x 255).
    """

    def __init__(self,
                 sigma: float = 0.05**0.5,
                 std: Sequence[float] = (41.565, 43.605, 49.215)) -> None:
        if sigma < 0:
            raise ValueError(f'sigma must be non-negative, got {sigma}')
        if len(std) != 3:
            raise ValueError(f'std must hold 3 values (R, G, B), got {std}')
        self.sigma = float(sigma)
        self.std = tuple(float(s) for s in std)
        self._scale = np.asarray(self.std, dtype=np.float32) * np.float32(self.sigma)
        self._bank: Optional[np.ndarray] = None

    @staticmethod
    def background_mask(results: dict) -> Optional[np.ndarray]:
        """The background pixels of ``results['imgs']``.

        Args:
            results (dict): With ``imgs`` and ``athlete_mask`` (optional, may be None), or
                ``athlete_box`` and ``crop_box``.

        Returns:
            np.ndarray | None: bool [H, W], True outside the athlete's mask (when there is one
            with an athlete pixel), else outside the athlete box; None where the box is missing
            or not finite.

        Raises:
            ValueError: a mask after a geometric transform or of another size than ``imgs``.
        """
        h, w = results['imgs'].shape[:2]
        mask = results.get('athlete_mask')
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != (h, w):
                raise ValueError(f'athlete_mask of shape {list(mask.shape)} does not fit the '
                                 f'crop [{h}, {w}] of {results.get("frame_path", "?")}')
            moved = [
                name for name, done in (
                    ('VPDRandomFlip', bool(results.get('flip', False))),
                    ('VPDRandomRotate', float(results.get('rotation', 0.0)) != 0.0),
                    ('VPDRandomResizedCrop/VPDResize',
                     tuple(results.get('flow_scale', (1.0, 1.0))) != (1.0, 1.0))) if done
            ]
            if moved:
                raise ValueError(f'VPDBackgroundNoise with an athlete mask must come before the '
                                 f'geometric transforms, but {moved} already moved the pixels '
                                 '(the mask is not transformed with them)')
            if mask.any():
                return ~mask
        box, crop = results.get('athlete_box'), results.get('crop_box')
        if box is None or crop is None:
            return None
        box = np.asarray(box, dtype=np.float64)
        crop = np.asarray(crop, dtype=np.float64)
        if not (np.isfinite(box).all() and np.isfinite(crop).all()):
            return None
        cw, ch = crop[2] - crop[0], crop[3] - crop[1]
        if cw <= 0 or ch <= 0:
            return None
        x1, x2 = (box[[0, 2]] - crop[0]) * (w / cw)
        y1, y2 = (box[[1, 3]] - crop[1]) * (h / ch)
        cx = np.arange(w) + 0.5  # pixel centres
        cy = np.arange(h) + 0.5
        inside_x = (cx >= x1) & (cx <= x2)
        inside_y = (cy >= y1) & (cy <= y2)
        return ~(inside_y[:, None] & inside_x[None, :])

    def transform(self, results: dict) -> dict:
        """Add the noise.

        Args:
            results (dict): With ``imgs`` and ``athlete_mask`` or ``athlete_box`` and
                ``crop_box``.

        Returns:
            dict: ``results`` with ``imgs`` noisy on the background RGB pixels.
        """
        mask = self.background_mask(results)
        if mask is None or self.sigma == 0 or not mask.any():
            return results
        imgs = results['imgs']
        h, w = imgs.shape[:2]
        rgb = split_rgb(imgs).astype(np.float32)  # [H, W, 3]
        noise = self._standard_normal(h * w * 3).reshape(h, w, 3)  # a fresh float32 copy
        noise *= self._scale  # [3] grey levels per channel
        noise *= mask[..., None]  # background only
        rgb += noise
        results['imgs'] = merge_rgb(imgs, np.clip(np.rint(rgb), 0, 255).astype(np.uint8))
        return results

    def _standard_normal(self, size: int) -> np.ndarray:
        """``size`` standard normal float32 values: a window of a per-process bank.

        Drawing a fresh Gaussian per pixel costs more than the rest of this transform; the
        window's start is drawn from ``np.random`` (seeded per dataloader worker by mmengine)
        and the bank itself from a generator seeded by ``np.random`` on first use, so runs are
        reproducible. Windows of different samples overlap at random offsets, which does not
        matter for an augmentation.
        """
        bank = self._bank
        if bank is None or len(bank) < 4 * size:
            rng = np.random.default_rng(np.random.randint(0, 2**31))
            bank = rng.standard_normal(max(1 << 20, 16 * size), dtype=np.float32)
            self._bank = bank
        start = np.random.randint(0, len(bank) - size + 1)
        return bank[start:start + size].copy()

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(sigma={self.sigma}, std={self.std})'
