# Copyright (c) vpd_mm contributors. All rights reserved.
"""tools/report.py: its command line (the tables are tests/evaluation/test_results_report.py's)."""
import os.path as osp
import runpy

import pytest

from vpd_mm.utils.results import write_result

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
