# Copyright (c) vpd_mm contributors. All rights reserved.
"""Read a frame's athlete crop, its quantised flow and its athlete mask (rawframes layout)."""
import os.path as osp

import cv2
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform


@TRANSFORMS.register_module()
class LoadVPDFrame(BaseTransform):
    """Load ``img_{t:05d}.jpg`` (RGB), ``flow_{x,y}_{t:05d}.jpg`` and ``mask_{t:05d}.png``.

    ``t = frame_idx + 1`` (mmaction2's 1-based rawframe naming) inside ``results['frame_path']``
    (see ``docs/data_layout.md``). The flow of frame ``t`` goes from crop ``t - 1`` to crop ``t``.
    The mask (optional, ``with_mask``) is the athlete's segmentation in the crop's pixels
    (grey >= 128 on the athlete); a frame without a mask file gets ``athlete_mask = None``
    (:class:`VPDBackgroundNoise` then uses the athlete box).

    Required keys: ``frame_path``, ``frame_idx``.

    Added keys: ``imgs`` (uint8 [H, W, 5]: R, G, B, flow x, flow y; [H, W, 3] without flow),
    ``img_shape`` ((H, W) of the crop), ``flip`` (False), ``flow_scale`` ((1.0, 1.0)) and, with
    ``with_mask``, ``athlete_mask`` (bool [H, W], True on the athlete, or None).

    Args:
        with_flow (bool): Also load the two flow images. Defaults to True.
        with_mask (bool): Also load the athlete mask when the frame has one (training
            pipelines with :class:`VPDBackgroundNoise`). Defaults to False.
        img_tmpl (str): File name of the RGB crop. Defaults to ``'img_{:05d}.jpg'``.
        flow_tmpl (str): File name of a flow image, formatted with ``'x'`` or ``'y'`` and
            ``t``. Defaults to ``'flow_{}_{:05d}.jpg'``.
        mask_tmpl (str): File name of the mask. Defaults to ``'mask_{:05d}.png'``.
    """

    def __init__(self,
                 with_flow: bool = True,
                 with_mask: bool = False,
                 img_tmpl: str = 'img_{:05d}.jpg',
                 flow_tmpl: str = 'flow_{}_{:05d}.jpg',
                 mask_tmpl: str = 'mask_{:05d}.png') -> None:
        self.with_flow = with_flow
        self.with_mask = with_mask
        self.img_tmpl = img_tmpl
        self.flow_tmpl = flow_tmpl
        self.mask_tmpl = mask_tmpl

    @staticmethod
    def _read(path: str, flag: int) -> np.ndarray:
        img = cv2.imread(path, flag)
        if img is None:
            if not osp.isfile(path):
                raise FileNotFoundError(f'frame file not found: {path}')
            raise IOError(f'cannot decode image file (corrupt or not an image): {path}')
        return img

    def transform(self, results: dict) -> dict:
        """Load the frame.

        Args:
            results (dict): With ``frame_path`` and ``frame_idx`` (0-based).

        Returns:
            dict: ``results`` with ``imgs``, ``img_shape``, ``flip``, ``flow_scale`` and, with
            ``with_mask``, ``athlete_mask``.
        """
        t = int(results['frame_idx']) + 1
        root = results['frame_path']
        img_path = osp.join(root, self.img_tmpl.format(t))
        bgr = self._read(img_path, cv2.IMREAD_COLOR)  # [H, W, 3] BGR
        h, w = bgr.shape[:2]
        if self.with_flow:
            paths = [osp.join(root, self.flow_tmpl.format(d, t)) for d in ('x', 'y')]
            flows = [self._read(p, cv2.IMREAD_GRAYSCALE) for p in paths]  # 2 x [H, W]
            for path, flow in zip(paths, flows):
                if flow.shape != (h, w):
                    raise ValueError(f'flow image {path} has size {flow.shape[::-1]} (w, h) but '
                                     f'the crop {img_path} has {(w, h)}')
            imgs = np.empty((h, w, 5), dtype=np.uint8)
            imgs[..., 3] = flows[0]
            imgs[..., 4] = flows[1]
        else:
            imgs = np.empty((h, w, 3), dtype=np.uint8)
        imgs[..., :3] = bgr[..., ::-1]  # BGR -> RGB
        if self.with_mask:
            results['athlete_mask'] = None
            mask_path = osp.join(root, self.mask_tmpl.format(t))
            if osp.isfile(mask_path):
                mask = self._read(mask_path, cv2.IMREAD_GRAYSCALE)  # [H, W]
                if mask.shape != (h, w):
                    raise ValueError(f'mask {mask_path} has size {mask.shape[::-1]} (w, h) but '
                                     f'the crop {img_path} has {(w, h)}')
                results['athlete_mask'] = mask >= 128  # [H, W] bool
        results['imgs'] = imgs
        results['img_shape'] = (h, w)
        results['flip'] = False
        results['flow_scale'] = (1.0, 1.0)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(with_flow={self.with_flow}, '
                f'with_mask={self.with_mask}, img_tmpl={self.img_tmpl!r}, '
                f'flow_tmpl={self.flow_tmpl!r}, mask_tmpl={self.mask_tmpl!r})')
