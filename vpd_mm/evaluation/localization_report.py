# Copyright (c) vpd_mm contributors. All rights reserved.
"""The localization table of ``tools/report.py``: feature type x model x metric (Markdown).

Rows come from ``*.result.json`` records (``vpd_mm.utils.results``) of task ``'localization'``
(mmaction2's BMN on exported features, ``ProposalAPMetric``) and, so that both sit in one table,
of task ``'detection'`` (the few-shot per-frame BiGRU detector), which report AP only.
"""
from typing import Dict, List, Sequence

AR_KEYS = ('AR@1', 'AR@5', 'AR@10', 'AR@100')
AP_KEYS = ('AP@0.3', 'AP@0.4', 'AP@0.5', 'AP@0.6', 'AP@0.7')
FEATURE_ORDER = ('pose2d', '2dvpd', 'vipe', 'vivpd', 'concat_vpd')


def _fmt_fraction(value) -> str:
    """A fraction in [0, 1] as a percentage with one decimal; ``-`` when absent."""
    if value is None:
        return '-'
    return f'{100.0 * float(value):.1f}'


def _feature_rank(name: str):
    return (FEATURE_ORDER.index(name), '') if name in FEATURE_ORDER else (len(FEATURE_ORDER), name)


def localization_table(
        results: List[dict],
        tasks: Sequence[str] = ('localization', 'temporal_detection', 'detection')) -> str:
    """Markdown table of temporal localization/detection results.

    Args:
        results (list[dict]): Result records (``vpd_mm.utils.results.load_results``); records of
            other tasks are ignored. Of several records for one (dataset, features, method),
            the most recent (``created``) is shown.
        tasks (Sequence[str]): Tasks to include.

    Returns:
        str: One Markdown table, columns dataset | features | model | AR@1 | AR@5 | AR@10 |
        AR@100 | AUC | AP@0.3 ... AP@0.7 | mAP (AR and AP in %, AUC as mmaction2's ``ANetMetric``
        reports it: area under the AR-AN curve, in %); ``-`` for a metric a record lacks.
        A single line saying so when there is no record.
    """
    latest: Dict[tuple, dict] = {}
    for rec in results:
        if rec.get('task') not in tasks:
            continue
        key = (str(rec['dataset']), str(rec['features']), str(rec['method']))
        if key not in latest or str(rec.get('created', '')) >= str(latest[key].get('created', '')):
            latest[key] = rec
    if not latest:
        return 'No temporal localization results.'
    header = ['dataset', 'features', 'model', *AR_KEYS, 'AUC', *AP_KEYS, 'mAP']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for dataset, features, method in sorted(
            latest, key=lambda k: (k[0], _feature_rank(k[1]), k[2])):
        metrics = latest[(dataset, features, method)]['metrics']
        auc = metrics.get('auc')
        cells = [dataset, features, method]
        cells += [_fmt_fraction(metrics.get(k)) for k in AR_KEYS]
        cells.append('-' if auc is None else f'{float(auc):.1f}')
        cells += [_fmt_fraction(metrics.get(k)) for k in AP_KEYS + ('mAP', )]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)
