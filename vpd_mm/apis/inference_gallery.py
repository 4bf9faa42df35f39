# Copyright (c) vpd_mm contributors. All rights reserved.
"""The labelled actions of a gallery nearest to (parts of) one video, by DTW alignment cost."""
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .inference_video import VideoInferenceError


def sliding_windows(num_frames: int, window: int, stride: Optional[int] = None
                    ) -> List[Tuple[int, int]]:
    """``[start, end)`` windows of ``window`` frames every ``stride`` frames (default
    ``window // 2``), the last one ending at ``num_frames``; one window if the video is
    shorter."""
    if window < 1:
        raise ValueError(f'window must be >= 1, got {window}')
    stride = max(1, window // 2) if stride is None else int(stride)
    if stride < 1:
        raise ValueError(f'stride must be >= 1, got {stride}')
    if num_frames <= window:
        return [(0, num_frames)]
    starts = list(range(0, num_frames - window + 1, stride))
    if starts[-1] + window < num_frames:
        starts.append(num_frames - window)
    return [(s, s + window) for s in starts]


def gallery_neighbours(features: np.ndarray,
                       ann_file: str,
                       feature_dir: str,
                       query_ranges: Optional[Sequence[Tuple[int, int]]] = None,
                       top_k: int = 5,
                       splits: Optional[Sequence[str]] = None,
                       step_pattern: Optional[str] = None) -> dict:
    """The labelled gallery actions nearest to (parts of) a video by DTW alignment cost.

    The gallery is every labelled action of ``ann_file`` (optionally of ``splits``) cut from
    its video's ``<feature_dir>/<video>.npy`` (:func:`vpd_mm.apis.load_action_sequences`).
    As in :class:`~vpd_mm.models.DTWNearestNeighbour`, each flip view is a sequence of its own
    and the cost of a query and an action is the smallest normalised DTW cost over their view
    pairs (:func:`vpd_mm.ops.dtw_cost_matrix`, its default step pattern
    unless ``step_pattern``); pairs the step pattern cannot align cost ``inf`` and rank last.

    Args:
        features (np.ndarray): The video's [T, V, d] features.
        ann_file (str): The gallery's action annotations (``docs/data_layout.md``).
        feature_dir (str): The gallery's feature folder (same d as ``features``).
        query_ranges (Sequence[tuple[int, int]], optional): ``[start, end)`` frame ranges of
            the video to look up (e.g. :func:`sliding_windows`). Defaults to the whole video.
        top_k (int): Neighbours kept per query. Defaults to 5.
        splits (Sequence[str], optional): Gallery splits. Defaults to all.
        step_pattern (str, optional): DTW step pattern by name (e.g. ``'symmetric2'``).
            Defaults to the DTW module's default.

    Returns:
        dict: ``gallery`` (``ann_file``, ``feature_dir``, ``actions``, ``classes``),
        ``step_pattern`` and ``queries``: per range ``start_frame``, ``end_frame``,
        ``prediction`` (``label`` and ``class`` of the nearest action, None if none aligns)
        and ``neighbours`` (``rank``, ``id``, ``video``, ``start_frame``, ``end_frame``,
        ``label``, ``class``, ``split``, ``cost``; ``cost`` None where not alignable).

    Raises:
        VideoInferenceError: No labelled gallery action, unreadable gallery files, or features
            of another dimension (the message names the files).
    """
    from vpd_mm.apis.retrieval import clean_sequence, load_action_sequences
    from vpd_mm.datasets.features import load_action_annotations
    from vpd_mm.ops import dtw_cost_matrix

    features = np.asarray(features, dtype=np.float32)
    if features.ndim == 2:
        features = features[:, None]
    if top_k < 1:
        raise ValueError(f'top_k must be >= 1, got {top_k}')
    try:
        classes = list(load_action_annotations(ann_file).get('classes', []))
        actions, seqs = load_action_sequences(ann_file, feature_dir, splits=splits)
    except (OSError, ValueError) as e:
        raise VideoInferenceError(f'gallery {ann_file} + {feature_dir}: {e}') from e
    if not actions:
        raise VideoInferenceError(f'gallery {ann_file}: no labelled action'
                                  + (f' in the splits {list(splits)}' if splits else ''))
    dim = seqs[0].shape[-1]
    if dim != features.shape[-1]:
        raise VideoInferenceError(
            f'gallery {feature_dir} has features of d={dim}, the video d={features.shape[-1]}: '
            'the gallery must hold features of the same student')
    num = len(features)
    ranges = [(0, num)] if not query_ranges else [(int(s), int(e)) for s, e in query_ranges]
    for s, e in ranges:
        if not 0 <= s < e <= num:
            raise ValueError(f'query frames [{s}, {e}) outside the video\'s {num} frames')
    g_views = seqs[0].shape[1]
    candidates = [s[:, v] for s in seqs for v in range(g_views)]  # action-major
    q_seqs = []
    for s, e in ranges:
        q = clean_sequence(features[s:e], f'video frames [{s}, {e})')  # NaN frames dropped
        q_seqs += [q[:, v] for v in range(q.shape[1])]
    # the public function, its defaults unless a step pattern is named
    kwargs = {} if step_pattern is None else dict(step_pattern=step_pattern)
    cost = dtw_cost_matrix(q_seqs, candidates, **kwargs)  # [Q * Vq, G * Vg]
    q_views = features.shape[1]
    cost = cost.reshape(len(ranges), q_views, len(actions), g_views).min(axis=(1, 3))  # [Q, G]

    queries = []
    for (s, e), row in zip(ranges, cost):
        order = np.lexsort((np.arange(len(row)), row))[:top_k]  # by cost, then gallery order
        hits = []
        for rank, j in enumerate(order, 1):
            act = actions[j]
            label = int(act['label'])
            hits.append(
                dict(rank=rank, id=act['id'], video=act['video'],
                     start_frame=int(act['start_frame']), end_frame=int(act['end_frame']),
                     label=label, **{'class': classes[label] if label < len(classes) else None},
                     split=act.get('split'),
                     cost=float(row[j]) if np.isfinite(row[j]) else None))
        best = hits[0] if hits and hits[0]['cost'] is not None else None
        queries.append(
            dict(start_frame=s, end_frame=e, neighbours=hits,
                 prediction=None if best is None else dict(label=best['label'],
                                                           **{'class': best['class']})))
    return dict(
        gallery=dict(ann_file=ann_file, feature_dir=feature_dir, actions=len(actions),
                     classes=classes),
        step_pattern=step_pattern or 'default',
        queries=queries)
