# Copyright (c) vpd_mm contributors. All rights reserved.
"""Evaluation result files (``*.result.json``) shared by the evaluation tools.

One file holds one evaluated setting::

    {"task": "recognition" | "fewshot" | "retrieval" | "detection" | "localization",
     "dataset": "diving48", "features": "2dvpd", "method": "bigru",
     "metrics": {"top1": 0.83, ...}, "created": "2024-01-01T12:00:00+00:00", ...extra}

``tools/report.py`` collects these files into the paper's tables.

**What a record must be** (:func:`write_result` refuses to write, :func:`load_results` to read,
anything else, naming the file): ``dataset``, ``features``, ``method`` (and ``created``) are
non-empty one-line strings (they become Markdown table cells); every metric is a finite number
(not a bool, not a string). The metrics the tables show as percentages are fractions in
[0, 1] (:data:`FRACTION_METRICS`: top-k and mean-class accuracy and their spread over few-shot
subsets, retrieval precision@k, AP / mAP at temporal IoUs, AR@AN, view-invariance hit@k; the
report multiplies them by 100); ``auc`` (mmaction2's area under the AR-AN curve) is already a
percentage, in [0, 100]. Other metrics (losses, counts) are unbounded. A few-shot record's
``shots`` is a positive integer or ``'all'``.
"""
import datetime
import math
import os
import os.path as osp
import re
from typing import Dict, Iterable, List, Optional, Union

from .io import FileFormatError, dump_json_atomic, load_json

TASKS = ('recognition', 'fewshot', 'retrieval', 'temporal_detection', 'localization',
         'detection')  # 'detection': the old name of 'temporal_detection' (earlier records)
RESULT_SUFFIX = '.result.json'
_REQUIRED = ('task', 'dataset', 'features', 'method', 'metrics')
#: The fields that name a result (table cells): non-empty one-line strings.
NAME_FIELDS = ('dataset', 'features', 'method')
#: Metrics that are fractions in [0, 1], by their name after any ``prefix/`` (``acc/top1``):
#: top-k / mean-class accuracy (``top1``, ``top5_acc``, ``mean1``) and their spread over
#: few-shot subsets (``top1_std``, ``top1_sem``), ``precision@k``, ``AP@t`` / ``mAP@t`` /
#: ``mAP``, ``AR@n`` and ``hit@k`` (view invariance).
FRACTION_METRICS = re.compile(r'top\d+(_acc|_std|_sem)?|mean\d+|precision@\d+|m?AP(@[\d.]+)?|'
                              r'AR@\d+|\w*hit@\d+')
#: Metrics in percent, with their range: mmaction2's ``auc`` (area under the AR-AN curve x 100).
PERCENT_METRICS = {'auc': (0.0, 100.0)}
#: Rounding allowed at the ends of a range (a mean of fractions may exceed 1 by an ulp).
_RANGE_SLACK = 1e-9


def _one_line(value) -> bool:
    """A non-empty string without line breaks or other control characters."""
    return isinstance(value, str) and bool(value) and value.isprintable()


def metric_range(name: str) -> Optional[tuple]:
    """``(low, high)`` of a metric (:data:`FRACTION_METRICS`, :data:`PERCENT_METRICS`), or
    None for an unbounded one."""
    base = name.rsplit('/', 1)[-1]
    if FRACTION_METRICS.fullmatch(base):
        return (0.0, 1.0)
    return PERCENT_METRICS.get(base)


def record_problem(record: dict) -> Optional[str]:
    """What is wrong with a result record (its names, ``created``, ``shots`` and metrics; the
    task and required fields are checked by the callers), or None.

    A bounded metric past an end of its range by float rounding only (at most 1e-9, e.g. a
    sum of fractions giving 1.0000000000000002) is set to that end, in place: the report takes
    a value above 1 for a percentage.

    Args:
        record (dict): A record as :func:`write_result` writes it.

    Returns:
        str | None: One line naming the field and its value.
    """
    for key in NAME_FIELDS + (('created', ) if 'created' in record else ()):
        if not _one_line(record[key]):
            return f'{key} must be a non-empty one-line string, got {record[key]!r:.80}'
    if record.get('task') == 'fewshot' and 'shots' in record:
        shots = record['shots']
        if not (shots == 'all' or (isinstance(shots, int) and not isinstance(shots, bool)
                                   and shots >= 1)):
            return f"shots must be a positive integer or 'all', got {shots!r:.80}"
    metrics = record['metrics']
    if not isinstance(metrics, dict):
        return 'metrics is not an object'
    for name, value in metrics.items():
        if not _one_line(name):
            return f'metric names must be non-empty one-line strings, got {name!r:.80}'
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f'metric {name} must be a number, got {value!r:.80}'
        if isinstance(value, float) and not math.isfinite(value):
            return f'metric {name} is {value} (not a finite number)'
        bounds = metric_range(name)
        if bounds is None or bounds[0] <= value <= bounds[1]:
            continue
        if not bounds[0] - _RANGE_SLACK <= value <= bounds[1] + _RANGE_SLACK:
            unit = 'a fraction' if bounds == (0.0, 1.0) else 'a percentage'
            return (f'metric {name} is {value}, outside [{bounds[0]:g}, {bounds[1]:g}] '
                    f'({unit})')
        metrics[name] = min(max(value, bounds[0]), bounds[1])  # float rounding
    return None


