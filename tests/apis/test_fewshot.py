# Copyright (c) vpd_mm contributors. All rights reserved.
import json
import os.path as osp
import sys

import numpy as np
import pytest

import vpd_mm  # noqa: F401
from vpd_mm.apis.fewshot import (check_test_split, format_table, read_id_list_file,
                                 sample_fewshot_subsets, summarize)

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..', 'tools'))
import fewshot as fewshot_tool  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _actions(counts):
    return [dict(id=f'c{c}_{i}', label=c) for c, n in enumerate(counts) for i in range(n)]


def test_sampling_deterministic_nested_capped():
    acts = _actions([10, 3, 6])
    subsets, notices = sample_fewshot_subsets(acts, [2, 4, 8], 3, seed=0, classes=['a', 'b', 'c'])
    again, _ = sample_fewshot_subsets(list(reversed(acts)), [8, 4, 2], 3, seed=0)
    assert subsets == again  # deterministic per seed, independent of input order
    other, _ = sample_fewshot_subsets(acts, [2, 4, 8], 3, seed=1)
    assert other != subsets
    for k, subs in subsets.items():
        assert len(subs) == 3
        for ids in subs:
            per_class = [sum(i.startswith(f'c{c}_') for i in ids) for c in range(3)]
            assert per_class == [min(k, n) for n in (10, 3, 6)]
            assert len(set(ids)) == len(ids)
    for s in range(3):  # nested across k
        assert set(subsets[2][s]) <= set(subsets[4][s]) <= set(subsets[8][s])
    assert len({tuple(x) for x in subsets[4]}) > 1  # subsets differ
    assert notices == ['k=4: class 1 (b) has only 3 training actions: taking all 3',
                       'k=8: class 1 (b) has only 3 training actions: taking all 3',
                       'k=8: class 2 (c) has only 6 training actions: taking all 6']
    with pytest.raises(ValueError, match='positive'):
        sample_fewshot_subsets(acts, [0], 1)


def test_id_list_file(tmp_path):
    f = tmp_path / 'ids.txt'
    f.write_text('a\n\nb\n')
    assert read_id_list_file(str(f), ['a', 'b', 'c']) == ['a', 'b']
    f.write_text('a\nzz1\nzz2\n')
    with pytest.raises(ValueError, match=r"2 ids are not.*\['zz1', 'zz2'\]"):
        read_id_list_file(str(f), ['a'])
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        read_id_list_file(str(tmp_path / 'nope.txt'), ['a'])


def test_summary_and_table():
    rows = [dict(config='x', shots=4, top1=0.5), dict(config='x', shots=4, top1=0.7),
            dict(config='x', shots=8, top1=0.9)]
    s = summarize(rows)
    assert s[0]['mean'] == pytest.approx(0.6) and s[0]['std'] == pytest.approx(0.1414213, 1e-5)
    assert s[1]['std'] == 0.0 and s[1]['num_subsets'] == 1
    table = format_table(s)
    assert '60.0 ± 14.1' in table and '90.0 ±  0.0' in table


def _toy_dataset(tmp_path, num_test=2, d=26):
    rng = np.random.default_rng(0)
    fdir = tmp_path / 'features'
    fdir.mkdir()
    ann = dict(dataset='toyfs', classes=['a', 'b', 'c'], videos={}, actions=[])
    for c in range(3):
        for i in range(5 + num_test):
            vid = f'v{c}_{i}'
            split = 'train' if i < 5 else 'test'
            t = int(rng.integers(6, 10))
            feats = (3.0 * c + 0.3 * rng.normal(size=(t, 2, d))).astype(np.float32)
            np.save(fdir / f'{vid}.npy', feats)
            ann['videos'][vid] = dict(fps=25.0, num_frames=t, split=split)
            ann['actions'].append(dict(id=vid, video=vid, start_frame=0, end_frame=t, label=c,
                                       split=split))
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(ann))
    return str(path), str(fdir)


def _opts(ann, fdir):
    opts = []
    for loader in ('train', 'val', 'test'):
        opts += [f'{loader}_dataloader.dataset.ann_file={ann}',
                 f'{loader}_dataloader.dataset.feature_dir={fdir}']
    return opts


def test_empty_test_split_is_an_error(tmp_path):
    ann, _ = _toy_dataset(tmp_path, num_test=0)
    with pytest.raises(ValueError, match='test split has no labeled action'):
        check_test_split(ann)


def test_end_to_end_tiny(tmp_path, capsys):
    ann, fdir = _toy_dataset(tmp_path)
    work = tmp_path / 'work'
    cfg_dir = osp.join(ROOT, 'configs/recognition')
    # DTW 1-NN ("training" stores the gallery): 2 k x 2 subsets, k = 6 caps every class.
    argv = [osp.join(cfg_dir, 'dtwnn_tiny_cpu.py'), '--shots', '2', '6', '--subsets', '2',
            '--work-dir', str(work), '--cfg-options'] + _opts(ann, fdir)
    summary = fewshot_tool.main(argv)
    out = capsys.readouterr().out
    assert 'NOTICE k=6: class 0 (a) has only 5 training actions: taking all 5' in out
    # 1-NN on well separated classes is exact, whatever the subset; at k = 6 every class is
    # taken whole, so the second subset equals the first and is not run again.
    assert [(s['shots'], s['mean'], s['num_subsets']) for s in summary] == [(2, 1.0, 2),
                                                                            (6, 1.0, 1)]
    assert 'k=6 subset 1: the same actions as an earlier subset' in out
    for ext in ('csv', 'json', 'png'):
        assert (work / f'fewshot.{ext}').stat().st_size > 0
    res = json.loads((work / 'dtwnn_tiny_cpu' / 'k6.result.json').read_text())
    assert res['task'] == 'fewshot' and res['dataset'] == 'toyfs' and res['shots'] == 6
    assert res['features'] == 'features' and res['method'] == 'dtwnn'
    assert res['metrics'] == {'top1': 1.0, 'top1_std': 0.0} and len(res['notices']) == 3
    run = json.loads((work / 'dtwnn_tiny_cpu' / 'k6' / 'subset0' / 'run.json').read_text())
    assert run['num_train'] == 15
    # Resume: nothing is rerun.
    assert fewshot_tool.main(argv) == summary
    out = capsys.readouterr().out
    assert out.count('(skipped)') == 3 and 'training on' not in out
    # BiGRU, 1 epoch: the checkpoint tested is the one selected on validation.
    argv = [osp.join(cfg_dir, 'bigru_tiny_cpu.py'), '--shots', '4', '--subsets', '1',
            '--work-dir', str(work), '--cfg-options'] + _opts(ann, fdir) + [
                'train_cfg.max_epochs=1']
    summary = fewshot_tool.main(argv)
    assert summary[0]['config'] == 'bigru_tiny_cpu' and 0.0 <= summary[0]['mean'] <= 1.0
    run = json.loads((work / 'bigru_tiny_cpu' / 'k4' / 'subset0' / 'run.json').read_text())
    assert run['num_train'] == 12 and 'best_acc_top1' in run['checkpoint']
