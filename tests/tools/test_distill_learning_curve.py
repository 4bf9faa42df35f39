# Copyright (c) vpd_mm contributors. All rights reserved.
"""tools/analysis_tools/distill_learning_curve.py: its printed Markdown table."""
import importlib.util
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _tool():
    spec = importlib.util.spec_from_file_location(
        'distill_learning_curve_tool',
        osp.join(ROOT, 'tools', 'analysis_tools', 'distill_learning_curve.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_markdown_table_has_a_separator_row_and_equal_cell_counts():
    tool = _tool()
    groups = list(tool.CURVES)

    def point(steps, student, teacher):
        return dict(steps=steps, train_seconds=12.4,
                    pose_error={g: dict(student=student, teacher=teacher) for g in groups})

    points = [point(600, 0.2, 0.1), point(1200, 0.15, None)]
    lines = tool.markdown_table(points).splitlines()
    assert lines[0] == '| steps | train s | ' + ' | '.join(groups) + ' |'
    assert lines[1] == '|' + '---|' * (2 + len(groups))
    assert lines[2] == '| 600 | 12 | ' + ' | '.join(['0.200'] * len(groups)) + ' |'
    assert lines[4] == '| teacher | | ' + ' | '.join(['-'] * len(groups)) + ' |'
    assert len(lines) == 5
    assert len({line.count('|') for line in lines}) == 1  # every row has the header's cells
