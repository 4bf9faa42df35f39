# Copyright (c) vpd_mm contributors. All rights reserved.
"""tools/train.py + tools/test.py on recognition configs (BiGRU, DTW-NN), tiny generated data."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BIGRU = osp.join(ROOT, 'configs', 'recognition', 'bigru_tiny_cpu.py')
DTWNN = osp.join(ROOT, 'configs', 'recognition', 'dtwnn_tiny_cpu.py')


def run_tool(*args, check=True):
    env = dict(os.environ, PYTHONWARNINGS='ignore', OMP_NUM_THREADS='1', NUMBA_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n'
                             f'{proc.stderr[-3000:]}')
    return proc


@pytest.fixture(scope='module')
def feature_set(tmp_path_factory):
    """3 classes of 26-d sequences told apart by their mean; 6 train + 3 test actions each."""
    root = tmp_path_factory.mktemp('feats')
    feat_dir = root / 'features'
    feat_dir.mkdir()
    rng = np.random.default_rng(0)
    actions, videos = [], {}
    for i in range(27):
        label, split = i % 3, ('train' if i < 18 else 'test')
        num = int(rng.integers(5, 9))
        x = 0.3 * rng.standard_normal((num, 2, 26)).astype(np.float32)
        x[..., label] += 3.0
        if i == 20:
            x[:] = np.nan  # a test action without features: predicted as the majority class
        name = f'vid{i:02d}'
        np.save(feat_dir / f'{name}.npy', x)
        videos[name] = dict(fps=25.0, num_frames=num, split=split)
        actions.append(dict(id=name, video=name, start_frame=0, end_frame=num, label=label,
                            split=split))
    ann_file = root / 'actions.json'
    ann = dict(classes=['a', 'b', 'c'], videos=videos, actions=actions)
    ann_file.write_text(json.dumps(ann))
    return str(ann_file), str(feat_dir)


def options(feature_set):
    ann_file, feat_dir = feature_set
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [
            f'{loader}.dataset.ann_file={ann_file}', f'{loader}.dataset.feature_dir={feat_dir}'
        ]
    return opts


def metrics(log):
    assert 'acc/top1' in log and 'acc/top5' in log and 'acc/mean1' in log, log[-2000:]
    line = [ln for ln in log.splitlines() if 'acc/top1' in ln][-1]
    return float(line.split('acc/top1:')[1].split()[0])


def test_bigru_train_then_test(feature_set, tmp_path):
    work_dir = str(tmp_path / 'work')
    run_tool('tools/train.py', BIGRU, '--work-dir', work_dir, '--cfg-options',
             'train_cfg.max_epochs=12', *options(feature_set))
    # the best checkpoint by validation accuracy is kept (3 val actions saturate early, so the
    # accuracy is checked on the last one)
    assert glob.glob(osp.join(work_dir, 'best_acc_top1_epoch_*.pth')), os.listdir(work_dir)
    result = tmp_path / 'bigru.result.json'
    proc = run_tool('tools/test.py', BIGRU, osp.join(work_dir, 'epoch_12.pth'), '--work-dir',
                    str(tmp_path / 'test'), '--result-json', str(result), '--cfg-options',
                    *options(feature_set))
    top1 = metrics(proc.stdout + proc.stderr)
    # 9 test actions, 8 with separable features and one empty (majority class, a tie -> 'a')
    assert top1 >= 0.85, top1
    record = json.loads(result.read_text())
    assert record['task'] == 'recognition' and record['method'] == 'bigru'
    assert abs(record['metrics']['acc/top1'] - top1) < 1e-3


def test_bigru_fewshot_id_list_carves_val_from_ids(feature_set, tmp_path):
    work_dir = str(tmp_path / 'work')
    ids = "['vid00','vid01','vid02','vid03','vid04','vid05']"  # 2 per class
    proc = run_tool('tools/train.py', BIGRU, '--work-dir', work_dir, '--cfg-options',
                    'train_cfg.max_epochs=1', f'train_dataloader.dataset.id_list={ids}',
                    *options(feature_set))
    log = proc.stdout + proc.stderr
    # 3 held out (one per class), 3 left to train on (2 views each)
    assert "split=['train'] views=split: 3 actions -> 6 samples" in log
    assert "split=['val'] views=both: 3 actions -> 3 samples" in log


def test_dtwnn_train_then_test(feature_set, tmp_path):
    work_dir = str(tmp_path / 'work')
    run_tool('tools/train.py', DTWNN, '--work-dir', work_dir, '--cfg-options',
             *options(feature_set))
    ckpt = osp.join(work_dir, 'epoch_1.pth')
    assert osp.exists(ckpt), os.listdir(work_dir)
    proc = run_tool('tools/test.py', DTWNN, ckpt, '--work-dir', str(tmp_path / 'test'),
                    '--cfg-options', *options(feature_set))
    top1 = metrics(proc.stdout + proc.stderr)
    assert top1 >= 0.85, top1


def test_paper_config_trains_with_the_authors_schedule(feature_set, tmp_path):
    """bigru_2dvpd_diving48.py (WarmRestartCosineLR + WarmRestartWeightDecay) for 2 epochs."""
    work_dir = str(tmp_path / 'paper')
    paper = osp.join(ROOT, 'configs', 'recognition', 'bigru_2dvpd_diving48.py')
    run_tool('tools/train.py', paper, '--work-dir', work_dir, '--cfg-options',
             'train_cfg.max_epochs=2', 'model.cls_head.num_classes=3',
             'model.cls_head.in_channels=26', 'default_hooks.logger.interval=1',
             *options(feature_set))
    logs = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    assert logs, os.listdir(work_dir)
    rows = [json.loads(line) for line in open(logs[0]) if '"lr"' in line]
    # fewer training samples (views) than the batch of 50: one iteration an epoch, so the first
    # period (200 // 10 = 20 epochs) is 20 iterations and iteration t has
    # lr = 1e-7 + (1e-3 - 1e-7) (1 + cos(pi t / 20)) / 2
    assert len(rows) >= 2
    for t, row in enumerate(rows[:2]):
        eta = 0.5 * (1 + np.cos(np.pi * t / 20))
        assert row['lr'] == pytest.approx(1e-7 + (1e-3 - 1e-7) * eta, rel=1e-4)
    assert glob.glob(osp.join(work_dir, 'epoch_2.pth')) or glob.glob(
        osp.join(work_dir, 'best_*.pth')), os.listdir(work_dir)
    # issue 16: the checkpoints (optimizer, warm-restart schedulers, best score) hold only what
    # a weights-only load accepts in a process that never imported vpd_mm or mmengine
    code = ('import sys, torch\nfor p in sys.argv[1:]:\n    torch.load(p, weights_only=True)\n'
            "assert not [m for m in sys.modules if m.startswith(('vpd_mm', 'mmengine'))]")
    ckpts = sorted(glob.glob(osp.join(work_dir, '*.pth')))
    proc = subprocess.run([sys.executable, '-c', code, *ckpts], capture_output=True, text=True)
    assert len(ckpts) >= 2 and proc.returncode == 0, proc.stderr[-2000:]


@pytest.mark.parametrize('tool,config,key', [('train', BIGRU, 'model.cls_head.num_classes'),
                                             ('test', BIGRU, 'model.cls_head.num_classes'),
                                             ('train', DTWNN, 'model.num_classes')])
def test_num_classes_of_another_corpus_stops_before_training(feature_set, tmp_path, tool, config,
                                                             key):
    """Issue 16: a 5-class head on the 3-class file stops with both numbers and both files."""
    work_dir = str(tmp_path / 'work')
    if tool == 'train':
        args = ['tools/train.py', config, '--work-dir', work_dir]
    else:
        ckpt = tmp_path / 'any.pth'
        ckpt.write_bytes(b'never read')
        args = ['tools/test.py', config, str(ckpt), '--work-dir', work_dir]
    proc = run_tool(*args, '--cfg-options', f'{key}=5', *options(feature_set), check=False)
    assert proc.returncode == 1, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last == (f'error: {config}: {key}=5 but {feature_set[0]} (train_dataloader) lists 3 '
                    f'classes; set {key}=3 (e.g. --cfg-options {key}=3)'), last
    assert 'Traceback' not in proc.stderr
    assert not glob.glob(osp.join(work_dir, '*.pth'))
