# Copyright (c) vpd_mm contributors. All rights reserved.
"""tools/report.py: its command line (the tables are tests/evaluation/test_results_report.py's)."""
import json
import os
import os.path as osp
import runpy

import pytest

from vpd_mm.utils.results import load_results, write_result

TOOL = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'report.py')


@pytest.fixture(scope='module')
def report_main():
    """The tool's ``main`` (loaded from its file, not run as __main__)."""
    return runpy.run_path(TOOL, run_name='report_tool')['main']


def test_report_tool_writes_the_report(tmp_path, capsys, report_main):
    d = tmp_path / 'work'
    write_result(str(d / 'ret.result.json'), 'retrieval', 'diving48', 'vivpd', 'dtw',
                 {'precision@1': 0.625, 'precision@10': 0.5, 'precision@50': 0.25})
    out = tmp_path / 'rep' / 'report.md'
    text = report_main([str(d), '--out', str(out)])
    assert capsys.readouterr().out.strip() == f'wrote {out}'
    assert out.read_text() == text and '1 result files' in text
    assert '| diving48 | vivpd | 62.5 | 50.0 | 25.0 | 60.9 |' in text.splitlines()
    # without --out the report goes to stdout
    assert report_main([str(d)]) == text
    assert capsys.readouterr().out == text + '\n'


def test_report_tool_names_a_bad_file(tmp_path, report_main):
    """A malformed result file or a missing path: one line naming it, nothing written."""
    broken = tmp_path / 'broken.result.json'
    broken.write_text('{')
    out = tmp_path / 'report.md'
    with pytest.raises(SystemExit) as err:
        report_main([str(tmp_path), '--out', str(out)])
    message = str(err.value)
    assert message.startswith(f'error: load_results: malformed result file {broken}: ')
    assert len(message.splitlines()) == 1 and not out.exists()
    with pytest.raises(SystemExit) as err:
        report_main([str(tmp_path / 'nope')])
    assert str(err.value) == f"error: load_results: '{tmp_path / 'nope'}' does not exist"


def _record(**changes) -> dict:
    rec = dict(task='retrieval', dataset='diving48', features='2dvpd', method='dtw',
               created='2026-12-01T00:00:00+00:00', metrics={'precision@1': 0.5})
    rec.update(changes)
    return rec


@pytest.mark.parametrize('changes, problem', [
    (dict(metrics={'precision@1': float('nan')}), 'metric precision@1 is nan (not a finite '
     'number)'),
    (dict(metrics={'precision@1': float('inf')}), 'metric precision@1 is inf (not a finite '
     'number)'),
    (dict(metrics={'precision@1': 57.3}), 'metric precision@1 is 57.3, outside [0, 1] (a '
     'fraction)'),
    (dict(metrics={'precision@1': -3}), 'metric precision@1 is -3, outside [0, 1] (a fraction)'),
    (dict(metrics={'precision@1': '0.5'}), "metric precision@1 must be a number, got '0.5'"),
    (dict(metrics={'precision@1': True}), 'metric precision@1 must be a number, got True'),
    (dict(metrics={'precision@1': None}), 'metric precision@1 must be a number, got None'),
    (dict(task='recognition', metrics={'acc/top1': 1.5}), 'metric acc/top1 is 1.5, outside '
     '[0, 1]'),
    (dict(task='fewshot', metrics={'top1': 0.5, 'top1_sem': -0.1}, shots=4),
     'metric top1_sem is -0.1, outside [0, 1]'),
    (dict(task='temporal_detection', metrics={'AP@0.5': 2.0}), 'metric AP@0.5 is 2.0, outside'),
    (dict(task='localization', metrics={'AR@100': 1.2}), 'metric AR@100 is 1.2, outside'),
    (dict(task='localization', metrics={'mAP': -0.5}), 'metric mAP is -0.5, outside'),
    (dict(task='localization', metrics={'auc': 100.5}), 'metric auc is 100.5, outside [0, 100] '
     '(a percentage)'),
    (dict(task='recognition', metrics={'vpd/pose_mse': float('nan')}),
     'metric vpd/pose_mse is nan'),
    (dict(features='a|b\n| injected | row |'), "features must be a non-empty one-line string, "
     "got 'a|b\\n| injected | row |'"),
    (dict(dataset={'x': 1}), "dataset must be a non-empty one-line string, got {'x': 1}"),
    (dict(method=''), "method must be a non-empty one-line string, got ''"),
    (dict(method='dtw\r'), 'method must be a non-empty one-line string'),
    (dict(created=12), 'created must be a non-empty one-line string, got 12'),
    (dict(task='fewshot', metrics={'top1': 0.5}, shots='4x'), "shots must be a positive "
     "integer or 'all', got '4x'"),
    (dict(task='fewshot', metrics={'top1': 0.5}, shots=0), 'shots must be a positive'),
    (dict(metrics={'a\nb': 0.5}), 'metric names must be non-empty one-line strings'),
    (dict(metrics=[0.5]), 'metrics is not an object'),
])
def test_report_tool_refuses_bad_values(tmp_path, report_main, changes, problem):
    """Audit: -3 was shown as -3.0, NaN as nan, 57.3 (a fraction of 57?) as 57.3, a newline in a
    name broke the table and a dict was written as "{'x': 1}". Now one line naming the file and
    the problem, no report; write_result refuses to write such a record."""
    path = tmp_path / 'res' / 'bad.result.json'
    path.parent.mkdir()
    good = tmp_path / 'res' / 'good.result.json'
    good.write_text(json.dumps(_record()))
    path.write_text(json.dumps(_record(**changes)))  # NaN / Infinity as Python's json writes
    out = tmp_path / 'report.md'
    with pytest.raises(SystemExit) as err:
        report_main([str(tmp_path / 'res'), '--out', str(out)])
    message = str(err.value)
    assert message.startswith(f'error: load_results: malformed result file {path}: {problem}')
    assert len(message.splitlines()) == 1 and not out.exists()
    rec = _record(**changes)
    extra = {k: v for k, v in rec.items() if k not in (
        'task', 'dataset', 'features', 'method', 'metrics', 'created')}
    written = tmp_path / 'written.result.json'
    if 'created' in changes:  # write_result sets created itself
        return
    error = ValueError if isinstance(rec['metrics'], dict) else TypeError
    with pytest.raises(error) as err:
        write_result(str(written), rec['task'], rec['dataset'], rec['features'], rec['method'],
                     rec['metrics'], **extra)
    if error is ValueError:
        assert str(err.value).startswith(f'write_result({str(written)!r}): {problem}')
    assert not written.exists()


