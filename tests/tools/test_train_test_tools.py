"""tools/train.py and tools/test.py end to end on a tiny generated corpus (CPU, a few steps)."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

import numpy as np
import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'vpd', '2dvpd_tiny_cpu.py')


def run_tool(*args, check=True):
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    proc = subprocess.run([sys.executable, *args],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n'
                             f'{proc.stderr[-3000:]}')
    return proc


def scalars(work_dir):
    records = []
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            records += [json.loads(line) for line in f if line.strip()]
    return records


@pytest.fixture(scope='module')
def corpus(tmp_path_factory):
    from vpd_mm.synthetic import make_toy_corpus
    root = tmp_path_factory.mktemp('toy')
    return make_toy_corpus(
        str(root), num_videos=6, num_frames=16, crop_size=64, seed=1, progress=False)


def data_options(corpus, batch_size=8):
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [
            f'{loader}.dataset.ann_file={corpus["ann_file"]}',
            f'{loader}.dataset.data_prefix.img={corpus["rawframes"]}',
            f'{loader}.batch_size={batch_size}', f'{loader}.num_workers=0',
            f'{loader}.persistent_workers=False'
        ]
    return opts


@pytest.fixture(scope='module')
def trained(corpus, tmp_path_factory):
    """10 steps with a checkpoint at step 10."""
    work_dir = str(tmp_path_factory.mktemp('work'))
    run_tool('tools/train.py', CONFIG, '--work-dir', work_dir, '--cfg-options',
             'train_cfg.max_iters=10', 'train_cfg.val_interval=10',
             'default_hooks.checkpoint.interval=10', 'default_hooks.logger.interval=2',
             *data_options(corpus))
    return work_dir


def test_train_loss_decreases(corpus, tmp_path):
    work_dir = str(tmp_path / 'work')
    run_tool('tools/train.py', CONFIG, '--work-dir', work_dir, '--cfg-options',
             'train_cfg.max_iters=40', 'train_cfg.val_interval=40',
             'default_hooks.logger.interval=2', 'default_hooks.checkpoint.interval=40',
             'optim_wrapper.optimizer.lr=1e-3', *data_options(corpus))
    train = [r for r in scalars(work_dir) if 'loss_pose' in r]
    # every logger interval (plus the end of each pass over the tiny dataset)
    assert [r['step'] for r in train if r['step'] % 2 == 0] == list(range(2, 41, 2))
    first = np.mean([r['loss'] for r in train[:4]])
    last = np.mean([r['loss'] for r in train[-4:]])
    assert np.isfinite(first) and last < 0.7 * first, (first, last)
    val = [r for r in scalars(work_dir) if 'vpd/total_mse' in r]
    assert val and np.isfinite(val[-1]['vpd/total_mse'])
    assert glob.glob(osp.join(work_dir, 'best_vpd_total_mse_iter_40.pth'))


def test_resume_continues_from_saved_iteration(corpus, trained, tmp_path):
    assert osp.exists(osp.join(trained, 'iter_10.pth'))
    # what a save killed by kill -9 leaves (a dead process's temporary, older than a minute)
    done = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'],
                          capture_output=True, text=True)
    stale = osp.join(trained, f'iter_12.pth.tmp.{int(done.stdout)}')
    with open(stale, 'wb') as f:
        f.write(b'partial')
    os.utime(stale, (time.time() - 3600, ) * 2)
    # (--amp: float16 on a GPU; on a CPU bfloat16 autocast, from the float32 checkpoint)
    proc = run_tool('tools/train.py', CONFIG, '--work-dir', trained, '--resume', '--amp',
                    '--cfg-options', 'train_cfg.max_iters=14', 'train_cfg.val_interval=100',
                    'default_hooks.checkpoint.interval=14', 'default_hooks.logger.interval=2',
                    *data_options(corpus))
    log = proc.stdout + proc.stderr
    assert 'resumed' in log.lower() and 'bfloat16 autocast (AutocastOptimWrapper)' in log
    steps = [r['step'] for r in scalars(trained) if 'loss_pose' in r]
    # the first run logged up to 10, the resumed one from 11 on: nothing restarted from 0
    resumed = steps[steps.index(10) + 1:]
    assert 12 in resumed and 14 in resumed and min(resumed) > 10 and steps.count(2) == 1
    assert osp.exists(osp.join(trained, 'iter_14.pth'))
    assert not osp.exists(stale)  # swept by the rerun


def test_test_prints_metric_and_writes_features(corpus, trained, tmp_path):
    feat_dir = tmp_path / 'features'
    show_dir = tmp_path / 'show'
    proc = run_tool('tools/test.py', CONFIG, osp.join(trained, 'iter_10.pth'), '--work-dir',
                    str(tmp_path / 'test'), '--dump-features', str(feat_dir), '--all-videos',
                    '--show-dir', str(show_dir), '--interval', '8', '--cfg-options',
                    *data_options(corpus))
    log = proc.stdout + proc.stderr
    assert 'vpd/pose_mse' in log and 'vpd/motion_mse' in log
    # audit item 18: how many pictures, and where (every 8th of the 6 x 16 frames)
    pictures = sorted(show_dir.glob('*.jpg'))
    assert len(pictures) == 12
    assert f'--show-dir: wrote 12 pictures to {show_dir} (e.g. {pictures[0].name})' in log
    files = sorted(feat_dir.glob('*.npy'))
    assert len(files) == 6
    for f in files:
        feats = np.load(f)
        assert feats.shape == (16, 2, 26) and feats.dtype == np.float32
        assert np.isfinite(feats).all()
        # the flipped view is a different input, so a different feature
        assert not np.allclose(feats[:, 0], feats[:, 1])
    index = json.loads((feat_dir / 'features.json').read_text())
    assert index['dim'] == 26 and len(index['videos']) == 6
    assert not list(feat_dir.glob('*.tmp*'))


def test_interrupted_dump_resumes_with_the_same_checkpoint_only(corpus, trained, tmp_path):
    """Rerunning a dump skips the videos an interrupted run of the same checkpoint and settings
    wrote; a finished one has nothing left; other settings compute everything again."""
    feat_dir = tmp_path / 'features'

    def dump(*options):
        proc = run_tool('tools/test.py', CONFIG, osp.join(trained, 'iter_10.pth'),
                        '--work-dir', str(tmp_path / 'test'), '--dump-features', str(feat_dir),
                        '--all-videos', '--cfg-options', *data_options(corpus), *options)
        return proc.stdout + proc.stderr

    assert 'features/num_frames: 96' in dump()
    full = {f.name: np.load(f) for f in feat_dir.glob('*.npy')}
    log = (feat_dir / 'dump_log.txt').read_text().splitlines()
    assert sorted(line.split()[0] + '.npy' for line in log) == sorted(full) and len(full) == 6
    # as if killed after 4 videos: 2 files and their log lines missing, no index
    for line in log[4:]:
        os.remove(feat_dir / (line.split()[0] + '.npy'))
    (feat_dir / 'dump_log.txt').write_text(''.join(line + '\n' for line in log[:4]))
    os.remove(feat_dir / 'features.json')
    kept = {f.name: f.stat().st_mtime_ns for f in feat_dir.glob('*.npy')}
    out = dump()
    assert '--dump-features: resuming: 4 videos were written by an earlier run' in out
    assert 'features/num_frames: 32' in out  # the 2 videos left, 16 frames each
    assert {f: (feat_dir / f).stat().st_mtime_ns for f in kept} == kept  # not rewritten
    for name, feats in full.items():
        np.testing.assert_allclose(np.load(feat_dir / name), feats, atol=1e-5)
    index = json.loads((feat_dir / 'features.json').read_text())
    assert len(index['videos']) == 6 and index['dim'] == 26
    # finished: nothing to compute, the index is written again
    os.remove(feat_dir / 'features.json')
    assert '--dump-features: all 6 videos were written already' in dump()
    assert json.loads((feat_dir / 'features.json').read_text()) == index
    # another setting of the test data: every video computed again
    out = dump('test_dataloader.dataset.conf_thr=0.6')
    assert 'resuming' not in out and 'features/num_frames: 96' in out


def test_test_rejects_checkpoint_of_other_dimension(corpus, trained, tmp_path):
    ckpt = osp.join(trained, 'iter_10.pth')
    proc = run_tool(
        'tools/test.py',
        CONFIG,
        ckpt,
        '--work-dir',
        str(tmp_path / 'test'),
        '--cfg-options',
        'model.backbone.out_channels=128',
        'model.head.in_channels=128',
        *data_options(corpus),
        check=False)
    assert proc.returncode != 0
    err = proc.stderr
    assert ckpt in err and '128' in err and '26' in err


def test_missing_checkpoint_is_named(tmp_path):
    proc = run_tool('tools/test.py', CONFIG, str(tmp_path / 'nope.pth'), check=False)
    assert proc.returncode != 0 and 'nope.pth' in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == \
        f'error: checkpoint {tmp_path / "nope.pth"} does not exist'
    assert 'Traceback' not in proc.stderr


@pytest.mark.parametrize('tool', ['train', 'test'])
def test_missing_config_is_one_line(tmp_path, tool):
    """Audit item 19: a config-path typo is one line and exit status 2, no traceback."""
    config = str(tmp_path / 'configs' / '2dvpd_tiny_cpux.py')
    args = [config] if tool == 'train' else [config, str(tmp_path / 'w.pth')]
    proc = run_tool(f'tools/{tool}.py', *args, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f'error: config not found: {config}'


def test_missing_annotation_file_is_one_line(corpus, tmp_path):
    """A data file that is not there stops training with one line naming it."""
    missing = str(tmp_path / 'nope.pkl')
    proc = run_tool('tools/train.py', CONFIG, '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                    *data_options(corpus), f'train_dataloader.dataset.ann_file={missing}',
                    check=False)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert proc.stderr.strip().splitlines()[-1] == \
        f"error: pose annotation file not found: '{missing}'"
    assert 'Traceback' not in proc.stderr


@pytest.mark.parametrize('damage', ['missing', 'corrupt'])
def test_bad_frame_in_a_loader_worker_is_one_line(corpus, trained, tmp_path, damage):
    """A frame file missing or corrupt in the middle of a test run, read by a loader worker
    process (whose error reaches the main process with the worker's traceback in its message):
    one line naming it."""
    import shutil
    rawframes = str(tmp_path / 'rawframes')
    shutil.copytree(corpus['rawframes'], rawframes)
    gone = sorted(glob.glob(osp.join(rawframes, '*', 'flow_y_00009.jpg')))
    assert len(gone) == 6  # in every video: the test split's too
    for path in gone:
        if damage == 'missing':
            os.remove(path)
        else:  # a truncated JPEG: the header only
            with open(path, 'r+b') as f:
                f.truncate(20)
    proc = run_tool('tools/test.py', CONFIG, osp.join(trained, 'iter_10.pth'), '--work-dir',
                    str(tmp_path / 'w'), '--cfg-options', *data_options(corpus),
                    f'test_dataloader.dataset.data_prefix.img={rawframes}',
                    'test_dataloader.num_workers=1', check=False)
    assert proc.returncode == 1, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    prefix = ('error: frame file not found: ' if damage == 'missing' else
              'error: cannot decode image file (corrupt or not an image): ')
    assert last.startswith(prefix) and last[len(prefix):] in gone, last
    assert 'Traceback' not in proc.stderr


def test_test_refuses_checkpoint_of_another_model(corpus, tmp_path):
    """Audit item 1: a checkpoint of another model (here a recognizer's keys) is refused with
    one line naming the checkpoint, the config and a few keys, instead of testing the student's
    random weights."""
    import torch
    ckpt = str(tmp_path / 'bigru.pth')
    torch.save(dict(state_dict={'cls_head.gru.weight_ih_l0': torch.zeros(3, 26),
                                'cls_head.fc.weight': torch.zeros(2, 3)}), ckpt)
    proc = run_tool('tools/test.py', CONFIG, ckpt, '--work-dir', str(tmp_path / 'w'),
                    '--cfg-options', *data_options(corpus), check=False)
    assert proc.returncode == 1, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f'error: {ckpt} is not a checkpoint of {CONFIG} (VPDDistiller): '), last
    assert 'keys missing from it (backbone.' in last
    assert ('it holds 2 keys the model has not (cls_head.gru.weight_ih_l0, cls_head.fc.weight)'
            in last)
    assert 'Traceback' not in proc.stderr and 'vpd/pose_mse' not in proc.stdout + proc.stderr


def test_dump_features_needs_a_student_config(tmp_path):
    """Audit item 7: refused before anything is built, as --show-dir is."""
    config = osp.join(ROOT, 'configs', 'recognition', 'bigru_tiny_cpu.py')
    ckpt = tmp_path / 'w.pth'
    ckpt.write_bytes(b'')
    proc = run_tool('tools/test.py', config, str(ckpt), '--dump-features', str(tmp_path / 'F'),
                    check=False)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f'error: {config}: --dump-features/--dump-poses write the features '
                           'of a VPD student (VPDDistiller'), last
    assert 'Traceback' not in proc.stderr and not (tmp_path / 'F').exists()


def test_checkpoint_opens_weights_only_without_vpd_mm(trained):
    """Issue 16: what tools/train.py writes is tensors and plain data only."""
    code = ('import sys, torch; c = torch.load(sys.argv[1], weights_only=True); '
            "assert not [m for m in sys.modules if m.startswith(('vpd_mm', 'mmengine'))]; "
            "hub = c['message_hub']['log_scalars']; "
            "print(c['meta']['iter'], len(c['state_dict']) > 0, "
            "sorted(next(iter(hub.values()))))")
    proc = subprocess.run([sys.executable, '-c', code, osp.join(trained, 'iter_10.pth')],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ['10', 'True', "['__history_buffer__']"]
    assert not glob.glob(osp.join(trained, '*.tmp.*'))  # written atomically


class _Evil:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


@pytest.mark.parametrize('tool', ['test', 'resume'])
def test_refused_checkpoint_is_one_line(corpus, tmp_path, tool):
    """A checkpoint that pickles code: one line naming the file, no advice to load it
    unrestricted, nothing run."""
    import torch
    marker = tmp_path / 'pwned'
    evil = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict={}, meta=dict(x=_Evil(str(marker)))), evil)
    if tool == 'test':
        args = ['tools/test.py', CONFIG, evil, '--work-dir', str(tmp_path / 'w')]
    else:
        args = ['tools/train.py', CONFIG, '--work-dir', str(tmp_path / 'w'), '--resume', evil]
    proc = run_tool(*args, '--cfg-options', *data_options(corpus), check=False)
    assert proc.returncode == 1, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f'error: {evil}: holds objects a weights-only load refuses ('), last
    assert 'system' in last
    assert 'weights_only=False' not in proc.stdout + proc.stderr
    assert 'Traceback' not in proc.stderr
    assert not marker.exists()


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_dist(env, cmd):
    """Run a 2-process launch; one retry on a fresh port.

    Seen once in many runs on a loaded 2-core machine: a gloo launch that failed without its work
    being wrong (port taken between free_port() and the launch, or an abort at exit). The retry
    keeps CI meaningful; both runs' output is shown if the retry fails too.
    """
    outputs = []
    for _ in range(2):
        proc = subprocess.run(
            cmd, cwd=ROOT, env=dict(env, PORT=str(free_port())), capture_output=True, text=True)
        if proc.returncode == 0:
            return proc
        outputs.append((proc.stdout[-2000:], proc.stderr[-4000:]))
    raise AssertionError(outputs)


def test_dist_train_and_test_two_processes(corpus, trained, tmp_path):
    """tools/dist_*.sh with 2 processes (gloo on CPU): same frames evaluated as one process."""
    env = dict(os.environ, PYTHON=sys.executable, PYTHONWARNINGS='ignore')
    work_dir = str(tmp_path / 'dist')
    proc = run_dist(env, [
        'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir, '--cfg-options',
        'train_cfg.max_iters=4', 'train_cfg.val_interval=4', 'default_hooks.logger.interval=2',
        'default_hooks.checkpoint.interval=4', *data_options(corpus, batch_size=4)
    ])
    assert osp.exists(osp.join(work_dir, 'iter_4.pth'))
    feat_dir = tmp_path / 'features'
    proc = run_dist(env, [
        'bash', 'tools/dist_test.sh', CONFIG,
        osp.join(trained, 'iter_10.pth'), '2', '--work-dir',
        str(tmp_path / 'dist_test'), '--dump-features',
        str(feat_dir), '--all-videos', '--fresh-dump',  # a retry computes every frame again
        '--cfg-options', *data_options(corpus)
    ])
    # every frame of every video once, whatever rank evaluated it
    assert 'features/num_frames: 96' in proc.stdout + proc.stderr
    single = tmp_path / 'single'
    run_tool('tools/test.py', CONFIG, osp.join(trained, 'iter_10.pth'), '--work-dir',
             str(tmp_path / 'single_test'), '--dump-features', str(single), '--all-videos',
             '--cfg-options', *data_options(corpus))
    for f in sorted(single.glob('*.npy')):
        np.testing.assert_allclose(np.load(feat_dir / f.name), np.load(f), atol=1e-4)
