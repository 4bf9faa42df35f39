# Copyright (c) vpd_mm contributors. All rights reserved.
"""tools/train.py with a learning rate of 1e12 on the tiny student: the loss turns NaN at the
second step, the run must stop there with a non-zero exit and no checkpoint may hold NaN/inf."""
import glob
import os
import os.path as osp
import re
import subprocess
import sys

import torch

import vpd_mm  # noqa: F401  (weights-only loading of mmengine checkpoints)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'vpd', '2dvpd_tiny_cpu.py')


def test_nan_loss_stops_training_without_a_nan_checkpoint(tmp_path):
    from vpd_mm.synthetic import make_toy_corpus
    corpus = make_toy_corpus(str(tmp_path / 'toy'), num_videos=4, num_frames=8, crop_size=64,
                             seed=1, progress=False)
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.dataset.ann_file={corpus["ann_file"]}',
                 f'{loader}.dataset.data_prefix.img={corpus["rawframes"]}',
                 f'{loader}.batch_size=4', f'{loader}.num_workers=0',
                 f'{loader}.persistent_workers=False']
    work_dir = str(tmp_path / 'work')
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', CONFIG, '--work-dir', work_dir, '--cfg-options',
         'optim_wrapper.optimizer.lr=1e12', 'train_cfg.max_iters=6', 'train_cfg.val_interval=100',
         'default_hooks.checkpoint.interval=1', 'default_hooks.checkpoint.max_keep_ckpts=10',
         'default_hooks.logger.interval=1', *opts],
        cwd=ROOT, env=dict(os.environ, PYTHONWARNINGS='ignore'), capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0, log[-3000:]
    m = re.search(r'FloatingPointError: iteration (\d+): the training loss is not finite', log)
    assert m, log[-3000:]
    failed = int(m.group(1))
    assert 1 < failed <= 6
    saved = sorted(glob.glob(osp.join(work_dir, '*.pth')))
    steps = sorted(int(re.search(r'iter_(\d+)\.pth', p).group(1)) for p in saved)
    assert steps == list(range(1, failed)), saved  # every earlier one, none of the NaN step
    for path in saved:
        state = torch.load(path, map_location='cpu', weights_only=True)['state_dict']
        for name, value in state.items():
            if value.is_floating_point():
                assert torch.isfinite(value).all(), (path, name)