def test_report_tool_takes_values_at_the_ends_of_their_ranges(tmp_path, report_main):
    """0 and 1 (and float rounding just past 1), a percentage AUC, unbounded other metrics,
    a name with a '|' (escaped in its cell) are fine."""
    d = tmp_path / 'res'
    write_result(str(d / 'r.result.json'), 'retrieval', 'diving48', 'a|b', 'dtw',
                 {'precision@1': 1.0, 'precision@10': 1.0 + 1e-12, 'precision@50': 0})
    write_result(str(d / 'l.result.json'), 'localization', 'fs', 'vivpd', 'bmn',
                 {'auc': 61.25, 'AR@1': 0.1, 'mAP': 0.5})
    write_result(str(d / 't.result.json'), 'recognition', 'fs', 'vivpd', 'vpd',
                 {'vpd/pose_mse': 1234.5, 'predictions/num_samples': 62, 'acc/top1': 0.25})
    write_result(str(d / 'k.result.json'), 'fewshot', 'fs', 'vivpd', 'bigru',
                 {'top1': 0.5, 'top1_sem': 0.0}, shots='all')
    text = report_main([str(d), '--out', str(tmp_path / 'report.md')])
    assert '4 result files' in text
    assert '| diving48 | a\\|b | 100.0 | 100.0 | 0.0 | - |' in text.splitlines()
    # rounding past 1 is set to 1 in the file (a value above 1 is a percentage to the report)
    assert json.loads((d / 'r.result.json').read_text())['metrics']['precision@10'] == 1.0
    (d / 'r.result.json').write_text(json.dumps(_record(metrics={'precision@1': 1 + 1e-12})))
    [rec] = [r for r in load_results(str(d)) if r['task'] == 'retrieval']
    assert rec['metrics'] == {'precision@1': 1.0}
    assert '| fs | vivpd | bmn | 10.0 | - | - | - | 61.2 |' in text


def test_report_tool_reads_a_linked_loop_once(tmp_path, report_main):
    """A folder linking to itself (rep/g of the audit: 41 copies of one file were read)."""
    d = tmp_path / 'res'
    write_result(str(d / 'ok.result.json'), 'retrieval', 'diving48', '2dvpd', 'dtw',
                 {'precision@1': 0.5})
    os.symlink(d, d / 'loop')
    os.symlink(d / 'ok.result.json', d / 'again.result.json')
    (d / '.hidden').mkdir()
    (d / '.hidden' / 'x.result.json').write_text('{')  # hidden: skipped, as glob did
    assert [r['_path'] for r in load_results(str(d))] == [str(d / 'again.result.json')]
    assert '1 result files' in report_main([str(d)])


def test_report_tool_names_an_unwritable_out(tmp_path, report_main):
    d = tmp_path / 'res'
    write_result(str(d / 'ok.result.json'), 'retrieval', 'diving48', '2dvpd', 'dtw',
                 {'precision@1': 0.5})
    with pytest.raises(SystemExit) as err:
        report_main([str(d), '--out', str(tmp_path)])
    assert str(err.value) == f'error: --out {tmp_path} is a folder; name the Markdown file'
    blocker = tmp_path / 'file'
    blocker.write_text('')
    with pytest.raises(SystemExit) as err:
        report_main([str(d), '--out', str(blocker / 'report.md')])
    assert str(err.value).startswith('error: ') and str(blocker) in str(err.value)
