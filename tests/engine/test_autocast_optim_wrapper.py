# Copyright (c) vpd_mm contributors. All rights reserved.
import pytest
import torch
from mmaction.registry import OPTIM_WRAPPERS
from torch import nn

import vpd_mm  # noqa: F401  (registers the wrapper)


def _wrapper(model, **kwargs):
    return OPTIM_WRAPPERS.build(dict(
        type='AutocastOptimWrapper', optimizer=torch.optim.AdamW(model.parameters(), lr=1e-2),
        **kwargs))


def test_forward_runs_in_bfloat16_and_the_model_learns():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    wrapper = _wrapper(model)
    x = torch.randn(256, 8)
    y = x[:, :1] * 2 - x[:, 1:2]
    losses = []
    for _ in range(150):
        with wrapper.optim_context(model):
            out = model(x)
            assert out.dtype == torch.bfloat16  # autocast on the CPU
            loss = (out.float() - y).pow(2).mean()
        wrapper.update_params(loss)
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0]
    # weights, gradients and the optimiser's state stay float32
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert all(s['exp_avg'].dtype == torch.float32 for s in wrapper.optimizer.state.values())
    # outside the context, float32 again
    assert model(x).dtype == torch.float32


def test_options():
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match='dtype'):
        _wrapper(model, dtype='bfloat99')
    with pytest.raises(ValueError, match='device_type'):
        _wrapper(model, device_type='tpu')
    wrapper = _wrapper(model, device_type='cpu', dtype=torch.bfloat16)
    with wrapper.optim_context(model):
        assert model(torch.ones(1, 2)).dtype == torch.bfloat16
