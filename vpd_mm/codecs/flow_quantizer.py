# Copyright (c) vpd_mm contributors. All rights reserved.
"""Optical flow stored as 8-bit images (the mmaction2 / denseflow convention, bound 20 px)."""
from typing import Union

import numpy as np
import torch

ArrayLike = Union[np.ndarray, torch.Tensor]


class FlowQuantizer:
    """Map flow in pixels to uint8 and back.

    ``q = round((clip(f, -bound, bound) + bound) / (2 * bound) * 255)``; zero flow is stored as
    128 (127.5 rounded). A horizontal flip negates flow x, which in storage is ``255 - q``.

    Args:
        bound (float): Clipping bound in pixels. Defaults to 20.
    """

    def __init__(self, bound: float = 20.0) -> None:
        self.bound = float(bound)

    def encode(self, flow: np.ndarray) -> np.ndarray:
        """Quantise flow.

        Args:
            flow (np.ndarray): [..., H, W] or [H, W, 2] flow in pixels.

        Returns:
            np.ndarray: uint8 array of the same shape.
        """
        flow = np.nan_to_num(np.asarray(flow, dtype=np.float32))
        q = (np.clip(flow, -self.bound, self.bound) + self.bound) * (255.0 / (2 * self.bound))
        return np.round(q).astype(np.uint8)

    def decode(self, q: ArrayLike, normalize: bool = False) -> ArrayLike:
        """Dequantise flow.

        Args:
            q (np.ndarray | torch.Tensor): uint8 (or float holding 0..255) values.
            normalize (bool): Return flow divided by ``2 * bound`` (about [-0.5, 0.5]), the
                student's input scale, instead of pixels.

        Returns:
            np.ndarray | torch.Tensor: float32 flow of the same shape.
        """
        if isinstance(q, torch.Tensor):
            f = q.float() / 255.0 - 0.5
        else:
            f = np.asarray(q, dtype=np.float32) / 255.0 - 0.5
        return f if normalize else f * (2 * self.bound)

    @staticmethod
    def flip_x(q: np.ndarray) -> np.ndarray:
        """Negate quantised flow x (a horizontal flip of the flow field's values)."""
        return 255 - q
