# Copyright (c) vpd_mm contributors. All rights reserved.
"""Per-frame foreground scores -> temporal proposals, and their AP (pure functions).

Conventions (all frames 0-based, **end exclusive**: a segment ``[s, e)`` covers frames
``s .. e-1`` and has length ``e - s``; the same convention as the action annotations, so the
temporal IoU of mmaction2's ``pairwise_temporal_iou`` on ``[s, e]`` is exactly the IoU of the
frame sets):

1. **Runs**: maximal runs of frames with ``score >= threshold``.
2. **Merging**: two consecutive runs separated by at most ``merge_gap`` frames of lower score
   (``next_start - prev_end <= merge_gap``) become one segment that includes the gap.
3. **Length limits** (``min_len``, ``max_len`` in frames, usually derived from the training
   actions with :func:`length_limits`): segments shorter than ``min_len`` are dropped; a segment
   longer than ``max_len`` is split into ``ceil(len / max_len)`` contiguous pieces of (almost)
   equal length, each no longer than ``max_len`` (a long merged run is most often several
   actions in a row; splitting keeps each piece a plausible action).
4. **Score**: each proposal is scored by the mean per-frame score over its frames (gap frames
   included).
"""
import math
from typing import Dict, Iterable, Optional, Sequence, Tuple

import numpy as np
from mmaction.evaluation.functional import average_precision_at_temporal_iou

DEFAULT_IOU_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)


