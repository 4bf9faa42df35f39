# Copyright (c) vpd_mm contributors. All rights reserved.
"""Colour jitter of the RGB channels only (the flow channels carry motion, not colour)."""
from typing import Optional, Tuple, Union

import cv2
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform


def _clip(x: np.ndarray) -> np.ndarray:
    """Clip float32 grey levels to [0, 255] in place."""
    return np.clip(x, 0.0, 255.0, out=x)  # (cv2.min with a number: channel 0 only)


def split_rgb(imgs: np.ndarray) -> np.ndarray:
    """Channels 0..2 of uint8 [H, W, C] as a contiguous [H, W, 3] copy (fast for C > 3)."""
    if imgs.shape[2] == 3:
        return imgs.copy()
    rgb = np.empty(imgs.shape[:2] + (3, ), dtype=imgs.dtype)
    cv2.mixChannels([imgs], [rgb], [0, 0, 1, 1, 2, 2])
    return rgb


def merge_rgb(imgs: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """A copy of uint8 [H, W, C] ``imgs`` whose channels 0..2 are replaced by ``rgb``."""
    if imgs.shape[2] == 3:
        return np.ascontiguousarray(rgb, dtype=imgs.dtype)
    out = np.ascontiguousarray(imgs).copy()
    cv2.mixChannels([np.ascontiguousarray(rgb, dtype=imgs.dtype)], [out], [0, 0, 1, 1, 2, 2])
    return out


def _range(value: Union[float, Tuple[float, float]], name: str, centre: float,
           bound: Optional[Tuple[float, float]]) -> Optional[Tuple[float, float]]:
    """torchvision's ``ColorJitter._check_input``: a number v means [centre - v, centre + v]."""
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f'{name} must be non-negative, got {value}')
        lo, hi = centre - value, centre + value
        if bound is not None:
            lo = max(lo, bound[0])
    else:
        lo, hi = float(value[0]), float(value[1])
    if bound is not None and not bound[0] <= lo <= hi <= bound[1]:
        raise ValueError(f'{name} range must lie in {bound}, got {(lo, hi)}')
    return None if lo == hi == centre else (lo, hi)


@TRANSFORMS.register_module()
class VPDColorJitter(BaseTransform):
    """torchvision ``ColorJitter`` on channels 0..2 (RGB) of uint8 ``imgs``; flow untouched.

    Factors are drawn uniformly like torchvision's: brightness ``b`` in
    ``[max(0, 1 - brightness), 1 + brightness]`` (scales the image), contrast ``c`` (blends
    with the mean grey level), saturation ``s`` (blends with the grey image), hue shift ``h`` in
    ``[-hue, hue]`` (fraction of the colour circle, via float HSV). They are applied in this
    fixed order (torchvision draws a random order), each followed by clipping to [0, 255]; the
    result is rounded back to uint8. Grey is OpenCV's luma (0.299, 0.587, 0.114; torchvision
    uses 0.2989): float32 cv2 arithmetic keeps it at about 0.5 ms for a 128x128 crop.

    Required keys: ``imgs`` [H, W, C] uint8, C >= 3. Modified: ``imgs``.

    Args:
        brightness (float | tuple[float, float]): Defaults to 0.2.
        contrast (float | tuple[float, float]): Defaults to 0.2.
        saturation (float | tuple[float, float]): Defaults to 0.05.
        hue (float | tuple[float, float]): At most 0.5. Defaults to 0.05.
    """

    def __init__(self,
                 brightness: Union[float, Tuple[float, float]] = 0.2,
                 contrast: Union[float, Tuple[float, float]] = 0.2,
                 saturation: Union[float, Tuple[float, float]] = 0.05,
                 hue: Union[float, Tuple[float, float]] = 0.05) -> None:
        self.brightness = _range(brightness, 'brightness', 1.0, (0.0, float('inf')))
        self.contrast = _range(contrast, 'contrast', 1.0, (0.0, float('inf')))
        self.saturation = _range(saturation, 'saturation', 1.0, (0.0, float('inf')))
        self.hue = _range(hue, 'hue', 0.0, (-0.5, 0.5))

    @staticmethod
    def _draw(rng: Optional[Tuple[float, float]]) -> Optional[float]:
        return None if rng is None else float(np.random.uniform(rng[0], rng[1]))

    def transform(self, results: dict) -> dict:
        """Jitter the colours.

        Args:
            results (dict): With ``imgs`` [H, W, C] uint8.

        Returns:
            dict: ``results`` with new ``imgs`` (RGB jittered, other channels copied).
        """
        imgs = results['imgs']
        b, c, s, h = (
            self._draw(r) for r in (self.brightness, self.contrast, self.saturation, self.hue))
        rgb = split_rgb(imgs).astype(np.float32)  # [H, W, 3] in 0..255
        if b is not None:
            rgb *= b  # (cv2.multiply by a number scales channel 0 only)
            rgb = _clip(rgb)
        if c is not None:
            mean = cv2.mean(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))[0]
            rgb = _clip(cv2.addWeighted(rgb, c, rgb, 0.0, (1 - c) * mean))
        if s is not None:
            grey = cv2.cvtColor(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
            rgb = _clip(cv2.addWeighted(rgb, s, grey, 1 - s, 0.0))
        if h is not None and h != 0:
            rgb *= 1 / 255.0
            hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)  # H in degrees
            hue, sat, val = cv2.split(hsv)
            hue += h * 360.0
            hue[hue >= 360.0] -= 360.0
            hue[hue < 0.0] += 360.0
            rgb = cv2.cvtColor(cv2.merge([hue, sat, val]), cv2.COLOR_HSV2RGB)
            rgb *= 255.0
            rgb = _clip(rgb)
        results['imgs'] = merge_rgb(imgs, np.rint(rgb).astype(np.uint8))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(brightness={self.brightness}, '
                f'contrast={self.contrast}, saturation={self.saturation}, hue={self.hue})')
