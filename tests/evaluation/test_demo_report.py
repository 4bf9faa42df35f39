# Copyright (c) vpd_mm contributors. All rights reserved.
import pytest

from vpd_mm.evaluation.demo_report import demo_checks, demo_report_markdown, paired_difference
from vpd_mm.evaluation.fewshot_summary import summarize


def test_paired_difference():
    d = paired_difference({0: 0.6, 1: 0.7, 2: 0.8}, {0: 0.5, 1: 0.5, 2: 0.5})
    assert d['mean'] == pytest.approx(0.2) and d['n'] == 3
    assert d['se'] == pytest.approx(0.1 / 3**0.5)  # std of (0.1, 0.2, 0.3) / sqrt(3)
    # a single deterministic run is compared with every subset of the other side
    d = paired_difference({0: 0.6, 1: 0.8}, {0: 0.5})
    assert d['mean'] == pytest.approx(0.2) and d['n'] == 2
    assert paired_difference({}, {0: 0.5}) is None


def _rows(method, feature, shots, accs):
    return [dict(config=f'{method}_{feature}', method=method, features=feature, shots=shots,
                 subset=s, top1=a, num_test=40, num_classes=8) for s, a in enumerate(accs)]


def test_checks_and_markdown():
    rows = (_rows('bigru', 'gt_pose2d', 4, [0.5, 0.55]) +
            _rows('bigru', 'gt_pose2d', 16, [0.9, 0.95]) +
            _rows('bigru', 'pose2d', 4, [0.3, 0.32]) + _rows('bigru', 'pose2d', 16, [0.5, 0.6]) +
            _rows('bigru', '2dvpd', 4, [0.31, 0.30]) + _rows('bigru', '2dvpd', 16, [0.7, 0.75]))
    result = dict(
        command='python tools/run_demo.py', created='2026-01-01T00:00:00+00:00', machine='cpu',
        wall_seconds=61.0, stage_seconds=dict(corpus=1.0), amp=False,
        features={'gt_pose2d': 'gt', 'pose2d': 'teacher', '2dvpd': 'student'},
        teacher_of={'2dvpd': 'pose2d'},
        pose_error=dict(confident=dict(frames=10, teacher=0.1, student=0.11, ratio=1.1),
                        unconfident=dict(frames=5, teacher=0.3, student=0.21, ratio=0.7)),
        fewshot=rows, fewshot_summary=summarize(rows), retrieval={})
    checks = {c['name']: c for c in demo_checks(result)}
    assert checks['gt_k4_bigru']['passed']  # 52.5 >= 3 x 12.5
    assert checks['gt_monotone_bigru']['passed']
    assert not checks['unconfident_error']['passed'] and checks['confident_error']['passed']
    assert checks['bigru_2dvpd_k16']['passed']  # +17.5, s.e. 2.5
    assert checks['bigru_2dvpd_k16']['value'] == pytest.approx(17.5)
    # at k = 4: -0.5 points with a paired s.e. of 1.5: not worse by more than one s.e.
    assert checks['bigru_2dvpd_k4']['passed']
    assert checks['bigru_2dvpd_k4']['se'] == pytest.approx(1.5)
    md = demo_report_markdown(dict(result, checks=list(checks.values())))
    assert 'Wall time 1 min 01 s' in md and '| unconfident, with a pose | 5 | 0.300 |' in md
    assert '**FAIL**' in md and '40 test actions' in md and 'chance 12.5%' in md
