# Copyright (c) vpd_mm contributors. All rights reserved.
"""The authors' warm-restart schedule: periods, learning rate and normalised weight decay."""
import math

import pytest
import torch
from mmaction.registry import PARAM_SCHEDULERS
from mmengine.config import Config

import vpd_mm  # noqa: F401
from vpd_mm.engine.schedulers import warm_restart_position


def test_positions_double_at_every_restart():
    # periods 2, 4, 8: steps 0-1, 2-5, 6-13
    got = [warm_restart_position(s, 2, 2) for s in (0, 1, 2, 5, 6, 13, 14)]
    assert got == [(0, 0, 2), (0, 1, 2), (1, 0, 4), (1, 3, 4), (2, 0, 8), (2, 7, 8), (3, 0, 16)]
    # a non-integer factor rounds each period up: 3, ceil(4.5) = 5, ceil(7.5) = 8
    assert warm_restart_position(8, 3, 1.5) == (2, 0, 8)


def _optimizer():
    return torch.optim.AdamW([torch.nn.Parameter(torch.zeros(3))], lr=1e-3, weight_decay=0.01)


def test_lr_and_weight_decay_follow_the_authors_formula():
    """Epoch-based config converted to iterations: 3 iterations an epoch, first period 2 epochs."""
    opt = _optimizer()
    common = dict(first_period=2, t_mult=2, by_epoch=True, convert_to_iter_based=True)
    lr_s = PARAM_SCHEDULERS.build(
        dict(type='WarmRestartCosineLR', eta_min=1e-7, **common),
        default_args=dict(optimizer=opt, epoch_length=3))
    wd_s = PARAM_SCHEDULERS.build(
        dict(type='WarmRestartWeightDecay', **common),
        default_args=dict(optimizer=opt, epoch_length=3))
    assert not lr_s.by_epoch and lr_s.first_period == 6
    seen = []
    for it in range(20):
        group = opt.param_groups[0]
        seen.append((group['lr'], group['weight_decay']))
        opt.step()
        lr_s.step()
        wd_s.step()
    for it, (lr, wd) in enumerate(seen):
        start, period = (0, 6) if it < 6 else (6, 12) if it < 18 else (18, 24)
        eta = 0.5 * (1 + math.cos(math.pi * (it - start) / period))
        assert lr == pytest.approx(1e-7 + (1e-3 - 1e-7) * eta, rel=1e-9, abs=1e-15), it
        assert wd == pytest.approx(0.01 * eta * math.sqrt(1 / period), rel=1e-9, abs=1e-15), it
    # a restart: the peak again, with the longer period's smaller decay
    assert seen[6][0] == pytest.approx(1e-3) and seen[5][0] < 1e-4
    assert seen[6][1] == pytest.approx(0.01 / math.sqrt(12))


def test_normalised_decay_needs_iterations():
    with pytest.raises(ValueError, match='convert_to_iter_based'):
        PARAM_SCHEDULERS.build(
            dict(type='WarmRestartWeightDecay', first_period=2, by_epoch=True),
            default_args=dict(optimizer=_optimizer()))
    with pytest.raises(ValueError, match='first_period'):
        PARAM_SCHEDULERS.build(
            dict(type='WarmRestartCosineLR', first_period=0, by_epoch=False),
            default_args=dict(optimizer=_optimizer()))


@pytest.mark.parametrize('config,epochs', [('configs/recognition/bigru_2dvpd_fs.py', 500),
                                           ('configs/recognition/bigru_2dvpd_diving48.py', 200)])
def test_paper_configs_use_the_authors_schedule(config, epochs):
    cfg = Config.fromfile(config)
    assert cfg.train_cfg.max_epochs == epochs
    types = [s['type'] for s in cfg.param_scheduler]
    assert types == ['WarmRestartCosineLR', 'WarmRestartWeightDecay']
    assert all(s['first_period'] == epochs // 10 and s['t_mult'] == 2 for s in cfg.param_scheduler)
    assert cfg.param_scheduler[0]['eta_min'] == 1e-7
