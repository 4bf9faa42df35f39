# Copyright (c) vpd_mm contributors. All rights reserved.
"""Evaluation result files (``*.result.json``) shared by the evaluation tools.

One file holds one evaluated setting::

    {"task": "recognition" | "fewshot" | "retrieval" | "detection" | "localization",
     "dataset": "diving48", "features": "2dvpd", "method": "bigru",
     "metrics": {"top1": 0.83, ...}, "created": "2024-01-01T12:00:00+00:00", ...extra}

``tools/report.py`` collects these files into the paper's tables.
"""
import datetime
import glob
import os
import os.path as osp
from typing import Dict, Iterable, List, Union

from .io import FileFormatError, dump_json_atomic, load_json

TASKS = ('recognition', 'fewshot', 'retrieval', 'temporal_detection', 'localization',
         'detection')  # 'detection': the old name of 'temporal_detection' (earlier records)
RESULT_SUFFIX = '.result.json'
_REQUIRED = ('task', 'dataset', 'features', 'method', 'metrics')


def write_result(path: str, task: str, dataset: str, features: str, method: str,
                 metrics: Dict[str, float], **extra) -> dict:
    """Write one result atomically to ``path`` (should end in ``.result.json``).

    Args:
        path (str): Output file; parent folders are created.
        task (str): One of :data:`TASKS`.
        dataset (str): Dataset name, e.g. ``'diving48'``.
        features (str): Feature name, e.g. ``'2dvpd'``.
        method (str): Method/model name, e.g. ``'bigru'``.
        metrics (dict): Metric name -> number.
        **extra: Further JSON-serialisable fields (e.g. ``shots=8, subset=0``).

    Returns:
        dict: The written record.
    """
    if task not in TASKS:
        raise ValueError(f'write_result({path!r}): task must be one of {TASKS}, got {task!r}')
    if not isinstance(metrics, dict):
        raise TypeError(f'write_result({path!r}): metrics must be a dict, got {type(metrics)}')
    clash = set(extra) & set(_REQUIRED + ('created', ))
    if clash:
        raise ValueError(f'write_result({path!r}): extra fields clash with {sorted(clash)}')
    record = dict(
        task=task,
        dataset=str(dataset),
        features=str(features),
        method=str(method),
        metrics={str(k): _to_builtin(v) for k, v in metrics.items()},
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'))
    record.update({k: _to_builtin(v) for k, v in extra.items()})
    parent = osp.dirname(osp.abspath(path))
    os.makedirs(parent, exist_ok=True)
    dump_json_atomic(record, path, indent=2)
    return record


def _to_builtin(value):
    """numpy scalars/arrays -> Python numbers/lists, so ``json`` can write them."""
    if hasattr(value, 'tolist'):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _to_builtin(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_builtin(v) for v in value]
    return value


def _malformed(path: str, message: str) -> FileFormatError:
    return FileFormatError(f'load_results: malformed result file {path}: {message}')


def load_results(paths_or_dirs: Union[str, Iterable[str]]) -> List[dict]:
    """Load result records from files and/or folders (searched recursively for ``*.result.json``).

    Each record gets a ``'_path'`` key naming its file. Records are sorted by path.

    Raises:
        FileNotFoundError: a given path does not exist.
        FileFormatError: a file is not valid UTF-8 JSON or lacks a required field (the file
            is named; a ``ValueError``).
    """
    if isinstance(paths_or_dirs, (str, os.PathLike)):
        paths_or_dirs = [paths_or_dirs]
    files = []
    for p in paths_or_dirs:
        p = os.fspath(p)
        if osp.isdir(p):
            files += glob.glob(osp.join(p, '**', '*' + RESULT_SUFFIX), recursive=True)
        elif osp.isfile(p):
            files.append(p)
        else:
            raise FileNotFoundError(f'load_results: {p!r} does not exist')
    records = []
    for f in sorted(set(files)):
        rec = load_json(f, 'result file', _malformed)
        if not isinstance(rec, dict):
            raise _malformed(f, 'top level is not an object')
        missing = [k for k in _REQUIRED if k not in rec]
        if missing:
            raise _malformed(f, f'missing fields {missing}')
        if rec['task'] not in TASKS:
            raise _malformed(f, f'unknown task {rec["task"]!r} (expected one of {TASKS})')
        if not isinstance(rec['metrics'], dict):
            raise _malformed(f, 'metrics is not an object')
        rec['_path'] = f
        records.append(rec)
    return records
