# Copyright (c) vpd_mm contributors. All rights reserved.
"""The synthetic benchmark's report (``tools/run_demo.py``): its tables and its checks.

The checks are the claims the benchmark exists to test, computed from the run's own numbers:

* ``gt_k4``: ground-truth joints reach at least 3x chance at the smallest k (the protocol
  resolves differences), for each classifier;
* ``gt_monotone``: their accuracy does not decrease with k by more than one standard error;
* ``unconfident_error`` / ``confident_error``: per frame, the 2D-VPD student's error to the
  ground truth is at most 60% of the teacher's where the teacher is unconfident and at most
  1.2x where it is confident;
* ``<method>_<k>``: few-shot accuracy of each student against its teacher's features on the
  same subsets. The standard error is that of the paired per-subset difference
  (``std(d_s, ddof=1) / sqrt(n)``); with the BiGRU the student must win by more than 2 standard
  errors at k = 16 and with all labels and not lose by more than one at k = 4; with DTW 1-NN it
  must not lose by more than one standard error at any k.
"""
import math
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np

from .fewshot_summary import ALL_SHOTS, shots_key, shots_label

#: pose-error group -> label in the report
_GROUP_LABELS = {
    'confident': 'confident',
    'unconfident': 'unconfident, with a pose',
    'no_pose': 'no teacher pose',
    'confident&inverted': 'confident, athlete inverted',
    'unconfident&inverted': 'unconfident, athlete inverted',
    'no_pose&inverted': 'no teacher pose, athlete inverted',
}
_METHOD_LABELS = {'bigru': 'BiGRU', 'dtwnn': 'DTW 1-NN'}


def _accuracies(rows: Sequence[dict]) -> Dict[tuple, Dict[int, float]]:
    """(method, features, k) -> {subset: top1}."""
    out: Dict[tuple, Dict[int, float]] = defaultdict(dict)
    for r in rows:
        out[(r['method'], r['features'], r['shots'])][int(r['subset'])] = float(r['top1'])
    return out


def paired_difference(a: Dict[int, float], b: Dict[int, float]) -> Optional[dict]:
    """Mean and standard error of ``a - b`` over the subsets both have.

    A side with a single run (a parameter-free model on identical subsets) is compared with
    every subset of the other.
    """
    if not a or not b:
        return None
    if len(a) == 1:
        a = {k: next(iter(a.values())) for k in b}
    if len(b) == 1:
        b = {k: next(iter(b.values())) for k in a}
    d = np.asarray([a[k] - b[k] for k in sorted(set(a) & set(b))])
    se = float(d.std(ddof=1) / math.sqrt(len(d))) if len(d) > 1 else 0.0
    return dict(mean=float(d.mean()), se=se, n=int(len(d)))


def demo_checks(result: dict) -> List[dict]:
    """The checks of the module docstring; each ``name``, ``value``, ``target``, ``passed``."""
    checks = []
    summary = result['fewshot_summary']
    acc = _accuracies(result['fewshot'])
    by = {(s['method'], s['features'], s['shots']): s for s in summary}
    methods = sorted({s['method'] for s in summary})
    shots = sorted({s['shots'] for s in summary}, key=shots_key)
    for method in methods:
        cells = [by.get((method, 'gt_pose2d', k)) for k in shots]
        if cells[0] is not None and cells[0].get('chance'):
            chance = cells[0]['chance']
            checks.append(dict(
                name=f'gt_k{shots[0]}_{method}', value=100 * cells[0]['mean'],
                target=f'>= 3 x chance = {300 * chance:.1f}',
                passed=cells[0]['mean'] >= 3 * chance,
                what=f'{_METHOD_LABELS.get(method, method)}: ground-truth joints at '
                f'{shots_label(shots[0])}'))
        pairs = [(a, b) for a, b in zip(cells, cells[1:]) if a is not None and b is not None]
        if pairs:
            drops = [a['mean'] - b['mean'] - math.hypot(a['sem'], b['sem']) for a, b in pairs]
            checks.append(dict(
                name=f'gt_monotone_{method}', value=100 * max(drops),
                target='<= 0 (largest drop beyond one standard error, points)',
                passed=max(drops) <= 0,
                what=f'{_METHOD_LABELS.get(method, method)}: ground-truth joints non-decreasing '
                'in k'))
    errors = result.get('pose_error') or {}
    for group, bound in (('unconfident', 0.6), ('confident', 1.2)):
        e = errors.get(group) or {}
        if e.get('ratio') is not None:
            checks.append(dict(
                name=f'{group}_error', value=e['ratio'], target=f'<= {bound}',
                passed=e['ratio'] <= bound,
                what=f'2D-VPD student / teacher pose error, {_GROUP_LABELS[group]} frames'))
    for student, teacher in (result.get('teacher_of') or {}).items():
        for method in methods:
            for k in shots:
                d = paired_difference(acc.get((method, student, k), {}),
                                      acc.get((method, teacher, k), {}))
                if d is None:
                    continue
                if method == 'bigru' and k in (16, ALL_SHOTS):
                    ok, target = d['mean'] > 2 * d['se'] and d['mean'] > 0, '> 2 s.e.'
                else:
                    ok, target = d['mean'] >= -d['se'], '>= -1 s.e.'
                checks.append(dict(
                    name=f'{method}_{student}_k{k}', value=100 * d['mean'], se=100 * d['se'],
                    target=target, passed=bool(ok),
                    what=f'{_METHOD_LABELS.get(method, method)} {shots_label(k)}: {student} - '
                    f'{teacher} (points, paired over {d["n"]} subsets)'))
    return checks


