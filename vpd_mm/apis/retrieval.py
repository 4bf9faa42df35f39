# Copyright (c) vpd_mm contributors. All rights reserved.
"""Action retrieval by DTW alignment cost (SPEC section 4), blockwise over queries.

Every query action ranks all other actions of the corpus by their normalised DTW cost
(Euclidean frame cost; by default the authors' ``symmetricP2`` step pattern and their frame
vector, the two flip views concatenated); precision@k counts the candidates of the query's
label among the k best, the query itself excluded. The corpus is packed for the DTW once;
queries are processed in blocks of ``block_size``: one block costs ``block_size x C`` floats,
and only the best ``max(ks)`` candidates of each query are kept, so memory never grows with
(corpus x frames) ** 2.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from vpd_mm.datasets.features import (check_folder_shape, feature_path, load_action_annotations,
                                      load_feature_sequence)
from vpd_mm.evaluation.functional.retrieval import retrieval_precision_at_k
from vpd_mm.ops import (DEFAULT_STEP_PATTERN, DTWCandidates, check_step_pattern, dtw_cost_matrix,
                        dtw_cost_matrix_torch)
from vpd_mm.utils.io import FileFormatError

ViewSpec = Union[int, str]
VIEW_CHOICES = ('concat', 'mean', 'min')  # besides a view index


def clean_sequence(seq: np.ndarray, name: str, first_frame: int = 0) -> np.ndarray:
    """Drop all-NaN frames of a [T, ...] sequence.

    Args:
        seq (np.ndarray): [T, ...] features; a frame without features is all NaN.
        name (str): The sequence in the messages (its file, action or frames).
        first_frame (int): The number of ``seq``'s first frame in its video, for the frame
            numbers of the messages. Defaults to 0.

    Returns:
        np.ndarray: [T', ...] the frames with features, T' >= 1.

    Raises:
        FileFormatError: a frame with only some NaN values, an infinite value, or no frame left
            (names ``name``; a ``ValueError``).
    """
    flat = seq.reshape(len(seq), -1)
    nan = np.isnan(flat)
    all_nan = nan.all(axis=1)
    partial = nan.any(axis=1) & ~all_nan
    if partial.any():
        raise FileFormatError(
            name, f'frame(s) {(np.flatnonzero(partial)[:10] + first_frame).tolist()} have some '
            'NaN features but not all (expected whole NaN rows for missing frames)')
    if np.isinf(flat).any():
        raise FileFormatError(name, 'infinite feature values')
    seq = seq[~all_nan]
    if len(seq) == 0:
        raise FileFormatError(name, 'no frame with features (empty or all-NaN sequence)')
    return seq


def load_action_sequences(ann_file: str,
                          feature_dirs: Union[str, Sequence[str]],
                          splits: Optional[Sequence[str]] = None,
                          labeled_only: bool = True) -> Tuple[List[dict], List[np.ndarray]]:
    """Load the [T, V, d] feature sequence of every action.

    Args:
        ann_file (str): Action annotation file (``load_action_annotations`` format).
        feature_dirs (str | Sequence[str]): One or more feature folders; several are
            concatenated along the feature dimension (e.g. 2D-VPD + VI-VPD = ConcatVPD).
        splits (Sequence[str], optional): Keep actions of these splits. Defaults to all.
        labeled_only (bool): Skip actions with label -1. Defaults to True.

    Returns:
        tuple: the action dicts and their float32 [T, V, sum d] sequences (all-NaN frames
        dropped).

    Raises:
        FileNotFoundError: the annotation file or a feature file does not exist.
        FileFormatError: a file that is not in its format, a feature file whose (views, d)
            differ from the first file of its folder, an action beyond its video's frames,
            folders that disagree on views or frames, NaN in part of a frame, infinite values or
            an action without a frame with features; the message names the file(s) and action.
    """
    if isinstance(feature_dirs, str):
        feature_dirs = [feature_dirs]
    ann = load_action_annotations(ann_file)
    actions = [
        a for a in ann['actions'] if (splits is None or a['split'] in splits) and (
            not labeled_only or int(a['label']) >= 0)
    ]
    cache: Dict[Tuple[str, str], np.ndarray] = {}
    shapes: Dict[str, Tuple[str, tuple]] = {}  # folder -> (its first file, that file's (V, d))
    seqs = []
    for act in actions:
        parts = []
        for fdir in feature_dirs:
            key = (fdir, act['video'])
            if key not in cache:
                cache[key] = load_feature_sequence(fdir, act['video'], mmap=True)
                check_folder_shape(shapes, fdir, act['video'], cache[key])
            feats, path = cache[key], feature_path(fdir, act['video'])
            start, end = int(act['start_frame']), int(act['end_frame'])
            if end > len(feats):
                raise FileFormatError(
                    path, f'action {act["id"]!r}: frames [{start}, {end}) beyond the file\'s '
                    f'{len(feats)} frames')
            parts.append(np.asarray(feats[start:end], dtype=np.float32))
        views = [p.shape[1] for p in parts]
        if len(set(views)) != 1:
            raise FileFormatError(
                feature_path(feature_dirs[0], act['video']), f'{views[0]} views, but the same '
                f'video in the other feature folders {list(feature_dirs[1:])} has {views[1:]}')
        if len(parts) > 1:
            check_same_frames(parts, feature_dirs, act)
            where = (f'action {act["id"]!r} (video {act["video"]!r}, feature folders '
                     f'{list(feature_dirs)})')
        else:
            where = f'{feature_path(feature_dirs[0], act["video"])} (action {act["id"]!r})'
        seqs.append(clean_sequence(np.concatenate(parts, axis=2), where, start))
    return actions, seqs


def check_same_frames(parts: Sequence[np.ndarray], feature_dirs: Sequence[str],
                      act: dict) -> None:
    """Check that several feature folders have features for the same frames of an action.

    Args:
        parts (Sequence[np.ndarray]): The [T, V, d_i] features of the action from each folder.
        feature_dirs (Sequence[str]): The folders, in the order of ``parts``.
        act (dict): The action (``id``, ``video``, ``start_frame``).

    Raises:
        FileFormatError: a frame is missing (all NaN) in one folder but not in another: names
            the two files and the frames (video frame indices).
    """
    missing = [np.isnan(p.reshape(len(p), -1)).all(axis=1) for p in parts]
    for fdir, miss in zip(feature_dirs[1:], missing[1:]):
        if (miss == missing[0]).all():
            continue
        start, video = int(act['start_frame']), act['video']
        only_first = (np.flatnonzero(missing[0] & ~miss) + start)[:10].tolist()
        only_other = (np.flatnonzero(miss & ~missing[0]) + start)[:10].tolist()
        lines = []
        if only_first:
            lines.append(f'frame(s) {only_first} are missing (all NaN) in {feature_dirs[0]}/'
                         f'{video}.npy but not in {fdir}/{video}.npy')
        if only_other:
            lines.append(f'frame(s) {only_other} are missing (all NaN) in {fdir}/{video}.npy '
                         f'but not in {feature_dirs[0]}/{video}.npy')
        raise FileFormatError(
            f'action {act["id"]!r} (video {video!r})', f'the feature folders {feature_dirs[0]} and '
            f'{fdir} disagree on which frames exist: ' + '; '.join(lines) + '. Concatenated '
            'features need the same frames in every folder: use folders made from the same '
            'prepared frames (the same pose file)')


def check_view(view: ViewSpec, num_views: Optional[int] = None) -> ViewSpec:
    """A view argument checked: ``'concat'``, ``'mean'``, ``'min'`` or a view index >= 0.

    Args:
        view (int | str): The view; an index may be given as its decimal string (``'1'``).
        num_views (int, optional): The views of the features; when given, an index must be
            below it.

    Returns:
        int | str: The name, or the index as an int.

    Raises:
        ValueError: another name, a negative index (no counting from the end: ``-1`` would be
            recorded as a view of its own) or an index beyond the views.
    """
    if isinstance(view, str) and view in VIEW_CHOICES:
        return view
    index = None
    if isinstance(view, (int, np.integer)) and not isinstance(view, (bool, np.bool_)):
        index = int(view)
    elif isinstance(view, str) and view.strip().isascii() and view.strip().isdigit():
        index = int(view)
    if index is None or index < 0:
        raise ValueError(f'view must be a view index >= 0 or one of {VIEW_CHOICES}, got '
                         f'{view!r}')
    if num_views is not None and index >= num_views:
        raise ValueError(f'view {index} out of range for {num_views} views (indices 0 to '
                         f'{num_views - 1})')
    return index


def select_view(seq: np.ndarray, view: ViewSpec) -> np.ndarray:
    """[T, V, d] -> the frame vectors of one sequence.

    ``'concat'``: the V views of a frame side by side, [T, V * d] (the authors' features);
    ``'mean'``: the mean of the views, [T, d]; an int >= 0 (or its string): that view, [T, d].
    Anything else (``'min'``, which is not one frame vector, a negative index, an index beyond
    V) is a ``ValueError`` (:func:`check_view`).
    """
    if view == 'concat':
        return np.ascontiguousarray(seq.reshape(len(seq), -1))
    if view == 'mean':
        return seq.mean(axis=1)
    if view == 'min':
        raise ValueError("view 'min' compares views pairwise: select view indices instead")
    return seq[:, check_view(view, seq.shape[1])]


def topk_candidates(cost: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k smallest costs of a row, sorted by (cost, index) (stable ties)."""
    k = min(k, len(cost))
    thr = np.partition(cost, k - 1)[k - 1]
    below = np.flatnonzero(cost < thr)
    at = np.flatnonzero(cost == thr)[:k - len(below)]
    sel = np.concatenate([below, at])
    return sel[np.lexsort((sel, cost[sel]))]


def dtw_retrieval(seqs: Sequence[np.ndarray],
                  labels: Sequence,
                  query_index: Optional[Sequence[int]] = None,
                  ks: Sequence[int] = (1, 10, 50),
                  view: ViewSpec = 'concat',
                  block_size: int = 128,
                  num_threads: Optional[int] = None,
                  ids: Optional[Sequence[str]] = None,
                  progress: bool = False,
                  step_pattern: str = DEFAULT_STEP_PATTERN,
                  backend: str = 'numba',
                  device: Optional[str] = None) -> Dict[str, object]:
    """Precision@k of DTW retrieval; each query searches the whole corpus but itself.

    Candidates are ranked by increasing cost, ties in corpus order; pairs the step pattern
    cannot align (``symmetricP2``: lengths too different) cost ``inf`` and rank last.

    Args:
        seqs (Sequence[np.ndarray]): C corpus sequences [T, V, d] (or [T, d] = one view).
        labels (Sequence): [C] labels.
        query_index (Sequence[int], optional): Corpus indices of the queries (e.g. the test
            split). Defaults to every sequence.
        ks (Sequence[int]): The k's. Defaults to (1, 10, 50).
        view (int | str): 'concat' (the views of a frame concatenated, [T, V * d]: the
            authors' frame vector), a view index, 'mean' (mean of the views' features) or
            'min' (the query's view 0 against every view of a candidate, the lowest cost).
            Defaults to 'concat'.
        block_size (int): Queries per block. Defaults to 128.
        num_threads (int, optional): numba threads. Defaults to all.
        ids (Sequence[str], optional): Names for error messages.
        progress (bool): Print a line per block. Defaults to False.
        step_pattern (str): 'symmetricP2' (the authors'), 'symmetric1' or 'symmetric2'
            (:mod:`vpd_mm.ops.dtw`). Defaults to 'symmetricP2'.
        backend (str): 'numba' (:func:`~vpd_mm.ops.dtw_cost_matrix`, the CPU kernels) or
            'torch' (:func:`~vpd_mm.ops.dtw_cost_matrix_torch`, batched over pairs: for large
            corpora on a GPU). Same
            costs within float32 rounding. Defaults to 'numba'.
        device (str, optional): The torch backend's device. Defaults to None (CUDA when
            available, else the CPU).

    Returns:
        dict: ``'precision@k'`` -> mean over queries, plus ``'num_queries'``, ``'num_corpus'``
        and ``'topk'`` ([Q, K] corpus indices of each query's best candidates, K =
        min(max(ks), C - 1)). When fewer than k candidates exist the precision is over those
        (as :func:`~vpd_mm.evaluation.functional.retrieval_precision_at_k`).
    """
    ks = tuple(int(k) for k in ks)
    if not ks or min(ks) < 1:
        raise ValueError(f'ks must be positive integers, got {ks}')
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) or \
            block_size < 1:
        raise ValueError(f'block_size must be an integer >= 1, got {block_size!r}')
    check_step_pattern(step_pattern)
    if backend not in ('numba', 'torch'):
        raise ValueError(f"backend must be 'numba' or 'torch', got {backend!r}")
    num = len(seqs)
    if num < 2:
        raise ValueError(f'retrieval needs at least 2 sequences, got {num}')
    labels = np.asarray(labels)
    if len(labels) != num:
        raise ValueError(f'{len(labels)} labels for {num} sequences')
    seqs = [s[:, None] if s.ndim == 2 else s for s in seqs]
    query_index = np.arange(num) if query_index is None else np.asarray(query_index, np.int64)
    if len(query_index) == 0:
        raise ValueError('no query sequences (empty query split?)')
    if query_index.min() < 0 or query_index.max() >= num:
        raise ValueError('query_index outside the corpus')
    view = check_view(view, seqs[0].shape[1])  # before any DTW
    if view == 'min':
        cand_views = list(range(seqs[0].shape[1]))
        query_view = 0
    else:
        cand_views = [view]
        query_view = view
    corpus = [[select_view(s, v) for s in seqs] for v in cand_views]
    if backend == 'numba':  # packed once for every block of queries
        corpus = [DTWCandidates(c, ids, 'corpus') for c in corpus]
    big_k = min(max(ks), num - 1)
    topk = np.empty((len(query_index), big_k), dtype=np.int64)
    per_query = {f'precision@{k}': [] for k in ks}  # one [block] array per block
    for b0 in range(0, len(query_index), block_size):
        qidx = query_index[b0:b0 + block_size]
        qseqs = [select_view(seqs[i], query_view) for i in qidx]
        qids = None if ids is None else [ids[i] for i in qidx]
        cost = None
        for cands in corpus:
            if backend == 'numba':
                c = dtw_cost_matrix(qseqs, cands, num_threads=num_threads, query_ids=qids,
                                    step_pattern=step_pattern)  # [block, C]
            else:
                c = dtw_cost_matrix_torch(qseqs, cands, step_pattern, device=device,
                                          query_ids=qids, candidate_ids=ids)
            cost = c if cost is None else np.minimum(cost, c)
        for key, value in retrieval_precision_at_k(
                cost, labels[qidx], labels, ks, self_index=qidx, reduction='none').items():
            per_query[key].append(value)
        cost[np.arange(len(qidx)), qidx] = np.inf  # never retrieve the query itself ...
        for r, q in enumerate(qidx):
            row = cost[r].copy()
            row[q] = np.nan  # ... not even as the last of the infinite ones
            valid = np.flatnonzero(~np.isnan(row))
            topk[b0 + r] = valid[topk_candidates(row[valid], big_k)]
        if progress:
            print(f'retrieval: {min(b0 + block_size, len(query_index))}/{len(query_index)} '
                  'queries', flush=True)
    out: Dict[str, object] = {k: float(np.mean(np.concatenate(v))) for k, v in per_query.items()}
    out.update(num_queries=int(len(query_index)), num_corpus=int(num), topk=topk)
    return out
