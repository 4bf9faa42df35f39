"""FrameBiGRULocalizer: shapes, exact padding, ignored frames, and it fits a per-frame task."""
import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

import vpd_mm  # noqa: F401


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """A small GRU on a shared CPU: one thread is faster than many competing ones."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def build(**kw):
    torch.manual_seed(0)
    cfg = dict(type='FrameBiGRULocalizer', in_channels=4, hidden_channels=16)
    cfg.update(kw)
    return MODELS.build(cfg)


def batch(model, seqs, labels=None, training=False):
    samples = [ActionDataSample() for _ in seqs]
    if labels is not None:
        for s, lab in zip(samples, labels):
            s.gt_frame_labels = lab
    return model.data_preprocessor(dict(inputs=seqs, data_samples=samples), training)


def test_shapes_and_padding_is_exact():
    model = build().eval()
    a, b = torch.randn(5, 4), torch.randn(9, 4)
    data = batch(model, [a, b])
    assert data['inputs'].shape == (2, 9, 4)
    logits = model(**data, mode='tensor')
    assert logits.shape == (2, 9, 2)
    assert torch.all(logits[0, 5:] == 0)  # padding frames
    preds = model(**data, mode='predict')
    assert [tuple(p.pred_frame_scores.shape) for p in preds] == [(5, 2), (9, 2)]
    torch.testing.assert_close(preds[0].pred_frame_scores.sum(-1), torch.ones(5))
    # the short sequence's scores do not depend on the padding (packed GRU, both directions)
    alone = model(**batch(model, [a]), mode='predict')[0].pred_frame_scores
    torch.testing.assert_close(alone, preds[0].pred_frame_scores, atol=1e-5, rtol=1e-5)
    # changing the padded inputs changes nothing
    data['inputs'][0, 5:] = 100.
    torch.testing.assert_close(model(**data, mode='tensor')[0, :5], logits[0, :5])


def test_loss_ignores_unlabelled_frames():
    model = build(dropout=0., input_dropout=0.).eval()  # eval: BN statistics fixed
    x = [torch.randn(6, 4), torch.randn(4, 4)]
    lab1 = [torch.tensor([0, 1, 1, -1, -1, 0]), torch.tensor([1, 0, -1, 1])]
    lab2 = [torch.tensor([0, 1, 1, -1, -1, 0]), torch.tensor([1, 0, -1, 1])]
    loss1 = model(**batch(model, x, lab1), mode='loss')['loss_cls']
    lab2[0][3] = -1  # unchanged
    loss2 = model(**batch(model, x, lab2), mode='loss')['loss_cls']
    torch.testing.assert_close(loss1, loss2)
    lab3 = [torch.tensor([0, 1, 1, 1, 1, 0]), lab1[1]]  # now two more frames count
    loss3 = model(**batch(model, x, lab3), mode='loss')['loss_cls']
    assert not torch.allclose(loss1, loss3)
    # by hand: mean CE over the labelled frames
    logits = model(**batch(model, x), mode='tensor')
    keep = [(0, i) for i in (0, 1, 2, 5)] + [(1, i) for i in (0, 1, 3)]
    ce = torch.stack([
        torch.nn.functional.cross_entropy(logits[n, t][None], lab1[n][t][None]) for n, t in keep
    ]).mean()
    torch.testing.assert_close(loss1, ce, atol=1e-5, rtol=1e-5)


def test_fits_separable_frames():
    torch.manual_seed(0)
    model = build()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    seqs = [torch.randn(int(n), 4) for n in torch.randint(20, 40, (8, ))]
    labels = [(s[:, 0] > 0).long() for s in seqs]  # class = sign of the first feature
    model.train()
    for _ in range(40):
        loss = model(**batch(model, seqs, labels, True), mode='loss')['loss_cls']
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    preds = model(**batch(model, seqs), mode='predict')
    acc = torch.cat([p.pred_frame_scores.argmax(-1) == lab for p, lab in zip(preds, labels)])
    assert acc.float().mean() > 0.95
