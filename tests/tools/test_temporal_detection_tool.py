# Copyright (c) vpd_mm contributors. All rights reserved.
"""tools/temporal_detection.py on the generated toy corpus (``--make-toy``): AP table, result file
of task ``temporal_detection``; and the deprecated tools/detect_actions.py runs it with a warning.
Both run in this process (runpy, as ``__main__``): no interpreter start-up per tool."""
import json
import os.path as osp
import runpy
import sys

import pytest
import torch

from vpd_mm.utils.results import load_results

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'temporal_detection.py')
OLD_TOOL = osp.join(ROOT, 'tools', 'detect_actions.py')
CONFIG = osp.join(ROOT, 'configs', 'temporal_detection', 'bigru_tiny_cpu.py')


def run_as_main(path, args, monkeypatch):
    monkeypatch.setattr(sys, 'argv', [path, *args])
    return runpy.run_path(path, run_name='__main__')


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_tool_on_the_toy_corpus(tmp_path, monkeypatch, capsys):
    out = tmp_path / 'toy.result.json'
    run_as_main(TOOL, [
        CONFIG, '--make-toy', '--work-dir', str(tmp_path / 'work'), '--out', str(out),
        '--cfg-options', f'data_root={tmp_path}/data/', 'train_cfg.max_iters=30',
        'default_hooks.checkpoint.interval=30'
    ], monkeypatch)
    printed = capsys.readouterr().out
    [record] = load_results(str(out))
    assert record['task'] == 'temporal_detection'
    assert (record['dataset'], record['features'], record['folds']) == ('toy', 'toy', 2)
    assert osp.isfile(tmp_path / 'data' / 'annotations' / 'toy_actions.json')
    assert osp.isfile(tmp_path / 'work' / 'temporal_detection_summary.json')
    metrics = record['metrics']
    assert set(metrics) == {'AP@0.3', 'AP@0.4', 'AP@0.5', 'AP@0.6', 'AP@0.7', 'mAP'}
    # the printed table is the result file's metrics, in percent
    head, _, row = printed.split('| AP@0.3')[1].splitlines()[:3]
    keys = ['AP@0.3'] + [c.strip() for c in head.split('|')[1:-1]]
    values = [float(c) for c in row.split('|')[1:-1]]
    assert keys == list(metrics) and values == [round(100 * metrics[k], 1) for k in keys]
    with open(out) as f:
        assert json.load(f)['threshold'] == record['threshold']


def test_deprecated_tool_runs_the_new_one(monkeypatch, capsys):
    with pytest.warns(DeprecationWarning, match='use tools/temporal_detection.py'):
        with pytest.raises(SystemExit) as exit_info:
            run_as_main(OLD_TOOL, ['--help'], monkeypatch)
    assert exit_info.value.code == 0
    assert 'a configs/temporal_detection config' in capsys.readouterr().out
