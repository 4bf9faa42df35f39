# Copyright (c) vpd_mm contributors. All rights reserved.
"""The paper-shaped report tables of result records (vpd_mm.evaluation.results_report)."""
import json
import re

import pytest

from vpd_mm.evaluation.paper_results import paper_value
from vpd_mm.evaluation.results_report import (build_report, detection_table, retrieval_table,
                                              write_report)
from vpd_mm.utils.results import load_results, write_result


def _row(text: str, *starts: str) -> str:
    """The Markdown table line beginning with the given cells (Tables 1-4, before the extra
    localization table that repeats detection results)."""
    text = text.split('## Localization')[0]
    prefix = '| ' + ' | '.join(starts) + ' |'
    hits = [line for line in text.splitlines() if line.startswith(prefix)]
    assert len(hits) == 1, (prefix, text)
    return hits[0]


def _record(task, dataset, features, method, metrics, created='2026-01-01T00:00:00+00:00'):
    return dict(task=task, dataset=dataset, features=features, method=method, metrics=metrics,
                created=created)


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
    text = build_report(load_results(str(d)))
    assert '6 result files' in text
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
    # the localization table repeats the detection record (AP only)
    loc = text.split('## Localization')[1]
    assert '| fs | vivpd | bigru_frames | - | - | - | - | - | 70.0 | - | 55.0 | - | 20.0 |' in loc


def test_detection_table_reads_both_task_names():
    """Records of task 'temporal_detection' (the current name) and 'detection' (older files)
    fill Table 4 and the localization table alike; for one cell the most recent wins."""
    new = _record('temporal_detection', 'tennis', '2dvpd', 'bigru_frames',
                  {'AP@0.3': 0.5, 'AP@0.5': 0.4}, created='2026-02-01T00:00:00+00:00')
    old = _record('detection', 'tennis', '2dvpd', 'bigru_frames', {'AP@0.5': 0.9},
                  created='2025-01-01T00:00:00+00:00')
    legacy = _record('detection', 'fs', 'pose2d', 'bigru_frames', {'mAP@0.7': 0.125})
    other = _record('localization', 'fs', 'pose2d', 'bmn', {'AP@0.5': 0.3})
    table = detection_table([old, new, legacy, other])
    assert _row(table, 'tennis', '2dvpd', 'bigru_frames') == (
        '| tennis | 2dvpd | bigru_frames | 50.0 | - | 40.0 | - | - | - |')
    assert _row(table, 'fs', 'pose2d', 'bigru_frames') == (
        '| fs | pose2d | bigru_frames | - | - | - | - | 12.5 | - |')
    assert 'bmn' not in table  # BMN proposals are the localization table's
    # the paper's rows stay (tennis/vivpd: 58.6) next to results for other features
    assert _row(table, 'tennis', 'vivpd', 'paper only').endswith('| - | 58.6 |')
    # the order of the records does not matter: the most recent wins
    assert detection_table([new, old, legacy, other]) == table
    loc = build_report([new, legacy, other]).split('## Localization')[1]
    assert '| tennis | 2dvpd | bigru_frames | - | - | - | - | - | 50.0 | - | 40.0 |' in loc
    assert '| fs | pose2d | bmn |' in loc


def test_retrieval_latest_wins():
    old = _record('retrieval', 'fs', 'vipe', 'dtw', {'precision@1': 0.1},
                  created='2000-01-01T00:00:00+00:00')
    new = _record('retrieval', 'fs', 'vipe', 'dtw', {'precision@1': 0.2, 'precision@50': 12.5})
    # fractions are shown in %, values above 1 are taken as % already
    assert _row(retrieval_table([new, old]), 'fs', 'vipe') == '| fs | vipe | 20.0 | - | 12.5 | - |'


def test_write_report_is_atomic_and_names_bad_files(tmp_path):
    write_result(str(tmp_path / 'r.result.json'), 'retrieval', 'fs', 'vipe', 'dtw',
                 {'precision@1': 0.2})
    out = tmp_path / 'rep' / 'report.md'
    text = write_report([str(tmp_path)], str(out))
    assert out.read_text() == text and '1 result files' in text
    assert [p.name for p in out.parent.iterdir()] == ['report.md']  # no temporary left
    (tmp_path / 'broken.result.json').write_text('{')
    with pytest.raises(ValueError, match='broken.result.json'):
        write_report([str(tmp_path)], str(out))
    assert out.read_text() == text  # the old report stays
    (tmp_path / 'broken.result.json').write_text(json.dumps([1]))
    with pytest.raises(ValueError, match='broken.result.json'):
        write_report(str(tmp_path))


def test_load_results_encoding(tmp_path):
    rec = _record('recognition', 'diving48', '2dvpd', 'bigru', {'top1': 0.5})
    path = tmp_path / 'bom.result.json'
    path.write_bytes(b'\xef\xbb\xbf' + json.dumps(rec).encode())  # a byte-order mark: fine
    (got, ) = load_results(str(tmp_path))
    assert got['metrics'] == {'top1': 0.5} and got['_path'] == str(path)
    (tmp_path / 'latin1.result.json').write_bytes(json.dumps(rec).replace(
        'bigru', 'bigr\u00fc').encode('latin-1'))
    with pytest.raises(ValueError, match=r'malformed result file .*latin1.result.json: .*utf-8'):
        load_results(str(tmp_path))


def _tables(text: str):
    """Every Markdown table of a report: lists of rows, each a list of cells (``\\|`` is a
    pipe inside a cell)."""
    tables, current = [], None
    for line in text.splitlines() + ['']:
        if line.startswith('|'):
            assert line.endswith('|'), line
            cells = [c.strip() for c in re.split(r'(?<!\\)\|', line[1:-1])]
            current = (current or []) + [cells]
        elif current:
            tables.append(current)
            current = None
    return tables


def test_every_table_row_has_the_header_cell_count(tmp_path):
    """Audit item 2: Table 1 put ``ours | paper`` in one cell (header 10 cells, separator 6)."""
    recs = [
        _record('recognition', 'diving48', '2dvpd', 'bigru', {'top1': 0.8}),
        _record('recognition', 'sports', 'pose|2d', 'bigru', {'top1': 0.5}),  # a pipe
        _record('fewshot', 'diving48', '2dvpd', 'bigru', {'top1': 0.25, 'top1_sem': 0.05}),
        _record('retrieval', 'sports', 'vivpd', 'dtw', {'precision@1': 0.5}),
        _record('temporal_detection', 'fs', 'vivpd', 'bigru_frames', {'AP@0.5': 0.5}),
        _record('localization', 'fs', 'pose2d', 'bmn', {'AP@0.5': 0.3}),
    ]
    recs[2]['shots'] = 4
    text = build_report(recs)
    tables = _tables(text)
    assert len(tables) == 6  # Tables 1, 2 (finegym_fx, diving48), 3, 4, localization
    for table in tables:
        header, sep, *rows = table
        assert sep == ['---'] * len(header), (header, sep)
        assert rows and all(len(r) == len(header) for r in rows), (header, rows)
    header = tables[0][0]
    assert header[:6] == ['features', 'method', 'fs ours', 'fs paper', 'tennis ours',
                          'tennis paper']
    assert header[-2:] == ['sports ours', 'sports paper']
    row = _row(text, 'pose\\|2d', 'bigru')
    assert row.endswith('| 50.0 | - |')  # ours, then the paper (no sports result there)
