# Copyright (c) vpd_mm contributors. All rights reserved.
"""The Markdown report of ``*.result.json`` files, with tables shaped like the paper's Tables 1-4.

Records come from ``vpd_mm.utils.results`` (``load_results``). Tables: (1) top-1 accuracy with
the full training set (task ``'recognition'``), features x dataset; (2) few-shot top-1 mean ±
standard error (task ``'fewshot'``), features x k for each dataset; (3) retrieval
precision@1/10/50 (task ``'retrieval'``); (4) temporal detection AP at tIoU 0.3..0.7 (task
``'temporal_detection'``, or ``'detection'``, its name in older result files; metric keys
``AP@0.5`` ...); then the localization table of :mod:`.localization_report`. The paper's numbers
(:mod:`.paper_results`) stand beside ours as ``paper`` columns/rows where the dataset and
features match. Metrics in [0, 1] are shown in percent; missing cells are ``-``. When several
records give the same cell, the most recent (``created``) wins. ``tools/report.py`` is the
command line.
"""
import os
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

from vpd_mm.utils.io import atomic_path
from vpd_mm.utils.results import load_results
from . import paper_results as paper
from .fewshot_summary import ALL_SHOTS, shots_key, shots_label
from .localization_report import localization_table

TIOUS = (0.3, 0.4, 0.5, 0.6, 0.7)
RETRIEVAL_KS = (1, 10, 50)
#: Tasks of temporal detection records: the current name first, then the name older result
#: files carry.
DETECTION_TASKS = ('temporal_detection', 'detection')


def _pct(v) -> Optional[float]:
    """A metric in percent: values in [-1, 1] are fractions (x 100), larger ones already %."""
    if v is None:
        return None
    v = float(v)
    return 100.0 * v if abs(v) <= 1.0 else v


