# Copyright (c) vpd_mm contributors. All rights reserved.
"""Box geometry on NumPy arrays of ``x1, y1, x2, y2`` boxes (pixels).

The one box IoU of vpd_mm: the athlete-track joiner, the import of the authors' released poses
and masks and the simulated detector all use :func:`box_iou`, which wraps mmdet's
:func:`mmdet.structures.bbox.bbox_overlaps` (the detector's own IoU) for NumPy input.
"""
from typing import Union

import numpy as np
import torch

ArrayLike = Union[np.ndarray, list, tuple]


def _as_boxes(boxes: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(boxes)
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if arr.ndim not in (1, 2) or arr.shape[-1] != 4:
        raise ValueError(f'box_iou: {name} must be [4] or [N, 4] x1y1x2y2 boxes, got shape '
                         f'{list(arr.shape)}')
    return arr


def box_iou(boxes1: ArrayLike, boxes2: ArrayLike, aligned: bool = False) -> np.ndarray:
    """IoU of ``x1, y1, x2, y2`` boxes, 0 where a box is not finite or the union is empty.

    Computed by mmdet's ``bbox_overlaps`` (mode ``'iou'``, union clamped at 1e-6) in the
    input's float precision (float64 for integer input).

    Args:
        boxes1 (np.ndarray): [4] or [N, 4].
        boxes2 (np.ndarray): [4] or [M, 4].
        aligned (bool): IoU of row i with row i (both [N, 4]) instead of every pair.
            Defaults to False.

    Returns:
        np.ndarray: Every pair: [N, M], with the dimension of a [4] argument dropped ([M] for
        one box against M, a 0-d array for two single boxes). Aligned: [N].

    Raises:
        ValueError: not [4] / [N, 4] boxes, or aligned boxes of different counts.
    """
    from mmdet.structures.bbox import bbox_overlaps  # mmdet's own IoU

    a, b = _as_boxes(boxes1, 'boxes1'), _as_boxes(boxes2, 'boxes2')
    if aligned and (a.ndim != 2 or a.shape != b.shape):
        raise ValueError(f'box_iou(aligned=True) needs two [N, 4] arrays of the same N, got '
                         f'{list(a.shape)} and {list(b.shape)}')
    ta = torch.from_numpy(np.ascontiguousarray(a.reshape(-1, 4)))  # [N, 4]
    tb = torch.from_numpy(np.ascontiguousarray(b.reshape(-1, 4)))  # [M, 4]
    if ta.dtype != tb.dtype:
        dtype = torch.promote_types(ta.dtype, tb.dtype)
        ta, tb = ta.to(dtype), tb.to(dtype)
    iou = bbox_overlaps(ta, tb, mode='iou', is_aligned=aligned).numpy()  # [N, M] or [N]
    iou = np.where(np.isfinite(iou), iou, 0.0).astype(iou.dtype)
    if aligned:
        return iou
    return iou.reshape(a.shape[:-1] + b.shape[:-1])