def runs_above_threshold(scores: np.ndarray, threshold: float) -> np.ndarray:
    """Maximal runs of frames whose score is at least ``threshold``.

    Args:
        scores (np.ndarray): [T] per-frame foreground scores.
        threshold (float): Minimum score of a foreground frame.

    Returns:
        np.ndarray: int64 [K, 2] ``(start, end)`` with ``end`` exclusive, sorted by start.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1:
        raise ValueError(f'scores must be 1-D [T], got shape {scores.shape}')
    fg = np.concatenate([[False], scores >= threshold, [False]])
    edges = np.flatnonzero(fg[1:] != fg[:-1])
    return edges.reshape(-1, 2).astype(np.int64)


def merge_runs(runs: np.ndarray, merge_gap: int) -> np.ndarray:
    """Merge consecutive runs separated by at most ``merge_gap`` frames.

    Args:
        runs (np.ndarray): [K, 2] ``(start, end)`` sorted, non-overlapping, end exclusive.
        merge_gap (int): Largest gap (``next_start - prev_end``, in frames) that is bridged;
            0 merges nothing (runs from :func:`runs_above_threshold` never touch).

    Returns:
        np.ndarray: int64 [K', 2] merged segments.
    """
    if merge_gap < 0:
        raise ValueError(f'merge_gap must be >= 0, got {merge_gap}')
    runs = np.asarray(runs, dtype=np.int64).reshape(-1, 2)
    if len(runs) == 0:
        return runs
    merged = [list(runs[0])]
    for start, end in runs[1:]:
        if start - merged[-1][1] <= merge_gap:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return np.asarray(merged, dtype=np.int64)


def clamp_segment_lengths(segments: np.ndarray,
                          min_len: Optional[int] = None,
                          max_len: Optional[int] = None) -> np.ndarray:
    """Drop segments shorter than ``min_len``; split those longer than ``max_len``.

    Args:
        segments (np.ndarray): [K, 2] ``(start, end)``, end exclusive.
        min_len (int, optional): Shortest kept length in frames. None keeps all.
        max_len (int, optional): Longest allowed length; longer segments are split into
            ``ceil(len / max_len)`` contiguous pieces of near-equal length. None: no limit.

    Returns:
        np.ndarray: int64 [K', 2].
    """
    if max_len is not None and max_len < 1:
        raise ValueError(f'max_len must be >= 1, got {max_len}')
    out = []
    for start, end in np.asarray(segments, dtype=np.int64).reshape(-1, 2):
        length = int(end - start)
        if min_len is not None and length < min_len:
            continue
        if max_len is not None and length > max_len:
            pieces = math.ceil(length / max_len)
            bounds = start + np.round(np.linspace(0, length, pieces + 1)).astype(np.int64)
            out += [[bounds[i], bounds[i + 1]] for i in range(pieces)]
        else:
            out.append([start, end])
    return np.asarray(out, dtype=np.int64).reshape(-1, 2)


def scores_to_proposals(scores: np.ndarray,
                        threshold: float,
                        merge_gap: int = 0,
                        min_len: Optional[int] = None,
                        max_len: Optional[int] = None) -> np.ndarray:
    """Per-frame scores -> scored proposals (steps 1-4 of the module docstring).

    Args:
        scores (np.ndarray): [T] per-frame foreground probability.
        threshold (float): Foreground threshold.
        merge_gap (int): Largest bridged gap in frames. Defaults to 0.
        min_len (int, optional): Shortest kept proposal in frames.
        max_len (int, optional): Longest proposal in frames (longer ones are split).

    Returns:
        np.ndarray: float64 [K, 3] ``(start, end, score)``, end exclusive, sorted by start.
    """
    scores = np.asarray(scores, dtype=np.float64)
    segs = runs_above_threshold(scores, threshold)
    segs = merge_runs(segs, merge_gap)
    segs = clamp_segment_lengths(segs, min_len, max_len)
    out = np.zeros((len(segs), 3), dtype=np.float64)
    if len(segs):
        csum = np.concatenate([[0.], np.cumsum(scores)])
        out[:, :2] = segs
        out[:, 2] = (csum[segs[:, 1]] - csum[segs[:, 0]]) / (segs[:, 1] - segs[:, 0])
    return out


def length_limits(train_lengths: Iterable[int],
                  min_len_ratio: Optional[float] = 0.5,
                  max_len_ratio: Optional[float] = 2.0) -> Tuple[Optional[int], Optional[int]]:
    """Proposal length limits relative to the training actions.

    ``min_len = max(1, floor(min_len_ratio * shortest))`` and
    ``max_len = ceil(max_len_ratio * longest)``; a None ratio disables that limit.

    Args:
        train_lengths (Iterable[int]): Lengths (frames) of the training actions.
        min_len_ratio (float, optional): Defaults to 0.5.
        max_len_ratio (float, optional): Defaults to 2.0.

    Returns:
        tuple: ``(min_len, max_len)`` in frames (None where disabled).
    """
    lengths = np.asarray(list(train_lengths), dtype=np.int64)
    if len(lengths) == 0:
        raise ValueError('length_limits: no training actions to derive proposal lengths from')
    min_len = None if min_len_ratio is None else max(1, int(min_len_ratio * lengths.min()))
    max_len = None if max_len_ratio is None else max(1, math.ceil(max_len_ratio * lengths.max()))
    return min_len, max_len


def detection_ap(ground_truth: Dict[str, np.ndarray],
                 proposals: Dict[str, np.ndarray],
                 iou_thresholds: Sequence[float] = DEFAULT_IOU_THRESHOLDS) -> Dict[str, float]:
    """Class-agnostic AP of proposals at several temporal IoUs, with mmaction2's
    ``average_precision_at_temporal_iou`` (VOC-style interpolated AP; a ground-truth segment
    matches at most one proposal, the highest-scored one above the IoU).

    Args:
        ground_truth (dict): video -> [G, 2] ``(start, end)`` of the true actions. Videos with
            no action may be listed with an empty array or left out.
        proposals (dict): video -> [K, 3] ``(start, end, score)``. Proposals in videos without
            ground truth are false positives.
        iou_thresholds (Sequence[float]): Defaults to (0.3, 0.4, 0.5, 0.6, 0.7).

    Returns:
        dict: ``{'AP@0.3': ..., ..., 'mAP': mean over the thresholds}``.
    """
    gt = {}
    for video, segs in ground_truth.items():
        segs = np.asarray(segs, dtype=np.float64).reshape(-1, 2)
        if len(segs):
            gt[video] = segs
    if not gt:
        raise ValueError('detection_ap: no ground-truth action in any video')
    rows = []
    for video, props in proposals.items():
        for start, end, score in np.asarray(props, dtype=np.float64).reshape(-1, 3):
            rows.append([video, 0, float(start), float(end), float(score)])
    # mmaction2 expects an [N, 5] array (video_id, class_id, t-start, t-end, score); an object
    # array keeps the video ids and the exact float scores
    pred = np.array(rows, dtype=object).reshape(-1, 5)
    ap = average_precision_at_temporal_iou(gt, pred, np.asarray(iou_thresholds, dtype=float))
    metrics = {f'AP@{t:g}': float(a) for t, a in zip(iou_thresholds, ap)}
    metrics['mAP'] = float(np.mean(ap))
    return metrics