def _fmt(v: Optional[float], std: Optional[float] = None) -> str:
    if v is None:
        return '-'
    return f'{v:.1f}' if std is None else f'{v:.1f} ± {std:.1f}'


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table: one cell per header cell in every row, a ``|`` in a cell (a name in a
    result file) escaped so that it stays in its cell."""
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f'table row {list(row)} does not fit the header {list(header)}')

    def line(cells: Sequence[str]) -> str:
        return '| ' + ' | '.join(str(c).replace('|', '\\|') for c in cells) + ' |'

    return '\n'.join([line(header), '|' + '---|' * len(header)] + [line(r) for r in rows])


def _order(values, preferred) -> List[str]:
    """``values`` in the order of ``preferred``, the others after them sorted."""
    return [v for v in preferred if v in values] + sorted(v for v in values if v not in preferred)


def _latest(records: Sequence[dict]) -> Dict[Tuple, dict]:
    """The most recent (``created``) record per ``_key``."""
    out: Dict[Tuple, dict] = {}
    for r in sorted(records, key=lambda r: str(r.get('created', ''))):
        out[r['_key']] = r
    return out


def _top1(metrics: dict) -> Optional[float]:
    for key in ('top1', 'acc/top1', 'top1_acc'):
        if key in metrics:
            return metrics[key]
    return None


def _ap(metrics: dict, tiou: float) -> Optional[float]:
    """The AP at temporal IoU ``tiou`` (keys ``AP@t`` or ``mAP@t``), or None."""
    for key, v in metrics.items():
        if key.startswith('AP@') or key.startswith('mAP@'):
            try:
                if abs(float(key.split('@', 1)[1]) - tiou) < 1e-6:
                    return v
            except ValueError:
                continue
    return None


def recognition_table(records: Sequence[dict]) -> str:
    """Table 1: top-1 with the full training set, rows (features, method), columns datasets.

    Args:
        records (Sequence[dict]): Result records; those of other tasks are ignored.

    Returns:
        str: A Markdown table with two columns per dataset, ``<dataset> ours`` and
        ``<dataset> paper`` (the paper's number beside the BiGRU only), plus a
        ``bigru (paper only)`` row for each of the paper's features without a result.
    """
    recs = [dict(r, _key=(r['features'], r['method'], r['dataset'])) for r in records
            if r['task'] == 'recognition']
    cells = _latest(recs)
    datasets = _order({k[2] for k in cells} | set(paper.DATASETS), paper.DATASETS)
    rows_keys = sorted({(k[0], k[1]) for k in cells},
                       key=lambda fm: (_order([fm[0]], paper.FEATURES), fm))
    header = ['features', 'method'] + [f'{d} {col}' for d in datasets
                                       for col in ('ours', 'paper')]
    rows = []
    for feat, method in rows_keys:
        row = [feat, method]
        for d in datasets:
            r = cells.get((feat, method, d))
            ours = _fmt(_pct(_top1(r['metrics'])) if r else None)
            ref = paper.paper_value('recognition', d, feat, 'top1') if method == 'bigru' else None
            row += [ours, _fmt(ref)]
        rows.append(row)
    seen = {f for f, m in rows_keys if m == 'bigru'}
    for feat in paper.RECOGNITION_FULL:  # the paper's rows we have no result for
        if feat not in seen:
            rows.append([feat, 'bigru (paper only)'] + [
                cell for d in datasets
                for cell in ('-', _fmt(paper.paper_value('recognition', d, feat, 'top1')))
            ])
    return _md_table(header, rows)


def _shots(value):
    return ALL_SHOTS if value == ALL_SHOTS else int(value)


def fewshot_tables(records: Sequence[dict]) -> str:
    """Table 2: few-shot top-1 (mean ± standard error over subsets), one table per dataset.

    Args:
        records (Sequence[dict]): Result records; those of other tasks are ignored. The
            standard error is ``top1_sem`` (else ``top1_std``) of the metrics.

    Returns:
        str: For each dataset a bold title and a Markdown table, rows (features, method) then
        the paper's rows ``paper (bigru)``, columns the numbers of shots k.
    """
    recs = [dict(r, _key=(r['dataset'], r['features'], r['method'], _shots(r.get('shots', -1))))
            for r in records if r['task'] == 'fewshot']
    cells = _latest(recs)
    datasets = _order({k[0] for k in cells} | set(paper.FEWSHOT), paper.DATASETS)
    out = []
    for d in datasets:
        ks = sorted({k[3] for k in cells if k[0] == d} | {
            k for v in paper.FEWSHOT.get(d, {}).values() for k in v}, key=shots_key)
        rows_keys = sorted({(k[1], k[2]) for k in cells if k[0] == d})
        header = ['features', 'method'] + [shots_label(k) for k in ks]
        rows = []
        for feat, method in rows_keys:
            row = [feat, method]
            for k in ks:
                r = cells.get((d, feat, method, k))
                if r is None:
                    row.append('-')
                else:
                    std = r['metrics'].get('top1_sem', r['metrics'].get('top1_std'))
                    row.append(_fmt(_pct(_top1(r['metrics'])), None if std is None else
                                    100.0 * float(std)))
            rows.append(row)
        for feat, per_k in paper.FEWSHOT.get(d, {}).items():
            rows.append([feat, 'paper (bigru)'] + [_fmt(per_k.get(k)) for k in ks])
        out.append(f'**{d}**\n\n' + _md_table(header, rows))
    return '\n\n'.join(out)


def retrieval_table(records: Sequence[dict]) -> str:
    """Table 3: retrieval precision@1/10/50, rows (dataset, features), with the paper's P@1.

    Args:
        records (Sequence[dict]): Result records; those of other tasks are ignored.

    Returns:
        str: A Markdown table with a row for each of our results and of the paper's.
    """
    recs = [dict(r, _key=(r['dataset'], r['features'])) for r in records
            if r['task'] == 'retrieval']
    cells = _latest(recs)
    keys = set(cells) | {(d, f) for d, v in paper.RETRIEVAL.items() for f in v}
    keys = sorted(keys, key=lambda k: (_order([k[0]], paper.DATASETS), k))
    header = ['dataset', 'features'] + [f'P@{k}' for k in RETRIEVAL_KS] + ['paper P@1']
    rows = []
    for d, feat in keys:
        r = cells.get((d, feat))
        row = [d, feat] + [
            _fmt(_pct(r['metrics'].get(f'precision@{k}')) if r else None) for k in RETRIEVAL_KS
        ]
        row.append(_fmt(paper.paper_value('retrieval', d, feat, 'precision@1')))
        rows.append(row)
    return _md_table(header, rows)


def detection_table(records: Sequence[dict]) -> str:
    """Table 4: temporal detection AP at tIoU 0.3..0.7, rows (dataset, features, method).

    Args:
        records (Sequence[dict]): Result records; those of tasks other than
            :data:`DETECTION_TASKS` are ignored. A ``'temporal_detection'`` and a
            ``'detection'`` record of one (dataset, features, method) are one cell (the most
            recent wins).

    Returns:
        str: A Markdown table with the paper's AP@0.5 beside ours, and a ``paper only`` row for
        each of the paper's (dataset, features) without a result.
    """
    recs = [dict(r, _key=(r['dataset'], r['features'], r['method'])) for r in records
            if r['task'] in DETECTION_TASKS]
    cells = _latest(recs)
    keys = set(cells)
    for d, v in paper.DETECTION.items():
        for f in v:
            if not any(k[0] == d and k[1] == f for k in keys):
                keys.add((d, f, 'paper only'))
    header = ['dataset', 'features', 'method'] + [f'AP@{t}' for t in TIOUS] + ['paper AP@0.5']
    rows = []
    for d, feat, method in sorted(keys):
        r = cells.get((d, feat, method))
        row = [d, feat, method] + [_fmt(_pct(_ap(r['metrics'], t)) if r else None) for t in TIOUS]
        row.append(_fmt(paper.paper_value('detection', d, feat, 'AP@0.5')))
        rows.append(row)
    return _md_table(header, rows)


def build_report(records: Sequence[dict]) -> str:
    """The Markdown report of the given result records: Tables 1-4 and the localization table.

    Args:
        records (Sequence[dict]): Result records (``vpd_mm.utils.results.load_results``).

    Returns:
        str: The report, ending with a newline.
    """
    parts = [
        '# VPD results', f'{len(records)} result files. Numbers in %; `-`: no result.',
        '## Table 1: recognition, full training set (top-1)', recognition_table(records),
        '## Table 2: few-shot recognition (top-1, mean ± standard error over subsets)',
        fewshot_tables(records), '## Table 3: retrieval (precision@k)', retrieval_table(records),
        '## Table 4: temporal detection (AP at temporal IoU)', detection_table(records),
        '## Localization: feature type x model (BiGRU detector, BMN)',
        localization_table(list(records), tasks=('localization', ) + DETECTION_TASKS)
    ]
    return '\n\n'.join(parts) + '\n'


def write_report(paths: Union[str, Iterable[str]], out: Optional[str] = None) -> str:
    """Load the result files under ``paths`` and build their report, written to ``out`` if given.

    Args:
        paths (str | Iterable[str]): Folders (searched recursively) or ``*.result.json`` files.
        out (str, optional): Markdown file to write (atomically: a temporary, then a rename).

    Returns:
        str: The report.

    Raises:
        ValueError: A malformed result file (``load_results`` names it).
    """
    text = build_report(load_results(paths))
    if out:
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
        with atomic_path(out) as tmp:
            with open(tmp, 'w') as f:
                f.write(text)
    return text
