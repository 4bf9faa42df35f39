# Copyright (c) vpd_mm contributors. All rights reserved.
"""Collect ``*.result.json`` files into Markdown tables shaped like the paper's Tables 1-4.

    python tools/report.py [DIRS_OR_FILES ...] [--out report.md]

Default input: ``work_dirs/``. Tables: (1) top-1 accuracy with the full training set
(task 'recognition'), features x dataset; (2) few-shot top-1 mean ± standard error (task 'fewshot'),
features x k for each dataset; (3) retrieval precision@1/10/50 (task 'retrieval');
(4) detection AP at tIoU 0.3..0.7 (task 'detection', metric keys ``AP@0.5`` ...). The paper's
numbers (``vpd_mm/evaluation/paper_results.py``) stand beside ours as ``paper`` columns/rows
where the dataset and features match. Metrics in [0, 1] are shown in percent; missing cells
are ``-``. When several files give the same cell, the most recent (``created``) wins.
"""
import argparse
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from vpd_mm.evaluation import paper_results as paper
from vpd_mm.evaluation.fewshot_summary import ALL_SHOTS, shots_key, shots_label
from vpd_mm.evaluation.localization_report import localization_table
from vpd_mm.utils.results import load_results

TIOUS = (0.3, 0.4, 0.5, 0.6, 0.7)
RETRIEVAL_KS = (1, 10, 50)


def _pct(v) -> Optional[float]:
    if v is None:
        return None
    v = float(v)
    return 100.0 * v if abs(v) <= 1.0 else v


def _fmt(v: Optional[float], std: Optional[float] = None) -> str:
    if v is None:
        return '-'
    return f'{v:.1f}' if std is None else f'{v:.1f} ± {std:.1f}'


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(r) + ' |' for r in rows]
    return '\n'.join(lines)


def _order(values, preferred) -> List[str]:
    return [v for v in preferred if v in values] + sorted(v for v in values if v not in preferred)


def _latest(records: Sequence[dict]) -> Dict[Tuple, dict]:
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
    for key, v in metrics.items():
        if key.startswith('AP@') or key.startswith('mAP@'):
            try:
                if abs(float(key.split('@', 1)[1]) - tiou) < 1e-6:
                    return v
            except ValueError:
                continue
    return None


def recognition_table(records: Sequence[dict]) -> str:
    recs = [dict(r, _key=(r['features'], r['method'], r['dataset'])) for r in records
            if r['task'] == 'recognition']
    cells = _latest(recs)
    datasets = _order({k[2] for k in cells} | set(paper.DATASETS), paper.DATASETS)
    rows_keys = sorted({(k[0], k[1]) for k in cells},
                       key=lambda fm: (_order([fm[0]], paper.FEATURES), fm))
    header = ['features', 'method'] + [f'{d} ours | paper' for d in datasets]
    rows = []
    for feat, method in rows_keys:
        row = [feat, method]
        for d in datasets:
            r = cells.get((feat, method, d))
            ours = _fmt(_pct(_top1(r['metrics'])) if r else None)
            ref = paper.paper_value('recognition', d, feat, 'top1') if method == 'bigru' else None
            row.append(f'{ours} | {_fmt(ref)}')
        rows.append(row)
    seen = {f for f, m in rows_keys if m == 'bigru'}
    for feat in paper.RECOGNITION_FULL:  # the paper's rows we have no result for
        if feat not in seen:
            rows.append([feat, 'bigru (paper only)'] + [
                f'- | {_fmt(paper.paper_value("recognition", d, feat, "top1"))}'
                for d in datasets
            ])
    return _md_table(header, rows)


def _shots(value):
    return ALL_SHOTS if value == ALL_SHOTS else int(value)


def fewshot_tables(records: Sequence[dict]) -> str:
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
    recs = [dict(r, _key=(r['dataset'], r['features'], r['method'])) for r in records
            if r['task'] == 'detection']
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
    """The Markdown report of the given result records."""
    parts = [
        '# VPD results', f'{len(records)} result files. Numbers in %; `-`: no result.',
        '## Table 1: recognition, full training set (top-1)', recognition_table(records),
        '## Table 2: few-shot recognition (top-1, mean ± standard error over subsets)',
        fewshot_tables(records), '## Table 3: retrieval (precision@k)', retrieval_table(records),
        '## Table 4: temporal detection (AP at temporal IoU)', detection_table(records),
        '## Localization: feature type x model (BiGRU detector, BMN)',
        localization_table(records)
    ]
    return '\n\n'.join(parts) + '\n'


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description='Markdown tables of *.result.json files')
    parser.add_argument('paths', nargs='*', default=['work_dirs'],
                        help='folders (searched recursively) or files')
    parser.add_argument('--out', default=None, help='write the Markdown here (else stdout)')
    args = parser.parse_args(argv)
    text = build_report(load_results(args.paths))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        tmp = f'{args.out}.tmp.{os.getpid()}'
        with open(tmp, 'w') as f:
            f.write(text)
        os.replace(tmp, args.out)
        print(f'wrote {args.out}')
    else:
        print(text)
    return text


if __name__ == '__main__':
    main()
