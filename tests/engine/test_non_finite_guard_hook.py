# Copyright (c) vpd_mm contributors. All rights reserved.
"""NonFiniteGuardHook in a real mmengine Runner with a one-layer model (CPU, a second).

The end-to-end case (tools/train.py, the tiny student, lr 1e12) is in
tests/tools/test_non_finite_loss.py.
"""
import glob
import os.path as osp

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import Dataset

import vpd_mm  # noqa: F401  (registers the hook)
from vpd_mm.engine.hooks.non_finite_guard_hook import NonFiniteGuardHook, non_finite_tensors


class _Points(Dataset):
    """x -> 2 x; sample ``nan_at`` (if any) has a NaN input."""

    def __init__(self, n=8, nan_at=None):
        self.x = torch.linspace(-1, 1, n)[:, None]
        if nan_at is not None:
            self.x[nan_at] = float('nan')

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return dict(inputs=self.x[i], targets=2 * self.x[i])


class _Linear(BaseModel):
    """y = w x + b; with ``poison_at``, that training step leaves NaN in ``w`` but reports the
    finite loss it computed (as a non-finite gradient would)."""

    def __init__(self, poison_at=None):
        super().__init__()
        self.fc = nn.Linear(1, 1)
        self.poison_at, self.steps = poison_at, 0

    def forward(self, inputs, targets=None, mode='tensor'):
        out = self.fc(torch.stack(list(inputs)) if isinstance(inputs, list) else inputs)
        if mode == 'loss':
            targets = torch.stack(list(targets)) if isinstance(targets, list) else targets
            return dict(loss=(out - targets).pow(2).mean())
        return out

    def train_step(self, data, optim_wrapper):
        log_vars = super().train_step(data, optim_wrapper)
        self.steps += 1
        if self.steps == self.poison_at:
            with torch.no_grad():
                self.fc.weight.fill_(float('nan'))
        return log_vars


def _runner(tmp_path, model, dataset, max_iters=6, **hook_kwargs):
    return Runner(
        model=model,
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=dataset, sampler=dict(type='DefaultSampler', shuffle=False),
                              batch_size=1, num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=False,
                                           max_keep_ckpts=2),
                           logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[dict(type='NonFiniteGuardHook', **hook_kwargs)],
        default_scope='mmaction')


def _saved(tmp_path):
    return sorted(osp.basename(p) for p in glob.glob(str(tmp_path / 'iter_*.pth')))


def _assert_finite(tmp_path):
    for path in glob.glob(str(tmp_path / '*.pth')):
        state = torch.load(path, map_location='cpu', weights_only=False)['state_dict']
        assert non_finite_tensors(state.items()) == [], path


def test_nan_loss_stops_before_its_checkpoint(tmp_path):
    runner = _runner(tmp_path, _Linear(), _Points(nan_at=3))  # the 4th iteration's input
    with pytest.raises(FloatingPointError, match=r'iteration 4: the training loss is not '
                       r'finite \(loss=nan\).*last checkpoint is .*iter_3\.pth'):
        runner.train()
    # kept: iteration 2 and 3 (max_keep_ckpts=2); nothing of iteration 4, nothing rotated out
    assert _saved(tmp_path) == ['iter_2.pth', 'iter_3.pth']
    _assert_finite(tmp_path)


def test_non_finite_weights_with_a_finite_loss(tmp_path):
    runner = _runner(tmp_path, _Linear(poison_at=2), _Points())
    with pytest.raises(FloatingPointError, match=r'iteration 2: 1 parameters hold NaN.*fc\.weight'):
        runner.train()
    assert _saved(tmp_path) == ['iter_1.pth']
    _assert_finite(tmp_path)


def test_checkpoint_with_nan_is_never_written(tmp_path):
    """Without the per-iteration weight check, the checkpoint itself is refused."""
    runner = _runner(tmp_path, _Linear(poison_at=2), _Points(), check_weights=False)
    with pytest.raises(FloatingPointError, match=r'refusing to save the checkpoint of iteration '
                       r'2: 1 of its tensors.*state_dict\.fc\.weight'):
        runner.train()
    assert _saved(tmp_path) == ['iter_1.pth']
    _assert_finite(tmp_path)


def test_interval_and_arguments():
    with pytest.raises(ValueError, match='interval'):
        NonFiniteGuardHook(interval=0)
    assert NonFiniteGuardHook.priority == 'ABOVE_NORMAL'
    assert non_finite_tensors([('a', torch.ones(2)), ('b', torch.tensor([1, 2])),
                               ('c', torch.tensor([float('inf')]))]) == ['c']


def test_default_runtime_enables_the_guard():
    from mmengine.config import Config
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    cfg = Config.fromfile(osp.join(root, 'configs', 'vpd', '2dvpd_tiny_cpu.py'))
    assert dict(type='NonFiniteGuardHook', interval=1) in cfg.custom_hooks
