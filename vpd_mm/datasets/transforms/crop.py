# Copyright (c) vpd_mm contributors. All rights reserved.
"""Resizing crops of RGB + flow frames that keep the flow's magnitude consistent with the zoom."""
import math
from typing import Tuple

import cv2
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform


def _resize(imgs: np.ndarray, size: int) -> np.ndarray:
    """Resize [h, w, C] uint8 (any C) to [size, size, C]: area when shrinking, else bilinear."""
    h, w = imgs.shape[:2]
    if (h, w) == (size, size):
        return imgs.copy()
    interp = cv2.INTER_AREA if (h >= size and w >= size) else cv2.INTER_LINEAR
    channels = imgs.shape[2]
    if channels <= 4:
        return cv2.resize(imgs, (size, size), interpolation=interp).reshape(size, size, channels)
    # some cv2.resize paths (e.g. INTER_AREA at some scales) take at most 4 channels:
    # resize RGB and flow (chunks of 3) separately
    out = np.empty((size, size, channels), dtype=imgs.dtype)
    for c in range(0, channels, 3):
        chunk = np.ascontiguousarray(imgs[..., c:c + 3])
        resized = cv2.resize(chunk, (size, size), interpolation=interp)
        out[..., c:c + 3] = resized.reshape(size, size, -1)  # cv2 drops a single channel axis
    return out


def _update(results: dict, box: Tuple[int, int, int, int], size: int) -> dict:
    """Resize the ``(x, y, w, h)`` pixel region of ``imgs`` and update the geometry keys."""
    x, y, w, h = box
    imgs = results['imgs']
    src_h, src_w = imgs.shape[:2]
    results['imgs'] = _resize(imgs[y:y + h, x:x + w], size)
    sx, sy = results.get('flow_scale', (1.0, 1.0))
    results['flow_scale'] = (float(sx) * size / w, float(sy) * size / h)
    results['img_shape'] = (size, size)
    crop = results.get('crop_box')
    if crop is not None:
        crop = np.asarray(crop, dtype=np.float64)
        if np.isfinite(crop).all():  # the region of the original image now shown
            px, py = (crop[2] - crop[0]) / src_w, (crop[3] - crop[1]) / src_h
            x1, y1 = crop[0] + x * px, crop[1] + y * py
            x2, y2 = crop[0] + (x + w) * px, crop[1] + (y + h) * py
            results['crop_box'] = np.array([x1, y1, x2, y2], dtype=np.float32)
    return results


@TRANSFORMS.register_module()
class VPDRandomResizedCrop(BaseTransform):
    """torchvision's ``RandomResizedCrop`` on every channel of ``imgs`` with the same box.

    The box covers a random fraction ``scale`` of the area with aspect ratio (w / h) drawn
    log-uniformly from ``ratio`` (10 tries, then a centre crop clamped to ``ratio``), and is
    resized to ``size x size`` (bilinear; area interpolation when shrinking).

    Quantised flow values are left as they are, but ``flow_scale`` is multiplied by
    ``(size / crop_w, size / crop_h)``: the data preprocessor multiplies the decoded flow by it
    so that flow magnitudes follow the zoom (the published code forgot this). ``crop_box``
    becomes the region of the original image now shown (so later flips and background noise
    stay consistent); ``img_shape`` becomes ``(size, size)``. Random numbers from ``np.random``.

    Required keys: ``imgs`` [H, W, C] uint8. Modified: ``imgs``, ``img_shape``,
    ``flow_scale``, ``crop_box`` (if finite).

    Args:
        size (int): Output side. Defaults to 128.
        scale (tuple[float, float]): Range of the crop's area fraction. Defaults to (0.5, 1.0).
        ratio (tuple[float, float]): Range of the crop's aspect ratio. Defaults to (0.9, 1.1).
    """

    def __init__(
        self,
        size: int = 128,
        scale: Tuple[float, float] = (0.5, 1.0),
        ratio: Tuple[float, float] = (0.9, 1.1)
    ) -> None:
        if not (0 < scale[0] <= scale[1] <= 1):
            raise ValueError(f'scale must satisfy 0 < min <= max <= 1, got {scale}')
        if not (0 < ratio[0] <= ratio[1]):
            raise ValueError(f'ratio must satisfy 0 < min <= max, got {ratio}')
        self.size = int(size)
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)

    def get_params(self, height: int, width: int) -> Tuple[int, int, int, int]:
        """Draw a crop box.

        Args:
            height (int): Input height.
            width (int): Input width.

        Returns:
            tuple[int, int, int, int]: ``(x, y, w, h)`` in pixels.
        """
        area = height * width
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target_area = area * np.random.uniform(*self.scale)
            aspect = math.exp(np.random.uniform(*log_ratio))
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                y = np.random.randint(0, height - h + 1)
                x = np.random.randint(0, width - w + 1)
                return int(x), int(y), w, h
        in_ratio = width / height  # fallback: the largest centre crop within ratio
        if in_ratio < self.ratio[0]:
            w, h = width, int(round(width / self.ratio[0]))
        elif in_ratio > self.ratio[1]:
            h, w = height, int(round(height * self.ratio[1]))
        else:
            w, h = width, height
        return (width - w) // 2, (height - h) // 2, w, h

    def transform(self, results: dict) -> dict:
        """Crop and resize.

        Args:
            results (dict): With ``imgs`` [H, W, C].

        Returns:
            dict: ``results`` with ``imgs`` [size, size, C] and updated geometry keys.
        """
        h, w = results['imgs'].shape[:2]
        return _update(results, self.get_params(h, w), self.size)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(size={self.size}, scale={self.scale}, '
                f'ratio={self.ratio})')


@TRANSFORMS.register_module()
class VPDResize(BaseTransform):
    """Resize the whole of ``imgs`` to ``size x size`` (validation / test).

    ``flow_scale`` is multiplied by ``(size / W, size / H)`` like in
    :class:`VPDRandomResizedCrop`; ``img_shape`` becomes ``(size, size)``.

    Args:
        size (int): Output side.
    """

    def __init__(self, size: int) -> None:
        self.size = int(size)

    def transform(self, results: dict) -> dict:
        """Resize.

        Args:
            results (dict): With ``imgs`` [H, W, C].

        Returns:
            dict: ``results`` with ``imgs`` [size, size, C] and updated ``flow_scale``.
        """
        h, w = results['imgs'].shape[:2]
        return _update(results, (0, 0, w, h), self.size)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(size={self.size})'
