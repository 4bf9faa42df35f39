# Copyright (c) vpd_mm contributors. All rights reserved.
"""The confusion matrix of few-shot runs, from their kept predictions or their checkpoints."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

import vpd_mm  # noqa: F401
from vpd_mm.apis import VideoInferenceError, fewshot_confusion

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _tool(path, name):
    spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, path))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _toy(tmp_path, d=4):
    """3 classes, 4 training and 2 test actions each; class 2's test actions look like class 1
    (so the matrix is not just a diagonal)."""
    rng = np.random.default_rng(0)
    fdir = tmp_path / 'features'
    fdir.mkdir()
    ann = dict(dataset='toycm', classes=['a', 'b', 'c'], videos={}, actions=[])
    for c in range(3):
        for i in range(6):
            vid = f'v{c}_{i}'
            split = 'train' if i < 4 else 'test'
            looks = 1 if (c == 2 and split == 'test') else c
            feats = (3.0 * looks + 0.2 * rng.normal(size=(8, 2, d))).astype(np.float32)
            np.save(fdir / f'{vid}.npy', feats)
            ann['videos'][vid] = dict(fps=25.0, num_frames=8, split=split)
            ann['actions'].append(dict(id=vid, video=vid, start_frame=0, end_frame=8, label=c,
                                       split=split))
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(ann))
    opts = []
    for loader in ('train', 'val', 'test'):
        opts += [f'{loader}_dataloader.dataset.ann_file={path}',
                 f'{loader}_dataloader.dataset.feature_dir={fdir}']
    return opts


def test_fewshot_confusion_of_dtw_runs(tmp_path, capsys):
    opts = _toy(tmp_path)
    work = tmp_path / 'work'
    fewshot = _tool('tools/fewshot.py', 'fewshot_tool_cm')
    fewshot.main([osp.join(ROOT, 'configs/recognition/dtwnn_tiny_cpu.py'), '--shots', '2',
                  '--subsets', '2', '--work-dir', str(work), '--cfg-options'] + opts)
    res = fewshot_confusion(str(work / 'dtwnn_tiny_cpu'), 2, progress=False)
    assert res['classes'] == ['a', 'b', 'c'] and res['shots'] == 2
    # 1-NN: a and b right, c's test actions (which look like b) predicted b; 2 subsets summed
    assert res['matrix'].tolist() == [[4, 0, 0], [0, 4, 0], [0, 4, 0]]
    assert [r['subset'] for r in res['runs']] == [0, 1]
    for r in res['runs']:
        assert r['top1_recomputed'] == pytest.approx(4 / 6) == r['top1_recorded']
        assert r['num_test'] == 6 and r['source'] == 'predictions.json'
    # the protocol's own summed confusion is the same matrix
    kept = json.loads((work / 'dtwnn_tiny_cpu' / 'k2.confusion.json').read_text())
    assert kept['confusion'] == res['matrix'].tolist()
    assert kept['per_class_accuracy'] == [1.0, 1.0, 0.0]
    # a run without its predictions (made before they were kept): its checkpoint is re-tested
    # with the config the caller names (the copy in the run folder is not executed)
    (work / 'dtwnn_tiny_cpu' / 'k2' / 'subset1' / 'predictions.json').unlink()
    with pytest.raises(VideoInferenceError, match=r'subset1: no predictions.json .*--config'):
        fewshot_confusion(str(work / 'dtwnn_tiny_cpu'), 2, progress=False)
    config = Config.fromfile(osp.join(ROOT, 'configs/recognition/dtwnn_tiny_cpu.py'))
    config.merge_from_dict(dict(o.split('=', 1) for o in opts))  # as the runs had them
    again = fewshot_confusion(str(work / 'dtwnn_tiny_cpu'), 2, progress=False, config=config)
    assert [r['source'] for r in again['runs']] == ['predictions.json', 'checkpoint']
    assert again['matrix'].tolist() == res['matrix'].tolist()
    assert again['runs'][1]['top1_recomputed'] == pytest.approx(4 / 6)
    # a damaged predictions file is named
    (work / 'dtwnn_tiny_cpu' / 'k2' / 'subset0' / 'predictions.json').write_text('{"x": 1}')
    with pytest.raises(VideoInferenceError, match=r'subset0.*predictions.json'):
        fewshot_confusion(str(work / 'dtwnn_tiny_cpu'), 2, progress=False, config=config)
    (work / 'dtwnn_tiny_cpu' / 'k2' / 'subset0' / 'predictions.json').unlink()
    assert fewshot_confusion(str(work / 'dtwnn_tiny_cpu'), 2, subsets=[1], progress=False,
                             config=config)['matrix'].sum() == 6

    tool = _tool('tools/analysis_tools/fewshot_confusion_matrix.py', 'cm_tool')
    out = tmp_path / 'cm.png'
    capsys.readouterr()
    assert tool.main([str(work / 'dtwnn_tiny_cpu'), '--shots', '2', '--out', str(out)]) == 1
    assert 'no predictions.json' in capsys.readouterr().err and not out.exists()
    assert tool.main([str(work / 'dtwnn_tiny_cpu'), '--shots', '2', '--out', str(out), '--json',
                      str(tmp_path / 'cm.json'), '--config',
                      osp.join(ROOT, 'configs/recognition/dtwnn_tiny_cpu.py'),
                      '--cfg-options'] + opts) == 0
    assert out.stat().st_size > 0
    saved = json.loads((tmp_path / 'cm.json').read_text())
    assert saved['matrix'] == [[4, 0, 0], [0, 4, 0], [0, 4, 0]]
    assert saved['classes'] == ['a', 'b', 'c']
    assert [r['source'] for r in saved['runs']] == ['checkpoint', 'checkpoint']
    capsys.readouterr()
    assert tool.main([str(work / 'dtwnn_tiny_cpu'), '--shots', '16', '--out', str(out)]) == 1
    assert 'k16: no subset<s>/run.json' in capsys.readouterr().err
    with pytest.raises(VideoInferenceError, match='no subset'):
        fewshot_confusion(str(tmp_path / 'nothing'), 2)
