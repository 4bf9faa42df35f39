# Copyright (c) vpd_mm contributors. All rights reserved.
"""The athlete's segmentation mask in the rawframes layout (``docs/data_layout.md``).

Frame ``t`` (1-based, like ``img_{:05d}.jpg``) may have ``mask_{:05d}.png``: a grey PNG of the
crop's size, cut from the image with the same ``crop_box`` as the crop, 255 on the athlete and 0
elsewhere. A frame without the file has no mask (the background noise then uses the athlete
box). Masks come from the authors' release (:mod:`vpd_mm.preparation.release.masks`) or from an
instance-segmentation model during preparation
(:class:`vpd_mm.preparation.stages.segmentation.MMDetAthleteSegmenter`).
"""
import os
import os.path as osp
from typing import Sequence

import cv2
import numpy as np

from vpd_mm.structures.crops import cut_crop
from vpd_mm.utils.io import atomic_path

#: File name of frame ``t``'s mask (1-based ``t``), beside ``img_{:05d}.jpg``.
MASK_TMPL = 'mask_{:05d}.png'
#: Grey level from which a pixel of a mask file is the athlete (files hold 0 and 255).
MASK_LEVEL = 128


def mask_to_crop(mask: np.ndarray,
                 crop_box: np.ndarray,
                 size: int,
                 origin: Sequence[int] = (0, 0)) -> np.ndarray:
    """Cut the crop of a binary mask, exactly as :func:`vpd_mm.structures.cut_crop` cuts the crop.

    The mask covers the image pixels ``[x0, x0 + w) x [y0, y0 + h)`` (``origin = (x0, y0)``;
    a whole-image mask has origin (0, 0)); outside it nothing is the athlete. The 0/255 mask is
    resampled bilinearly with the crop's affine map and thresholded at :data:`MASK_LEVEL`
    (a crop pixel is the athlete when its centre is more than about half covered).

    Args:
        mask (np.ndarray): [h, w] bool or integer, non-zero on the athlete.
        crop_box (np.ndarray): [4] x1, y1, x2, y2 of the crop in image pixels.
        size (int): Side of the crop.
        origin (Sequence[int]): Image pixel ``(x0, y0)`` of the mask's top-left pixel.
            Defaults to (0, 0).

    Returns:
        np.ndarray: [size, size] uint8, 255 on the athlete, 0 elsewhere.
    """
    mask = np.asarray(mask)
    if mask.ndim != 2 or mask.size == 0:
        raise ValueError(f'expected a non-empty mask [h, w], got shape {list(mask.shape)}')
    x0, y0 = (float(v) for v in origin)
    box = np.asarray(crop_box, dtype=np.float64).reshape(4) - (x0, y0, x0, y0)
    patch = np.where(mask != 0, np.uint8(255), np.uint8(0))  # [h, w]
    crop = cut_crop(patch, box, size)  # [size, size] bilinear, 0 outside the mask's region
    return np.where(crop >= MASK_LEVEL, np.uint8(255), np.uint8(0))


def write_mask_png(path: str, mask: np.ndarray) -> None:
    """Write a mask crop as a grey PNG atomically (:func:`vpd_mm.utils.io.atomic_path`).

    Args:
        path (str): The ``mask_{:05d}.png`` file.
        mask (np.ndarray): [H, W] bool or uint8, non-zero on the athlete; stored as 0/255.
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f'expected a mask [H, W], got shape {list(mask.shape)}')
    ok, buf = cv2.imencode('.png', np.where(mask != 0, np.uint8(255), np.uint8(0)))
    if not ok:
        raise OSError(f'could not encode the mask {path}')
    with atomic_path(path) as tmp:
        with open(tmp, 'wb') as f:
            f.write(buf.tobytes())


def remove_stale_masks(folder: str, keep: Sequence[str]) -> int:
    """Delete the ``mask_*.png`` files of ``folder`` whose names are not in ``keep``.

    Re-importing masks with other settings must not leave masks of frames that no longer
    have one.

    Args:
        folder (str): A ``rawframes/<frame_dir>`` folder.
        keep (Sequence[str]): File names just written.

    Returns:
        int: The number of files removed.
    """
    if not osp.isdir(folder):
        return 0
    keep = set(keep)
    removed = 0
    for name in os.listdir(folder):
        if name.startswith('mask_') and name.endswith('.png') and name not in keep:
            os.remove(osp.join(folder, name))
            removed += 1
    return removed
