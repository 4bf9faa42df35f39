# Copyright (c) vpd_mm contributors. All rights reserved.
"""The confusion matrix of few-shot runs from a results folder that may come from anyone.

Each run folder holds a copy of the config it trained with; the tool used to execute it
(``Config.fromfile``) just to find the class names. It must not: the class names come from the
runs' ``run.json``, and re-testing a checkpoint needs a config the user names (``--config``).
"""
import importlib.util
import json
import os.path as osp
import re

import numpy as np
import pytest
import torch

import vpd_mm  # noqa: F401
from vpd_mm.apis import VideoInferenceError, fewshot_confusion

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLASSES = ['tuck', 'pike', 'twist']
MATRICES = ([[2, 0, 0], [0, 1, 1], [0, 0, 2]], [[1, 1, 0], [0, 2, 0], [0, 1, 1]])


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location(
        'cm_tool_untrusted', osp.join(ROOT, 'tools/analysis_tools/fewshot_confusion_matrix.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _results(tmp_path, marker, predictions=True, classes=CLASSES):
    """``<tmp>/fs/dtwnn_2dvpd/k4/subset{0,1}`` as tools/fewshot.py leaves them, each with a
    config copy that would create ``marker`` if executed (and would otherwise work: its
    annotations name the classes)."""
    ann = tmp_path / 'ann.json'
    ann.write_text(json.dumps(dict(dataset='x', classes=['c0', 'c1', 'c2'], videos={},
                                   actions=[])))
    config_dir = tmp_path / 'fs' / 'dtwnn_2dvpd'
    for s, matrix in enumerate(MATRICES):
        run_dir = config_dir / 'k4' / f'subset{s}'
        run_dir.mkdir(parents=True)
        run = dict(config='dtwnn_2dvpd', shots=4, subset=s, num_classes=3,
                   top1=float(np.trace(matrix)) / np.sum(matrix))
        if classes is not None:
            run['classes'] = classes
        (run_dir / 'run.json').write_text(json.dumps(run))
        if predictions:
            (run_dir / 'predictions.json').write_text(
                json.dumps(dict(num_classes=3, predictions=[], confusion=matrix)))
        (run_dir / 'dtwnn_2dvpd.py').write_text(
            f'_x = __import__("os").system("touch {marker}")\n'
            f'test_dataloader = dict(dataset=dict(ann_file={str(ann)!r}))\n')
    return config_dir


def test_the_config_in_a_run_folder_is_not_executed(tmp_path, tool, capsys):
    marker = tmp_path / 'PWNED_CONFIG'
    config_dir = _results(tmp_path, marker)
    out, out_json = tmp_path / 'cm.png', tmp_path / 'cm.json'
    assert tool.main([str(config_dir), '--shots', '4', '--out', str(out), '--json',
                      str(out_json)]) == 0
    assert not marker.exists()
    assert out.stat().st_size > 0
    saved = json.loads(out_json.read_text())
    assert saved['classes'] == CLASSES  # from run.json, not the annotations of the copy
    assert saved['matrix'] == np.add(*MATRICES).tolist()
    assert [r['source'] for r in saved['runs']] == ['predictions.json'] * 2
    assert [r['top1_recomputed'] for r in saved['runs']] == pytest.approx([5 / 6, 4 / 6])
    assert 'confusion matrix of dtwnn_2dvpd k=4' in capsys.readouterr().out


def test_without_recorded_classes_the_indices_name_them(tmp_path):
    marker = tmp_path / 'PWNED_CONFIG'
    res = fewshot_confusion(str(_results(tmp_path, marker, classes=None)), 4, progress=False)
    assert res['classes'] == ['0', '1', '2'] and not marker.exists()


def test_retesting_needs_a_config_named_by_the_user(tmp_path, tool, capsys):
    """Runs without predictions.json: one line asking for --config, nothing executed."""
    marker = tmp_path / 'PWNED_CONFIG'
    config_dir = _results(tmp_path, marker, predictions=False)
    out = tmp_path / 'cm.png'
    assert tool.main([str(config_dir), '--shots', '4', '--out', str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f'error: {config_dir / "k4" / "subset0"}: no predictions.json ')
    assert '--config' in err and len(err.strip().splitlines()) == 1
    assert not marker.exists() and not out.exists()
    # --cfg-options without --config
    assert tool.main([str(config_dir), '--shots', '4', '--out', str(out), '--cfg-options',
                      'a=1']) == 2
    assert capsys.readouterr().err.strip() == 'error: --cfg-options needs --config'


def test_retested_checkpoints_load_weights_only_and_strictly(tmp_path, tool, capsys):
    """With --config, the run's checkpoint is loaded as tools/test.py loads one: a NaN
    gallery is one line naming the checkpoint; the folder's config copy is still not run."""
    marker = tmp_path / 'PWNED_CONFIG'
    config_dir = _results(tmp_path, marker, predictions=False)
    for s in range(2):
        run_dir = config_dir / 'k4' / f'subset{s}'
        state = dict(gallery_feats=torch.full((3, 2), float('nan')),
                     gallery_offsets=torch.tensor([0, 1, 3]), gallery_labels=torch.tensor([0, 1]))
        torch.save(dict(state_dict=state), run_dir / 'epoch_1.pth')
        (run_dir / 'last_checkpoint').write_text(str(run_dir / 'epoch_1.pth'))
    out = tmp_path / 'cm.png'
    assert tool.main([str(config_dir), '--shots', '4', '--out', str(out), '--config',
                      osp.join(ROOT, 'configs/recognition/dtwnn_tiny_cpu.py')]) == 1
    err = capsys.readouterr().err.strip()
    ckpt = config_dir / 'k4' / 'subset0' / 'epoch_1.pth'
    assert err == (f'error: {ckpt}: not a usable checkpoint: non-finite values (NaN or inf) in '
                   '1 tensor (gallery_feats)')
    assert not marker.exists() and not out.exists()


def _edit_run(config_dir, subset, **changes):
    path = config_dir / 'k4' / f'subset{subset}' / 'run.json'
    run = json.loads(path.read_text())
    run.update(changes)
    path.write_text(json.dumps(run))
    return path


@pytest.mark.parametrize('classes, match', [
    (['tuck', 'pike'], r'2 classes, but the run.s predictions have 3'),
    (['tuck', 'pike\n| injected |', 'twist'], r'classes must be a list of class names'),
    (['tuck', 3, 'twist'], r'classes must be a list of class names'),
    ('tuck,pike,twist', r'classes must be a list of class names'),
])
def test_bad_classes_in_run_json_are_named(tmp_path, classes, match):
    config_dir = _results(tmp_path, tmp_path / 'PWNED_CONFIG')
    path = _edit_run(config_dir, 1, classes=classes)
    with pytest.raises(VideoInferenceError) as err:
        fewshot_confusion(str(config_dir), 4, progress=False)
    message = str(err.value)
    assert message.startswith(f'{path}: ') and '\n' not in message
    assert re.search(match, message)


def test_runs_with_other_classes_are_not_summed(tmp_path):
    config_dir = _results(tmp_path, tmp_path / 'PWNED_CONFIG')
    path = _edit_run(config_dir, 1, classes=['pike', 'tuck', 'twist'])
    with pytest.raises(VideoInferenceError, match=f'{path}: other classes than the runs before'):
        fewshot_confusion(str(config_dir), 4, progress=False)


def test_malformed_run_json_is_named(tmp_path, tool, capsys):
    config_dir = _results(tmp_path, tmp_path / 'PWNED_CONFIG')
    path = config_dir / 'k4' / 'subset0' / 'run.json'
    path.write_text('[1, 2]')
    with pytest.raises(VideoInferenceError, match=f'{path}: not a run record'):
        fewshot_confusion(str(config_dir), 4, progress=False)
    path.write_text('{"top1": ')
    assert tool.main([str(config_dir), '--shots', '4', '--out', str(tmp_path / 'x.png')]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: ') and str(path) in err and len(err.splitlines()) == 1
    # a recorded top-1 that is not a number is not passed on
    path.write_text(json.dumps(dict(classes=CLASSES, top1='0.9\nfake line')))
    res = fewshot_confusion(str(config_dir), 4, progress=False)
    assert res['runs'][0]['top1_recorded'] is None and res['classes'] == CLASSES
