# Copyright (c) vpd_mm contributors. All rights reserved.
import json
import os
import os.path as osp
import re
import sys
from collections import Counter

import numpy as np
import pytest

import vpd_mm  # noqa: F401
from vpd_mm.apis.fewshot import (check_test_split, fewshot_run_config, parse_shots,
                                 read_id_list_file, sample_fewshot_subsets)
from vpd_mm.evaluation.fewshot_summary import format_table, summarize

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
    # 'all': every training action, the same in every subset, after the integer k's
    subsets, notices = sample_fewshot_subsets(acts, ['all', 2], 2, seed=0)
    assert list(subsets) == [2, 'all'] and not [n for n in notices if 'all' in n]
    assert [sorted(ids) for ids in subsets['all']] == [sorted(a['id'] for a in acts)] * 2


def test_parse_shots():
    assert parse_shots(['16', 'all', '4', 4, 'ALL']) == [4, 16, 'all']
    for bad in (['0'], ['x'], ['-2'], []):
        with pytest.raises(ValueError):
            parse_shots(bad)


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
    rows = [dict(config='x', shots=4, top1=0.5, num_test=10, num_classes=4),
            dict(config='x', shots=4, top1=0.7, num_test=10, num_classes=4),
            dict(config='x', shots='all', top1=0.9, num_test=10, num_classes=4),
            dict(config='x', shots=16, top1=0.8, num_test=10, num_classes=4)]
    s = summarize(rows)
    assert [r['shots'] for r in s] == [4, 16, 'all']
    assert s[0]['mean'] == pytest.approx(0.6) and s[0]['std'] == pytest.approx(0.1414213, 1e-5)
    assert s[0]['sem'] == pytest.approx(0.1)  # std / sqrt(2)
    assert s[1]['std'] == 0.0 and s[1]['sem'] == 0.0 and s[1]['num_subsets'] == 1
    assert s[0]['chance'] == 0.25 and s[0]['num_test'] == 10
    table = format_table(s)
    assert '60.0 ± 10.0 (2)' in table and '90.0 ± 0.0 (1)' in table and 'chance 25.0%' in table
    assert table.splitlines()[0].split()[1:] == ['k', '=', '4', 'k', '=', '16', 'all']


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


def test_run_config_is_the_fixed_step_protocol(tmp_path):
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, 'configs/recognition/bigru_tiny_cpu.py'))
    run = fewshot_run_config(cfg, ['a', 'b'], str(tmp_path), seed=3, steps=50)
    assert run.train_cfg == dict(type='IterBasedTrainLoop', max_iters=50, val_interval=50)
    assert run.val_dataloader is None and run.val_cfg is None and run.val_evaluator is None
    assert run.train_dataloader.dataset.id_list == ['a', 'b']
    assert run.train_dataloader.dataset.val_ratio == 0.0  # nothing carved out of the k
    assert run.train_dataloader.sampler.type == 'InfiniteSampler'
    assert run.test_dataloader.dataset.id_list is None
    warmup, cosine = run.param_scheduler
    assert (warmup.type, warmup.end, cosine.type, cosine.begin, cosine.end) == (
        'LinearLR', 5, 'CosineAnnealingLR', 5, 50)
    assert cosine.eta_min == pytest.approx(cfg.optim_wrapper.optimizer.lr * 0.01)
    ckpt = run.default_hooks.checkpoint
    assert (ckpt.interval, ckpt.save_best, ckpt.by_epoch) == (50, None, False)
    assert run.randomness.seed == 3 and cfg.train_cfg.type == 'EpochBasedTrainLoop'
    # the config's own fewshot.steps when none is given
    assert fewshot_run_config(cfg, ['a'], str(tmp_path)).train_cfg.max_iters == 3000
    acc, dump = run.test_evaluator
    assert acc.type == 'AccMetric' and dump == dict(
        type='DumpPredictions', out_file=osp.join(str(tmp_path), 'predictions.json'))
    dtw = Config.fromfile(osp.join(ROOT, 'configs/recognition/dtwnn_tiny_cpu.py'))
    run = fewshot_run_config(dtw, ['a'], str(tmp_path), steps=50)
    assert run.train_cfg.type == 'GalleryBuildLoop' and run.val_dataloader is None


def _run_files(work, name):
    return {p.relative_to(work): p.read_text()
            for p in sorted((work / name).glob('k*/subset*/run.json'))}


