# Copyright (c) vpd_mm contributors. All rights reserved.
"""Square athlete crops (SPEC section 1): the crop box of a frame and the crop itself.

Ground-floor geometry (NumPy and OpenCV only), used by data preparation, the optical-flow stage,
the visualisations and the synthetic corpora.

Coordinates are continuous image pixels: pixel ``(col, row)`` covers ``[col, col + 1) x
[row, row + 1)``, so a point ``(x, y)`` of the image lies at
``((x - x1) * size / side, (y - y1) * size / side)`` in a crop of ``size`` pixels cut with the box
``(x1, y1, x1 + side, y1 + side)``.
"""
from typing import Optional

import cv2
import numpy as np


def athlete_crop_box(box: np.ndarray,
                     prev_box: Optional[np.ndarray] = None,
                     pad: float = 0.1) -> np.ndarray:
    """The square crop box of one frame.

    The union of ``box`` with ``prev_box`` (when given and finite) is made square around its
    centre with side ``max(w, h)``, then padded by ``pad * side`` on each side, i.e. the final side
    is ``max(w, h) * (1 + 2 * pad)``. The result may extend outside the image.

    Args:
        box (np.ndarray): [4] athlete box x1, y1, x2, y2 of the frame.
        prev_box (np.ndarray, optional): [4] athlete box of the previous frame. Ignored when
            None or not finite. Defaults to None.
        pad (float): Padding on each side, as a fraction of the square's side. Defaults to 0.1.

    Returns:
        np.ndarray: [4] float64 square crop box x1, y1, x2, y2; all NaN if ``box`` is not finite.
    """
    box = np.asarray(box, dtype=np.float64).reshape(4)
    prev = None if prev_box is None else np.asarray(prev_box, dtype=np.float64).reshape(4)
    prev = None if prev is None else prev[None]
    return athlete_crop_boxes(box[None], pad=pad, prev_boxes=prev)[0]


def athlete_crop_boxes(boxes: np.ndarray,
                       pad: float = 0.1,
                       prev_boxes: Optional[np.ndarray] = None) -> np.ndarray:
    """Square crop boxes of a track, each joined with the previous frame's box.

    Row ``t`` is :func:`athlete_crop_box` of ``boxes[t]`` and ``boxes[t - 1]`` (row 0 has no
    predecessor). Rows whose box is not finite stay NaN; a non-finite previous box is ignored.

    Args:
        boxes (np.ndarray): [T, 4] athlete boxes x1, y1, x2, y2 (NaN where missing).
        pad (float): Padding on each side, as a fraction of the square's side. Defaults to 0.1.
        prev_boxes (np.ndarray, optional): [T, 4] explicit previous boxes instead of the
            previous rows. Defaults to None.

    Returns:
        np.ndarray: [T, 4] float64 square crop boxes.
    """
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f'expected boxes of shape [T, 4], got {list(boxes.shape)}')
    if prev_boxes is None:
        prev = np.full_like(boxes, np.nan)
        prev[1:] = boxes[:-1]
    else:
        prev = np.asarray(prev_boxes, dtype=np.float64).reshape(boxes.shape)
    prev_ok = np.isfinite(prev).all(axis=1, keepdims=True)  # [T, 1]
    lo = np.where(prev_ok, np.fmin(boxes[:, :2], prev[:, :2]), boxes[:, :2])  # [T, 2]
    hi = np.where(prev_ok, np.fmax(boxes[:, 2:], prev[:, 2:]), boxes[:, 2:])  # [T, 2]
    centre = (lo + hi) / 2  # [T, 2]
    side = (hi - lo).max(axis=1, keepdims=True) * (1 + 2 * pad)  # [T, 1]
    out = np.concatenate([centre - side / 2, centre + side / 2], axis=1)  # [T, 4]
    out[~np.isfinite(boxes).all(axis=1)] = np.nan
    return out


