# Copyright (c) vpd_mm contributors. All rights reserved.
"""Per-class accuracy and confusion of the few-shot runs of one (config, k), from the
``predictions.json`` each run's :class:`~vpd_mm.evaluation.metrics.DumpPredictions` wrote."""
import json
import os
import os.path as osp
import warnings
from typing import List, Optional, Sequence

import numpy as np

from vpd_mm.utils.io import dump_json_atomic


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
        raise ValueError(f'{path}: not a predictions file ({type(e).__name__}: {e})') from None
    if conf.size == 0:
        conf = conf.reshape(0, 0)
    if conf.ndim != 2 or conf.shape[0] != conf.shape[1]:
        raise ValueError(f'{path}: the confusion matrix must be [C, C], got {list(conf.shape)}')
    if conf.dtype.kind not in 'iu' or (conf < 0).any():
        raise ValueError(f'{path}: confusion counts must be non-negative integers')
    if num_classes is not None and conf.shape[0] != num_classes:
        raise ValueError(f'{path}: {conf.shape[0]} classes, expected {num_classes}')
    return conf.astype(np.int64)


def per_class_accuracy(conf: np.ndarray) -> np.ndarray:
    """[C] float64 recall of each class (NaN for a class without test samples)."""
    totals = conf.sum(axis=1).astype(np.float64)
    return np.divide(np.diag(conf), totals, out=np.full(len(conf), np.nan), where=totals > 0)


def plot_confusion(conf: np.ndarray, classes: Sequence[str], path: str, title: str) -> str:
    """Row-normalised confusion matrix (true class down, predicted across), counts in the cells
    for up to 20 classes; written to a temporary name, then renamed."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    num = len(conf)
    rows = conf.sum(axis=1, keepdims=True)
    norm = np.divide(conf, rows, out=np.zeros(conf.shape), where=rows > 0)
    side = min(14.0, 3.0 + 0.45 * num)
    fig, ax = plt.subplots(figsize=(side + 1.5, side))
    im = ax.imshow(100 * norm, cmap='Blues', vmin=0, vmax=100)
    ticks = np.arange(num)
    labels = [str(c) for c in classes] if len(classes) == num else [str(i) for i in ticks]
    ax.set_xticks(ticks, labels, rotation=90, fontsize=7)
    ax.set_yticks(ticks, labels, fontsize=7)
    if num <= 20:
        for i in range(num):
            for j in range(num):
                if conf[i, j]:
                    ax.text(j, i, str(conf[i, j]), ha='center', va='center', fontsize=6,
                            color='white' if norm[i, j] > 0.5 else 'black')
    ax.set_xlabel('predicted class')
    ax.set_ylabel('true class')
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, label='% of the true class')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp.{os.getpid()}.png'
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)
    return path


def write_confusion(prediction_files: Sequence[str], out_prefix: str, classes: Sequence[str] = (),
                    title: str = '') -> List[str]:
    """Sum the runs' confusion matrices; write ``<prefix>.json`` and ``<prefix>.png``.

    The JSON holds ``classes``, ``num_runs``, ``confusion`` (the sum over the runs),
    ``per_class_accuracy`` (mean over the runs, NaN as null where a class has no test sample)
    and ``per_class_accuracy_std`` (ddof = 1; 0 for one run). Files that are missing (runs
    made before the predictions were kept) are skipped; none left: nothing is written.

    Args:
        prediction_files (Sequence[str]): ``predictions.json`` of the runs.
        out_prefix (str): Path without extension.
        classes (Sequence[str]): Class names (by index). Defaults to none (indices).
        title (str): Plot title. Defaults to ''.

    Returns:
        list[str]: The files written.
    """
    present = [p for p in prediction_files if osp.isfile(p)]
    if not present:
        return []
    num = len(classes) or None
    mats = [load_confusion(p, num) for p in present]
    num = len(mats[0])
    for p, m in zip(present, mats):
        if len(m) != num:
            raise ValueError(f'{p}: {len(m)} classes, but {present[0]} has {num}')
    accs = np.stack([per_class_accuracy(m) for m in mats])  # [runs, C]
    with warnings.catch_warnings():  # a class without test samples in every run: NaN
        warnings.simplefilter('ignore', RuntimeWarning)
        mean = np.nanmean(accs, axis=0)
        std = np.nanstd(accs, axis=0, ddof=1) if len(accs) > 1 else np.zeros(num)
    total = np.sum(mats, axis=0)

    def listed(a):
        return [None if not np.isfinite(v) else round(float(v), 6) for v in a]

    json_path, png_path = out_prefix + '.json', out_prefix + '.png'
    dump_json_atomic(dict(classes=list(classes), num_runs=len(mats), confusion=total.tolist(),
                          per_class_accuracy=listed(mean), per_class_accuracy_std=listed(std)),
                     json_path, indent=1)
    plot_confusion(total, classes, png_path,
                   title or f'confusion over {len(mats)} run(s) ({int(total.sum())} predictions)')
    return [json_path, png_path]