def test_end_to_end_tiny(tmp_path, capsys):
    ann, fdir = _toy_dataset(tmp_path)
    work = tmp_path / 'work'
    cfg_dir = osp.join(ROOT, 'configs/recognition')
    # DTW 1-NN ("training" stores the gallery): 2 k x 2 subsets; k = all is the same for both
    # subsets and nothing in a DTW is random, so it runs once.
    argv = [osp.join(cfg_dir, 'dtwnn_tiny_cpu.py'), '--shots', '2', '6', 'all', '--subsets', '2',
            '--work-dir', str(work), '--cfg-options'] + _opts(ann, fdir)
    summary = fewshot_tool.main(argv)
    out = capsys.readouterr().out
    assert 'NOTICE k=6: class 0 (a) has only 5 training actions: taking all 5' in out
    # 1-NN on well separated classes is exact, whatever the subset
    assert [(s['shots'], s['mean'], s['num_subsets']) for s in summary] == [
        (2, 1.0, 2), (6, 1.0, 1), ('all', 1.0, 1)]
    assert summary[0]['num_test'] == 6 and summary[0]['chance'] == pytest.approx(1 / 3)
    assert 'k=6 subset 1: the same actions as subset 0 and no parameters' in out
    for ext in ('csv', 'json', 'png'):
        assert (work / f'fewshot.{ext}').stat().st_size > 0
    res = json.loads((work / 'dtwnn_tiny_cpu' / 'k6.result.json').read_text())
    assert res['task'] == 'fewshot' and res['dataset'] == 'toyfs' and res['shots'] == 6
    assert res['features'] == 'features' and res['method'] == 'dtwnn'
    assert res['metrics'] == {'top1': 1.0, 'top1_std': 0.0, 'top1_sem': 0.0}
    assert json.loads((work / 'dtwnn_tiny_cpu' / 'kall.result.json').read_text())['shots'] == \
        'all'
    run = json.loads((work / 'dtwnn_tiny_cpu' / 'k6' / 'subset0' / 'run.json').read_text())
    assert run['num_train'] == 15 and run['steps'] is None
    assert run['classes'] == ['a', 'b', 'c']
    # every test action's prediction, and the confusion summed over the subsets of a k
    preds = json.loads((work / 'dtwnn_tiny_cpu' / 'k2' / 'subset1' / 'predictions.json')
                       .read_text())
    assert preds['num_classes'] == 3 and len(preds['predictions']) == 6
    assert all(p['pred'] == p['label'] and len(p['scores']) == 3 for p in preds['predictions'])
    per_run = np.diag(np.bincount([p['label'] for p in preds['predictions']], minlength=3))
    assert preds['confusion'] == per_run.tolist()
    conf = json.loads((work / 'dtwnn_tiny_cpu' / 'k2.confusion.json').read_text())
    assert conf['num_runs'] == 2 and conf['classes'] == ['a', 'b', 'c']
    assert conf['confusion'] == (2 * per_run).tolist()  # two subsets, both exact
    assert conf['per_class_accuracy'] == [1.0, 1.0, 1.0]
    assert (work / 'dtwnn_tiny_cpu' / 'k2.confusion.png').stat().st_size > 0
    # Resume: nothing is rerun.
    assert fewshot_tool.main(argv) == summary
    out = capsys.readouterr().out
    assert out.count('(reused)') == 4 and 'training actions, top1' not in out
    # New features in the same folder (e.g. a student distilled again): run again, not reused.
    # Test actions of class 0 moved onto class 1: 2 of the 6 test actions are now wrong.
    for vid in ('v0_5', 'v0_6'):
        path = osp.join(fdir, f'{vid}.npy')
        np.save(path, np.load(path) + 3.0)
    again = fewshot_tool.main(argv)
    out = capsys.readouterr().out
    assert '(reused)' not in out and out.count('was made with other actions') == 4
    assert [s['mean'] for s in again] == pytest.approx([4 / 6] * 3)
    # BiGRU: a fixed number of steps whatever k, the last checkpoint tested; 2 parallel jobs
    # give the same run files as 1 job, and the same command twice gives the same files.
    argv = [osp.join(cfg_dir, 'bigru_tiny_cpu.py'), '--shots', '2', '4', '--subsets', '2',
            '--steps', '12', '--threads', '1', '--cfg-options'] + _opts(ann, fdir)
    first = fewshot_tool.main(argv + ['--work-dir', str(tmp_path / 'b1')])
    # several quiet runs in one process: no logger writes to a closed stream
    assert 'Logging error' not in capsys.readouterr().err
    fewshot_tool.main(argv + ['--work-dir', str(tmp_path / 'b2'), '--jobs', '2'])
    assert first[0]['config'] == 'bigru_tiny_cpu' and 0.0 <= first[0]['mean'] <= 1.0
    runs = _run_files(tmp_path / 'b1', 'bigru_tiny_cpu')
    assert len(runs) == 4
    assert runs == {k: v.replace(str(tmp_path / 'b2'), str(tmp_path / 'b1'))
                    for k, v in _run_files(tmp_path / 'b2', 'bigru_tiny_cpu').items()}
    run = json.loads((tmp_path / 'b1' / 'bigru_tiny_cpu' / 'k4' / 'subset1' / 'run.json')
                     .read_text())
    assert run['num_train'] == 12 and run['steps'] == 12 and run['seed'] == 1
    assert run['checkpoint'].endswith('iter_12.pth')
    # another number of steps is another run: not reused
    fewshot_tool.main(argv + ['--work-dir', str(tmp_path / 'b1'), '--shots', '2', '--steps', '6'])
    assert json.loads((tmp_path / 'b1' / 'bigru_tiny_cpu' / 'k2' / 'subset0' / 'run.json')
                      .read_text())['steps'] == 6