def fill_missing_boxes(boxes: np.ndarray) -> np.ndarray:
    """Replace missing boxes by the nearest earlier valid box (the first valid one before it).

    This is how frames without an athlete box get a crop (and a flow pair): they are cut with the
    last box seen, so every frame of a video has a finite crop box.

    Args:
        boxes (np.ndarray): [T, 4] boxes, rows with a non-finite value are missing.

    Returns:
        np.ndarray: [T, 4] boxes (same dtype), every row finite.

    Raises:
        ValueError: when no row is valid.
    """
    boxes = np.asarray(boxes)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f'expected boxes of shape [T, 4], got {list(boxes.shape)}')
    ok = np.isfinite(boxes).all(axis=1)  # [T]
    if not ok.any():
        raise ValueError('no valid box in the track')
    idx = np.maximum.accumulate(np.where(ok, np.arange(len(boxes)), -1))  # last valid row, or -1
    idx[idx < 0] = np.flatnonzero(ok)[0]
    return boxes[idx]


def crop_affine(crop_box: np.ndarray, size: int) -> np.ndarray:
    """The affine map from crop pixels to image pixels (cv2's pixel-centre convention).

    Args:
        crop_box (np.ndarray): [4] x1, y1, x2, y2 of the region.
        size (int): Side of the crop in pixels.

    Returns:
        np.ndarray: [2, 3] float64 matrix ``M`` with ``image_xy = M @ [u, v, 1]`` for integer
        crop pixel indices ``(u, v)``, for ``cv2.warpAffine(..., WARP_INVERSE_MAP)``.
    """
    x1, y1, x2, y2 = np.asarray(crop_box, dtype=np.float64).reshape(4)
    if not (np.isfinite([x1, y1, x2, y2]).all() and x2 > x1 and y2 > y1):
        raise ValueError(f'crop box must be finite with positive size, got {[x1, y1, x2, y2]}')
    sx, sy = (x2 - x1) / size, (y2 - y1) / size
    # crop pixel u covers [u, u + 1) * sx + x1; its centre, in cv2's index coordinates
    # (pixel centres at integers), is x1 + (u + 0.5) * sx - 0.5.
    return np.array([[sx, 0.0, x1 + 0.5 * sx - 0.5], [0.0, sy, y1 + 0.5 * sy - 0.5]])


def cut_crop(image: np.ndarray, crop_box: np.ndarray, size: int = 128) -> np.ndarray:
    """Cut a square region out of an image, zero outside the image, bilinear.

    One ``cv2.warpAffine`` into the output: cost proportional to ``size ** 2``, no padded copy of
    the image. A non-square box is stretched to the square output.

    Args:
        image (np.ndarray): [H, W, C] (or [H, W]) uint8 image.
        crop_box (np.ndarray): [4] x1, y1, x2, y2 of the region in image pixels; may extend
            outside the image.
        size (int): Side of the output. Defaults to 128.

    Returns:
        np.ndarray: [size, size, C] (or [size, size]) uint8 crop.
    """
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = np.clip(np.round(image), 0, 255).astype(np.uint8)
    m = crop_affine(crop_box, size)
    out = cv2.warpAffine(
        image,
        m, (size, size),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0)
    if image.ndim == 3 and out.ndim == 2:  # cv2 drops a single channel axis
        out = out[..., None]
    return out


def image_to_crop_coords(points: np.ndarray, crop_box: np.ndarray, size: int) -> np.ndarray:
    """Map image points into the coordinates of a crop.

    Args:
        points (np.ndarray): [..., 2] x, y in image pixels.
        crop_box (np.ndarray): [4] the crop's box.
        size (int): Side of the crop.

    Returns:
        np.ndarray: [..., 2] float64 x, y in crop pixels (same continuous convention).
    """
    x1, y1, x2, y2 = np.asarray(crop_box, dtype=np.float64).reshape(4)
    scale = np.array([size / (x2 - x1), size / (y2 - y1)])
    return (np.asarray(points, dtype=np.float64) - np.array([x1, y1])) * scale
