# Copyright (c) vpd_mm contributors. All rights reserved.
import os.path as osp
import sys

import pytest

from vpd_mm.evaluation.paper_results import paper_value
from vpd_mm.utils.results import write_result

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..', 'tools'))
import report as report_tool  # noqa: E402


def _row(text: str, *starts: str) -> str:
    """The Markdown table line beginning with the given cells (Tables 1-4, before the extra
    localization table that repeats detection results)."""
    text = text.split('## Localization')[0]
    prefix = '| ' + ' | '.join(starts) + ' |'
    hits = [line for line in text.splitlines() if line.startswith(prefix)]
    assert len(hits) == 1, (prefix, text)
    return hits[0]


def test_paper_values():
    assert paper_value('recognition', 'diving48', 'vivpd', 'top1') == 88.6
    assert paper_value('fewshot', 'finegym_fx', '2dvpd', 'top1', shots=16) == 82.7
    assert paper_value('retrieval', 'diving48', 'vipe', 'precision@1') == 36.1
    assert paper_value('detection', 'tennis', 'vivpd', 'AP@0.5') == 58.6
    assert paper_value('fewshot', 'diving48', '2dvpd', 'top1', shots=8) is None


def test_report_tables(tmp_path):
    d = tmp_path / 'work'
    write_result(str(d / 'a' / 'r1.result.json'), 'recognition', 'diving48', '2dvpd', 'bigru',
                 {'acc/top1': 0.8})
    write_result(str(d / 'a' / 'r2.result.json'), 'recognition', 'fs', 'pose2d', 'dtwnn',
                 {'top1': 0.5})
    write_result(str(d / 'fs' / 'k4.result.json'), 'fewshot', 'diving48', '2dvpd', 'bigru',
                 {'top1': 0.25, 'top1_std': 0.05}, shots=4)
    write_result(str(d / 'fs' / 'k16.result.json'), 'fewshot', 'diving48', '2dvpd', 'bigru',
                 {'top1': 0.5, 'top1_std': 0.1}, shots=16)
    write_result(str(d / 'ret.result.json'), 'retrieval', 'diving48', 'vivpd', 'dtw',
                 {'precision@1': 0.625, 'precision@10': 0.5, 'precision@50': 0.25})
    write_result(str(d / 'det.result.json'), 'detection', 'fs', 'vivpd', 'bigru_frames',
                 {'AP@0.3': 0.7, 'AP@0.5': 0.55, 'AP@0.7': 0.2})
    out = tmp_path / 'rep' / 'report.md'
    text = report_tool.main([str(d), '--out', str(out)])
    assert out.read_text() == text and '6 result files' in text
    # Table 1: columns fs, tennis, finegym_fx, diving48; paper only beside the BiGRU.
    lines = text.splitlines()
    assert '| 2dvpd | bigru | - | 97.0 | - | 92.6 | - | 94.5 | 80.0 | 86.4 |' in lines
    assert _row(text, 'pose2d', 'dtwnn') == '| pose2d | dtwnn | 50.0 | - | - | - | - | - | - | - |'
    assert _row(text, 'vivpd', 'bigru (paper only)').endswith('| - | 88.6 |')
    # Table 2: diving48, k = 4, 16 (the paper has k = 16).
    assert '| 2dvpd | bigru | 25.0 ± 5.0 | 50.0 ± 10.0 |' in lines
    assert _row(text, '2dvpd', 'paper (bigru)', '-') == '| 2dvpd | paper (bigru) | - | 57.6 |'
    # Table 3 and 4.
    assert _row(text, 'diving48', 'vivpd') == '| diving48 | vivpd | 62.5 | 50.0 | 25.0 | 60.9 |'
    assert _row(text, 'diving48', 'pose2d') == '| diving48 | pose2d | - | - | - | 34.5 |'
    assert _row(text, 'fs', 'vivpd', 'bigru_frames') == (
        '| fs | vivpd | bigru_frames | 70.0 | - | 55.0 | - | 20.0 | 60.7 |')
    assert _row(text, 'tennis', 'vivpd', 'paper only').endswith('| - | 58.6 |')


def test_report_latest_wins_and_bad_file(tmp_path):
    write_result(str(tmp_path / 'old.result.json'), 'retrieval', 'fs', 'vipe', 'dtw',
                 {'precision@1': 0.1})
    rec = write_result(str(tmp_path / 'new.result.json'), 'retrieval', 'fs', 'vipe', 'dtw',
                       {'precision@1': 0.2})
    import json
    p = tmp_path / 'old.result.json'
    old = json.loads(p.read_text())
    old['created'] = '2000-01-01T00:00:00+00:00'
    p.write_text(json.dumps(old))
    assert rec['created'] > old['created']
    text = report_tool.main([str(tmp_path)])
    assert _row(text, 'fs', 'vipe') == '| fs | vipe | 20.0 | - | - | - |'
    (tmp_path / 'broken.result.json').write_text('{')
    with pytest.raises(ValueError, match='broken.result.json'):
        report_tool.main([str(tmp_path)])
