# Copyright (c) vpd_mm contributors. All rights reserved.
"""tools/run_demo.py end to end on a handful of tiny synthetic videos, a few steps per stage."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FEATURES = {'gt_pose2d': 26, 'pose2d': 26, 'vipe': 128, '2dvpd': 26, 'vivpd': 128}


def test_tiny_end_to_end_run_then_rerun_reuses_every_stage(tmp_path):
    data, work = tmp_path / 'data', tmp_path / 'work'
    cmd = [
        sys.executable, 'tools/run_demo.py', '--data-dir', str(data), '--work-dir', str(work),
        '--videos-per-class', '4', '--classes', '1som_tuck', '2som_pike', '--size', '96', '72',
        '--frames', '56', '60', '--iters', '4', '--vipe-iters', '10', '--fewshot-steps', '3',
        '--shots', '2', 'all', '--subsets', '1', '--jobs', '1', '--vivpd'
    ]
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    for i in range(1, 10):
        assert f'[{i}/9]' in proc.stdout

    # every artefact, with the right shapes
    anns = json.loads((data / 'sports' / 'annotations' / 'sports_actions.json').read_text())
    videos = sorted(anns['videos'])
    assert len(videos) >= 6 and {a['split'] for a in anns['actions']} == {'train', 'test'}
    for feat, dim in FEATURES.items():
        arr = np.load(data / 'sports' / 'features' / feat / f'{videos[0]}.npy')
        assert arr.shape == (anns['videos'][videos[0]]['num_frames'], 2, dim), feat
    poses = np.load(work / '2dvpd' / 'poses' / f'{videos[0]}.npy')
    assert poses.shape[1:] == (1, 26) and np.isfinite(poses).all()
    assert (work / 'fewshot' / 'fewshot.png').stat().st_size > 0
    report = (work / 'report.md').read_text()
    for feat in FEATURES:
        assert f'| {feat}: ' in report
    assert '| confident |' in report and 'P@1' in report and 'Wall time' in report
    result = json.loads((work / 'report.json').read_text())
    # BiGRU and DTW 1-NN for every feature type, k = 2 and all
    runs = [(r['method'], r['features'], r['shots']) for r in result['fewshot']]
    assert sorted(runs, key=str) == sorted([(m, f, k) for m in ('bigru', 'dtwnn')
                                            for f in FEATURES for k in (2, 'all')], key=str)
    names = {c['name'] for c in result['checks']}
    assert {'gt_k2_bigru', 'unconfident_error', 'bigru_2dvpd_kall', 'dtwnn_vivpd_k2'} <= names
    assert set(result['stage_seconds']) == {'corpus', 'prepare', 'teachers', 'vipe', 'distill',
                                            'features', 'pose_error', 'fewshot', 'retrieval'}

    # a rerun trains nothing again
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert 'tools/train.py' not in proc.stdout and 'tools/data/prepare.py' not in proc.stdout
    assert proc.stdout.count('reusing') >= 5

    # another --seed on the same data dir: one line, the corpus untouched
    before = sorted(os.listdir(data / 'raw' / 'sports' / 'videos'))
    proc = subprocess.run(cmd + ['--seed', '1'], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr
    assert "holds a sports corpus made with other arguments" in proc.stderr
    assert "'seed': (0, 1)" in proc.stderr and 'Add --fresh to start over' in proc.stderr
    assert sorted(os.listdir(data / 'raw' / 'sports' / 'videos')) == before