def write_result(path: str, task: str, dataset: str, features: str, method: str,
                 metrics: Dict[str, float], **extra) -> dict:
    """Write one result atomically to ``path`` (should end in ``.result.json``).

    Args:
        path (str): Output file; parent folders are created.
        task (str): One of :data:`TASKS`.
        dataset (str): Dataset name, e.g. ``'diving48'``.
        features (str): Feature name, e.g. ``'2dvpd'``.
        method (str): Method/model name, e.g. ``'bigru'``.
        metrics (dict): Metric name -> number (see the module docstring for their ranges).
        **extra: Further JSON-serialisable fields (e.g. ``shots=8, subset=0``).

    Returns:
        dict: The written record.

    Raises:
        ValueError: An unknown task, a name that is not a non-empty one-line string, a
            non-finite or non-numeric metric, a fraction outside [0, 1] (see
            :func:`record_problem`), or extra fields named like the required ones; nothing
            is written.
        TypeError: ``metrics`` is not a dict.
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
        dataset=dataset,
        features=features,
        method=method,
        metrics={str(k): _to_builtin(v) for k, v in metrics.items()},
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'))
    record.update({k: _to_builtin(v) for k, v in extra.items()})
    problem = record_problem(record)
    if problem:
        raise ValueError(f'write_result({path!r}): {problem}')
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


def _result_files(folder: str) -> List[str]:
    """The ``*.result.json`` under ``folder``, recursively, hidden names skipped (as ``glob``'s
    ``**``); a folder reached twice through symbolic links (a link to a parent: a loop) is
    searched once."""
    found, seen = [], set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        real = osp.realpath(root)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
        found += [osp.join(root, f) for f in files
                  if f.endswith(RESULT_SUFFIX) and not f.startswith('.')]
    return found


def load_results(paths_or_dirs: Union[str, Iterable[str]]) -> List[dict]:
    """Load result records from files and/or folders (searched recursively for ``*.result.json``).

    Each record gets a ``'_path'`` key naming its file. Records are sorted by path; a file
    reached twice (through symbolic links, or given twice) is read once.

    Raises:
        FileNotFoundError: a given path does not exist.
        FileFormatError: a file is not valid UTF-8 JSON, lacks a required field, or breaks
            the rules of the module docstring (a name that is not a one-line string, a
            non-finite or non-numeric metric, a fraction outside [0, 1]); the file is named
            (a ``ValueError``).
    """
    if isinstance(paths_or_dirs, (str, os.PathLike)):
        paths_or_dirs = [paths_or_dirs]
    files = []
    for p in paths_or_dirs:
        p = os.fspath(p)
        if osp.isdir(p):
            files += _result_files(p)
        elif osp.isfile(p):
            files.append(p)
        else:
            raise FileNotFoundError(f'load_results: {p!r} does not exist')
    records, seen = [], set()
    for f in sorted(set(files)):
        real = osp.realpath(f)
        if real in seen:
            continue
        seen.add(real)
        rec = load_json(f, 'result file', _malformed)
        if not isinstance(rec, dict):
            raise _malformed(f, 'top level is not an object')
        missing = [k for k in _REQUIRED if k not in rec]
        if missing:
            raise _malformed(f, f'missing fields {missing}')
        if rec['task'] not in TASKS:
            raise _malformed(f, f'unknown task {rec["task"]!r:.80} (expected one of {TASKS})')
        problem = record_problem(rec)
        if problem:
            raise _malformed(f, problem)
        rec['_path'] = f
        records.append(rec)
    return records
