# Copyright (c) vpd_mm contributors. All rights reserved.
"""Dense optical flow between athlete crops (SPEC section 1).

The paper used RAFT; we use OpenCV's DIS optical flow (Kroeger et al., ECCV 2016), which runs on
a CPU at thousands of 128x128 crops per second. Flow is computed from crop ``t - 1`` to crop
``t``, both cut with the crop box of frame ``t`` (:func:`crop_pair_flow`), and stored with
:class:`vpd_mm.codecs.FlowQuantizer`.
"""
from typing import Dict, Optional, Tuple

import cv2
import numpy as np

from .crops import cut_crop

DIS_PRESETS: Dict[str, int] = {
    'ultrafast': cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    'fast': cv2.DISOPTICAL_FLOW_PRESET_FAST,
    'medium': cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


def _to_gray(image: np.ndarray) -> np.ndarray:
    """[H, W], [H, W, 1] or [H, W, 3] RGB -> [H, W] uint8 grey."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = np.clip(np.round(image), 0, 255).astype(np.uint8)
    if image.ndim == 3:
        if image.shape[2] == 1:
            image = image[..., 0]
        elif image.shape[2] == 3:
            image = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        else:
            raise ValueError(f'expected 1 or 3 channels, got {image.shape[2]}')
    return np.ascontiguousarray(image)


class DISFlowEstimator:
    """OpenCV DIS optical flow; the DIS object is created once and reused.

    Args:
        preset (str): One of ``'ultrafast'``, ``'fast'``, ``'medium'``. Defaults to ``'medium'``.
    """

    def __init__(self, preset: str = 'medium') -> None:
        if preset not in DIS_PRESETS:
            raise ValueError(f'unknown DIS preset {preset!r}, expected one of {list(DIS_PRESETS)}')
        self.preset = preset
        self._dis = cv2.DISOpticalFlow_create(DIS_PRESETS[preset])

    def __call__(self, prev: np.ndarray, cur: np.ndarray) -> np.ndarray:
        """Flow from ``prev`` to ``cur``: ``cur[y + v, x + u] ~ prev[y, x]``.

        Args:
            prev (np.ndarray): [H, W, 3] RGB or [H, W] grey uint8 image at ``t - 1``.
            cur (np.ndarray): Image at ``t``, same size.

        Returns:
            np.ndarray: [H, W, 2] float32 flow (x, y) in pixels.
        """
        prev, cur = _to_gray(prev), _to_gray(cur)
        if prev.shape != cur.shape:
            raise ValueError(f'images differ in size: {prev.shape} vs {cur.shape}')
        return self._dis.calc(prev, cur, None)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(preset={self.preset!r})'


_ESTIMATORS: Dict[str, DISFlowEstimator] = {}


def dis_flow(prev: np.ndarray, cur: np.ndarray, preset: str = 'medium') -> np.ndarray:
    """Functional form of :class:`DISFlowEstimator` (one cached estimator per preset).

    Args:
        prev (np.ndarray): [H, W, 3] RGB or [H, W] grey uint8 image at ``t - 1``.
        cur (np.ndarray): Image at ``t``, same size.
        preset (str): DIS preset. Defaults to ``'medium'``.

    Returns:
        np.ndarray: [H, W, 2] float32 flow (x, y) in pixels.
    """
    if preset not in _ESTIMATORS:
        _ESTIMATORS[preset] = DISFlowEstimator(preset)
    return _ESTIMATORS[preset](prev, cur)


def crop_pair_flow(prev_image: Optional[np.ndarray],
                   cur_image: np.ndarray,
                   crop_box: np.ndarray,
                   size: int = 128,
                   estimator: Optional[DISFlowEstimator] = None) -> Tuple[np.ndarray, np.ndarray]:
    """The crop of frame ``t`` and the flow into it from frame ``t - 1`` cut with the same box.

    Args:
        prev_image (np.ndarray, optional): [H, W, C] full frame ``t - 1``; None for the first
            frame, whose flow is zero.
        cur_image (np.ndarray): [H, W, C] full frame ``t``.
        crop_box (np.ndarray): [4] crop box of frame ``t``.
        size (int): Crop side. Defaults to 128.
        estimator (DISFlowEstimator, optional): Flow estimator; a cached medium DIS by default.

    Returns:
        tuple[np.ndarray, np.ndarray]: the crop [size, size, C] uint8 and the flow
        [size, size, 2] float32 in crop pixels.
    """
    cur_crop = cut_crop(cur_image, crop_box, size)
    if prev_image is None:
        return cur_crop, np.zeros((size, size, 2), np.float32)
    prev_crop = cut_crop(prev_image, crop_box, size)
    flow = estimator(prev_crop, cur_crop) if estimator is not None else dis_flow(
        prev_crop, cur_crop)
    return cur_crop, flow
