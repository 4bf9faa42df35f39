# Copyright (c) vpd_mm contributors. All rights reserved.
"""BiGRUHead: shapes, padding ignored, and it fits a tiny separable set."""
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.registry import DefaultScope

import vpd_mm  # noqa: F401


def build_head(**kwargs):
    cfg = dict(type='BiGRUHead', num_classes=3, in_channels=5, hidden_channels=8, fc_channels=16)
    cfg.update(kwargs)
    with DefaultScope.overwrite_default_scope('mmaction'):
        return MODELS.build(cfg)


def test_shapes_and_padding_is_ignored():
    torch.manual_seed(0)
    head = build_head().eval()
    assert head.gru.hidden_size == 8 and head.gru.num_layers == 2 and head.gru.bidirectional
    x = torch.randn(4, 7, 5)
    scores = head(x, lengths=torch.tensor([7, 3, 1, 5]))
    assert scores.shape == (4, 3)
    # garbage after the valid length changes nothing
    y = x.clone()
    y[1, 3:] = 100.0
    torch.testing.assert_close(head(y, lengths=torch.tensor([7, 3, 1, 5])), scores)
    # the same sequence alone, unpadded
    torch.testing.assert_close(head(x[1:2, :3]), scores[1:2], atol=1e-5, rtol=1e-5)
    # paper defaults
    full = build_head(hidden_channels=128, fc_channels=256)
    assert full.fc1.in_features == 256 and full.fc_cls.in_features == 256
    assert full.input_dropout.p == 0.2 and full.drop1.p == 0.5


def test_fits_tiny_separable_set():
    torch.manual_seed(0)
    torch.set_num_threads(1)  # tiny matrices: threads only add overhead
    n, t = 24, 6
    labels = torch.arange(n) % 3
    x = 0.3 * torch.randn(n, t, 5)
    x[:, :, 0] += (labels.float() - 1.0)[:, None]  # the class is in the mean of feature 0
    lengths = torch.randint(2, t + 1, (n, ))
    samples = []
    for lab in labels:
        s = ActionDataSample()
        s.set_gt_label(int(lab))
        samples.append(s)
    head = build_head(input_dropout=0.0, dropout=0.0)
    opt = torch.optim.AdamW(head.parameters(), lr=1e-2)
    losses = []
    for _ in range(40):
        head.train()
        loss = head.loss(x, samples, lengths=lengths)['loss_cls']
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0], losses
    head.eval()
    with torch.no_grad():
        pred = head(x, lengths=lengths).argmax(1)
    assert (pred == labels).all()


def test_batch_of_one_trains():
    head = build_head().train()
    s = ActionDataSample()
    s.set_gt_label(1)
    loss = head.loss(torch.randn(1, 4, 5), [s])['loss_cls']
    loss.backward()
    assert torch.isfinite(loss)