def test_replay_loader_yields_copies():
    from vpd_mm.apis.fewshot import ReplayLoader

    class Loader(list):
        dataset = 'the dataset'
        batch_size = 2

    source = Loader([dict(inputs=np.arange(3), data_samples=[dict(label=1)])])
    replay = ReplayLoader(source)
    assert len(replay) == 1 and replay.dataset == 'the dataset' and replay.batch_size == 2
    first = next(iter(replay))
    first['data_samples'][0]['pred'] = 'set by a run'  # a run writing predictions
    first['inputs'][0] = 99
    again = next(iter(replay))
    assert again['data_samples'] == [dict(label=1)]
    np.testing.assert_array_equal(again['inputs'], [0, 1, 2])


def test_reused_test_data_gives_the_same_runs(tmp_path):
    """Runs replaying the test batches of an earlier run of the process equal runs that load
    their own, bit for bit (top-1 and every test metric), and the replay is used."""
    from mmengine.config import Config

    import vpd_mm.apis.fewshot as fewshot
    ann, fdir = _toy_dataset(tmp_path)
    cfg = Config.fromfile(osp.join(ROOT, 'configs/recognition/bigru_tiny_cpu.py'))
    cfg.merge_from_dict(dict(o.split('=', 1) for o in _opts(ann, fdir)))
    ids = [f'v{c}_{i}' for c in range(3) for i in range(2)]
    fewshot._TEST_LOADERS.clear()
    results = {}
    for reuse in (False, True):
        for seed in (0, 1):
            res = fewshot.run_fewshot_subset(cfg, ids, str(tmp_path / f'r{reuse}{seed}'),
                                             seed=seed, steps=3, quiet=True,
                                             reuse_test_data=reuse)
            results[reuse, seed] = (res['top1'], res['test_metrics'])
        assert len(fewshot._TEST_LOADERS) == int(reuse)  # one config's batches kept
    assert results[True, 0] == results[False, 0] and results[True, 1] == results[False, 1]
    (loader, ) = fewshot._TEST_LOADERS.values()
    assert len(loader.dataset) == 6 and sum(len(b['data_samples']) for b in loader) == 6
    # a test feature file written anew between two runs: its batches are loaded again
    path = osp.join(fdir, 'v0_6.npy')
    np.save(path, np.load(path) + 1.0)
    fewshot.run_fewshot_subset(cfg, ids, str(tmp_path / 'new'), steps=3, quiet=True)
    (reloaded, ) = fewshot._TEST_LOADERS.values()
    assert reloaded is not loader
    fewshot._TEST_LOADERS.clear()


def _tool_error(tmp_path, config, ann, fdir, num_classes):
    """The SystemExit of tools/fewshot.py on the toy corpus (k = 2, one subset, 2 steps)."""
    argv = [config, '--shots', '2', '--subsets', '1', '--steps', '2', '--work-dir',
            str(tmp_path / 'work'), '--cfg-options', f'model.cls_head.num_classes={num_classes}'
            ] + _opts(ann, fdir)
    with pytest.raises(SystemExit) as err:
        fewshot_tool.main(argv)
    return err


def test_num_classes_of_another_corpus_stops_before_any_run(tmp_path, capsys):
    """Issue 16: an 8-class BiGRU on the 3-class corpus: one line, both numbers and files."""
    ann, fdir = _toy_dataset(tmp_path)
    config = osp.join(ROOT, 'configs/recognition/bigru_tiny_cpu.py')
    err = _tool_error(tmp_path, config, ann, fdir, num_classes=8)
    assert str(err.value) == (
        f'error: {config}: model.cls_head.num_classes=8 but {ann} (train_dataloader) lists 3 '
        'classes; set model.cls_head.num_classes=3 (e.g. --cfg-options '
        'model.cls_head.num_classes=3)')
    assert not (tmp_path / 'work').exists()


