# Copyright (c) vpd_mm contributors. All rights reserved.
"""Per-class accuracy and confusion of the few-shot runs of one (config, k), from the
``predictions.json`` each run's :class:`~vpd_mm.evaluation.metrics.DumpPredictions` wrote."""
import json
import os.path as osp
import warnings
from typing import Optional, Sequence

import numpy as np

from vpd_mm.utils.io import FileFormatError


def load_confusion(path: str, num_classes: Optional[int] = None) -> np.ndarray:
    """The [C, C] int64 confusion counts of a ``predictions.json`` (row = true class).

    Raises:
        ValueError: The file is not such a JSON (named), its matrix is not square, has negative
            or non-integer counts, or has another class count than ``num_classes``.
    """
    try:
        with open(path) as f:
            data = json.load(f)
        conf = np.asarray(data['confusion'])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise FileFormatError(path, f'not a predictions file ({type(e).__name__}: {e})') from None
    if conf.size == 0:
        conf = conf.reshape(0, 0)
    if conf.ndim != 2 or conf.shape[0] != conf.shape[1]:
        raise FileFormatError(path, f'the confusion matrix must be [C, C], got {list(conf.shape)}')
    if conf.dtype.kind not in 'iu' or (conf < 0).any():
        raise FileFormatError(path, 'confusion counts must be non-negative integers')
    if num_classes is not None and conf.shape[0] != num_classes:
        raise FileFormatError(path, f'{conf.shape[0]} classes, expected {num_classes}')
    return conf.astype(np.int64)


def per_class_accuracy(conf: np.ndarray) -> np.ndarray:
    """[C] float64 recall of each class (NaN for a class without test samples)."""
    totals = conf.sum(axis=1).astype(np.float64)
    return np.divide(np.diag(conf), totals, out=np.full(len(conf), np.nan), where=totals > 0)


def summarize_confusion(prediction_files: Sequence[str],
                        classes: Sequence[str] = ()) -> Optional[dict]:
    """Sum the runs' confusion matrices and average their per-class accuracies.

    Files that are missing (runs made before the predictions were kept) are skipped.

    Args:
        prediction_files (Sequence[str]): ``predictions.json`` of the runs.
        classes (Sequence[str]): Class names (by index); when given, every file must have as
            many classes. Defaults to none.

    Returns:
        dict | None: ``classes``, ``num_runs``, ``confusion`` ([C][C] list, the sum over the
        runs), ``per_class_accuracy`` (mean over the runs; None where a class has no test
        sample in any run) and ``per_class_accuracy_std`` (ddof = 1; 0 for one run); None when
        no file is there.
    """
    present = [p for p in prediction_files if osp.isfile(p)]
    if not present:
        return None
    mats = [load_confusion(p, len(classes) or None) for p in present]
    num = len(mats[0])
    for p, m in zip(present, mats):
        if len(m) != num:
            raise FileFormatError(p, f'{len(m)} classes, but {present[0]} has {num}')
    accs = np.stack([per_class_accuracy(m) for m in mats])  # [runs, C]
    with warnings.catch_warnings():  # a class without test samples in every run: NaN
        warnings.simplefilter('ignore', RuntimeWarning)
        mean = np.nanmean(accs, axis=0)
        std = np.nanstd(accs, axis=0, ddof=1) if len(accs) > 1 else np.zeros(num)

    def listed(a):
        return [None if not np.isfinite(v) else round(float(v), 6) for v in a]

    return dict(classes=list(classes), num_runs=len(mats),
                confusion=np.sum(mats, axis=0).tolist(), per_class_accuracy=listed(mean),
                per_class_accuracy_std=listed(std))