def _pct(s: Optional[dict]) -> str:
    if s is None:
        return '-'
    return f'{100 * s["mean"]:.1f} ± {100 * s["sem"]:.1f}'


def demo_report_markdown(result: dict) -> str:
    """The report of one run of the synthetic benchmark, in Markdown."""
    minutes, seconds = divmod(int(round(result['wall_seconds'])), 60)
    stages = ', '.join(f'{k} {v:.0f} s' for k, v in result['stage_seconds'].items())
    lines = [
        '# VPD on the synthetic sports benchmark', '',
        f'Written by `{result["command"]}` on {result["created"]} ({result["machine"]}'
        f'{"; bfloat16 autocast" if result.get("amp") else ""}). Wall time {minutes} min '
        f'{seconds:02d} s ({stages}).', '',
        '## Pose error to the ground truth (test videos, mean joint distance, normalised units)',
        '', '| frames | count | teacher | 2D-VPD student | student / teacher |',
        '|---|---|---|---|---|'
    ]
    fmt = lambda v, p=3: '-' if v is None else f'{v:.{p}f}'  # noqa: E731
    for group, label in _GROUP_LABELS.items():
        e = result['pose_error'].get(group)
        if e and e['frames']:
            lines.append(f'| {label} | {e["frames"]} | {fmt(e["teacher"])} | '
                         f'{fmt(e["student"])} | {fmt(e["ratio"], 2)} |')
    summary = result['fewshot_summary']
    by = {(s['method'], s['features'], s['shots']): s for s in summary}
    methods = sorted({s['method'] for s in summary})
    shots = sorted({s['shots'] for s in summary}, key=shots_key)
    first = summary[0] if summary else {}
    nsub = max((s['num_subsets'] for s in summary), default=0)
    lines += [
        '', f'## Few-shot recognition, top-1 % on {first.get("num_test", "?")} test actions '
        f'(mean ± standard error over {nsub} subsets; chance '
        f'{100 * first.get("chance", float("nan")):.1f}%)', ''
    ]
    head = [f'{_METHOD_LABELS.get(m, m)} {shots_label(k)}' for m in methods for k in shots]
    lines += ['| features | ' + ' | '.join(head) + ' | P@1 | P@10 |',
              '|---' * (len(head) + 3) + '|']
    for feat, desc in result['features'].items():
        cells = [_pct(by.get((m, feat, k))) for m in methods for k in shots]
        p = result['retrieval'].get(feat, {})
        lines.append(f'| {feat}: {desc} | ' + ' | '.join(cells) +
                     f' | {100 * p.get("precision@1", float("nan")):.1f}'
                     f' | {100 * p.get("precision@10", float("nan")):.1f} |')
    lines += ['', '(k = 4, 16: 5 seeded subsets of the training actions; all: every training '
              'action, 5 training seeds for the BiGRU, one run for the deterministic DTW; P@k: '
              'DTW retrieval of the test actions among all actions: symmetricP2, the flip views '
              'concatenated per frame. Per-class accuracy and the confusion matrix of each '
              'config and k: `fewshot/<config>/k<k>.confusion.{json,png}`.)', '',
              '## Checks', '', '| check | value | target | |', '|---|---|---|---|']
    for c in result['checks']:
        value = f'{c["value"]:.2f}' + (f' ± {c["se"]:.2f}' if 'se' in c else '')
        lines.append(f'| {c["what"]} | {value} | {c["target"]} | '
                     f'{"pass" if c["passed"] else "**FAIL**"} |')
    return '\n'.join(lines) + '\n'