def test_missing_feature_file_is_one_line(tmp_path):
    """A video's feature file missing: the run stops with one line naming the file."""
    ann, fdir = _toy_dataset(tmp_path)
    os.remove(osp.join(fdir, 'v1_6.npy'))  # a test video of class 1
    config = osp.join(ROOT, 'configs/recognition/bigru_tiny_cpu.py')
    err = _tool_error(tmp_path, config, ann, fdir, num_classes=3)
    assert str(err.value) == (f"error: no features for video 'v1_6': "
                              f"{osp.join(fdir, 'v1_6.npy')} does not exist")


def test_id_list_file_encoding(tmp_path):
    f = tmp_path / 'ids.txt'
    f.write_bytes(b'\xef\xbb\xbfa\r\nb\n')  # Windows editor: byte-order mark and CRLF
    assert read_id_list_file(str(f), ['a', 'b']) == ['a', 'b']
    f.write_bytes(b'a\n\xff\xfeb\n')
    with pytest.raises(ValueError, match=r'ids.txt: not a UTF-8 id_list file'):
        read_id_list_file(str(f), ['a', 'b'])


def test_load_run_refuses_a_record_that_is_not_an_object(tmp_path):
    from vpd_mm.apis.fewshot import _load_run
    want = dict(ids=['a'], seed=0, steps=10, shots=1, inputs='f00d')
    path = tmp_path / 'run.json'
    assert _load_run(str(path), want) is None  # not run yet
    path.write_text(json.dumps(dict(want, top1=0.5)))
    assert _load_run(str(path), want)['top1'] == 0.5
    assert _load_run(str(path), dict(want, seed=1)) is None  # another seed: run again
    assert _load_run(str(path), dict(want, inputs='beef')) is None  # other features: again
    path.write_text('{"ids": ')  # unreadable: run again
    assert _load_run(str(path), want) is None
    for bad, kind in (([want], 'list'), ('done', 'str')):
        path.write_text(json.dumps(bad))
        with pytest.raises(ValueError, match=rf'run.json: not a few-shot run record .*got a '
                           rf'{kind}; delete it'):
            _load_run(str(path), want)
    path.write_text(json.dumps(dict(want, top1='high')))
    with pytest.raises(ValueError, match=r"run.json: top1 must be a number, got 'high'"):
        _load_run(str(path), want)


def test_runs_started_in_the_same_second_log_to_their_own_files(tmp_path, monkeypatch):
    """Audit item 4: mmengine names a runner's logger and visualizer by experiment name and
    start second; two runs of one config starting within one second shared the first run's
    logger (the second run's folder got no .log and no vis_data)."""
    import time

    from mmengine.config import Config

    import vpd_mm.apis.fewshot as fewshot
    ann, fdir = _toy_dataset(tmp_path)
    cfg = Config.fromfile(osp.join(ROOT, 'configs/recognition/dtwnn_tiny_cpu.py'))
    cfg.merge_from_dict(dict(o.split('=', 1) for o in _opts(ann, fdir)))
    strftime = time.strftime
    monkeypatch.setattr(time, 'strftime',  # every runner starts in the same second
                        lambda fmt, *t: '20260101_000000' if fmt == '%Y%m%d_%H%M%S' else
                        strftime(fmt, *t))
    monkeypatch.setattr(fewshot, '_EXPERIMENT_NAMES', Counter())  # names of earlier tests
    ids = [f'v{c}_{i}' for c in range(3) for i in range(2)]
    names = []
    for s in (0, 1, 0):  # the third one reruns the first folder in the same process
        run_dir = tmp_path / 'work' / 'dtwnn_tiny_cpu' / 'k2' / f'subset{s}'
        if s == 0 and run_dir.exists():
            run_dir = tmp_path / 'again' / 'dtwnn_tiny_cpu' / 'k2' / 'subset0'
        fewshot.run_fewshot_subset(cfg, ids, str(run_dir), quiet=True)
        logs = sorted(run_dir.glob('*/*.log'))
        assert [p.relative_to(run_dir).as_posix() for p in logs] == [
            '20260101_000000/20260101_000000.log']
        text = logs[0].read_text()
        assert f"work_dir = '{run_dir}'" in text  # its own run's log, not another's
        assert (run_dir / '20260101_000000' / 'vis_data').is_dir()
        names.append(re.search(r"experiment_name = '([^']+)'", text).group(1))
    assert names == ['dtwnn_tiny_cpu_k2_subset0', 'dtwnn_tiny_cpu_k2_subset1',
                     'dtwnn_tiny_cpu_k2_subset0_2']
