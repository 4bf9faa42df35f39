"""FrameSequenceLabeler + FrameBiGRUHead (temporal detection): shapes, exact padding, ignored
frames, it fits a per-frame task, another head swaps in by config, and the deprecated
FrameBiGRULocalizer builds the same network (same initialisation, same logits, old checkpoints
load)."""
import warnings

import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.model import BaseModule
from torch import nn

import vpd_mm  # noqa: F401
from vpd_mm.models.temporal_detectors import FrameSequenceLabeler, convert_frame_bigru_state_dict


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """A small GRU on a shared CPU: one thread is faster than many competing ones."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def build(class_weight=None, **kw):
    torch.manual_seed(0)
    head = dict(type='FrameBiGRUHead', in_channels=4, hidden_channels=16)
    head.update(kw)
    return MODELS.build(dict(type='FrameSequenceLabeler', head=head, class_weight=class_weight))


def build_old(**kw):
    torch.manual_seed(0)
    cfg = dict(type='FrameBiGRULocalizer', in_channels=4, hidden_channels=16)
    cfg.update(kw)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        model = MODELS.build(cfg)
    assert any(issubclass(w.category, DeprecationWarning) and 'FrameSequenceLabeler' in
               str(w.message) for w in caught)
    return model


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


def test_head_checks_its_input():
    head = build().head
    with pytest.raises(ValueError, match=r'FrameBiGRUHead expects inputs \[N, L, 4\]'):
        head(torch.zeros(2, 5, 3))
    with pytest.raises(ValueError, match=r'lengths must be 2 values in \[1, 5\]'):
        head(torch.zeros(2, 5, 4), torch.tensor([5, 6]))


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


class _FrameLinearHead(BaseModule):
    """A per-frame linear head (no context): logits = x W^T + b, zeros at padding."""

    def __init__(self, in_channels: int, num_classes: int = 2) -> None:
        super().__init__()
        self.in_channels, self.num_classes = in_channels, num_classes
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x, lengths):
        valid = torch.arange(x.shape[1])[None] < lengths[:, None]
        return self.fc(x) * valid[..., None]


def test_another_head_swaps_in_by_config():
    name = '_TestFrameLinearHead'
    if name not in MODELS.module_dict:
        MODELS.register_module(name=name, module=_FrameLinearHead)
    model = MODELS.build(
        dict(type='FrameSequenceLabeler', head=dict(type=name, in_channels=3),
             class_weight=[1., 3.]))
    x = [torch.randn(4, 3), torch.randn(2, 3)]
    labels = [torch.tensor([1, 0, -1, 1]), torch.tensor([0, 1])]
    loss = model(**batch(model, x, labels), mode='loss')['loss_cls']
    # by hand: weighted mean CE of the linear head over the 5 labelled frames
    w, b = model.head.fc.weight, model.head.fc.bias
    rows = [(0, 0), (0, 1), (0, 3), (1, 0), (1, 1)]
    logits = torch.stack([x[n][t] @ w.T + b for n, t in rows])
    target = torch.stack([labels[n][t] for n, t in rows])
    want = torch.nn.functional.cross_entropy(logits, target, weight=torch.tensor([1., 3.]))
    torch.testing.assert_close(loss, want)
    preds = model(**batch(model, x), mode='predict')
    torch.testing.assert_close(preds[1].pred_frame_scores, (x[1] @ w.T + b).softmax(-1))
    with pytest.raises(ValueError, match='3 class weights for 2 classes'):
        FrameSequenceLabeler(head=dict(type=name, in_channels=3), class_weight=[1., 1., 1.])
    with pytest.raises(TypeError, match='head Linear has no attribute in_channels or num_'):
        FrameSequenceLabeler(head=nn.Linear(3, 2))


def test_deprecated_localizer_is_the_same_network():
    old, new = build_old(num_layers=1), build(num_layers=1)
    assert isinstance(old, FrameSequenceLabeler) and type(old.head) is type(new.head)
    # same layers created in the same order: same initialisation for the same seed
    old_sd, new_sd = old.state_dict(), new.state_dict()
    assert list(old_sd) == list(new_sd)
    for key in new_sd:
        torch.testing.assert_close(old_sd[key], new_sd[key], rtol=0, atol=0)
    x = [torch.randn(7, 4), torch.randn(3, 4)]
    old.eval(), new.eval()
    torch.testing.assert_close(old(**batch(old, x), mode='tensor'),
                               new(**batch(new, x), mode='tensor'), rtol=0, atol=0)


def test_old_checkpoint_keys_load_into_the_new_model():
    """A FrameBiGRULocalizer checkpoint (keys gru.*, classifier.*, class_weight) loads as is."""
    src = build(class_weight=[1., 2.])
    torch.manual_seed(1)
    for p in src.parameters():
        p.data.normal_()
    src.head.classifier[0].running_mean.uniform_()
    # the old layout: the head's modules at the top level
    old_sd = {k[len('head.'):] if k.startswith('head.') else k: v.clone()
              for k, v in src.state_dict().items()}
    assert 'gru.weight_ih_l0' in old_sd and 'classifier.0.running_mean' in old_sd
    old_sd['class_weight'] = torch.tensor([1., 5.])
    dst = build(class_weight=[1., 1.])  # another initialisation (seed 0, not the values above)
    dst.load_state_dict(old_sd, strict=True)
    assert dst.class_weight.tolist() == [1., 5.]
    x = [torch.randn(6, 4)]
    src.eval(), dst.eval()
    torch.testing.assert_close(dst(**batch(dst, x), mode='tensor'),
                               src(**batch(src, x), mode='tensor'), rtol=0, atol=0)
    # the mapping itself, with a prefix (a model inside a wrapper)
    mapped = convert_frame_bigru_state_dict(
        {'module.gru.bias_hh_l0': 1, 'module.class_weight': 2, 'module.head.gru.x': 3},
        prefix='module.')
    assert mapped == {'module.head.gru.bias_hh_l0': 1, 'module.class_weight': 2,
                      'module.head.gru.x': 3}


def test_old_import_paths():
    import importlib
    import sys

    from vpd_mm.models import FrameBiGRULocalizer, FrameSequenceDataPreprocessor
    for name in [m for m in sys.modules if m.startswith('vpd_mm.models.localizers')]:
        sys.modules.pop(name)
    with pytest.warns(DeprecationWarning, match='import vpd_mm.models.temporal_detectors'):
        importlib.import_module('vpd_mm.models.localizers.frame_bigru')
    from vpd_mm.models.localizers import FrameBiGRULocalizer as Old
    from vpd_mm.models.localizers.frame_sequence_preprocessor import \
        FrameSequenceDataPreprocessor as OldPre
    assert Old is FrameBiGRULocalizer and OldPre is FrameSequenceDataPreprocessor
    assert MODELS.get('FrameBiGRULocalizer') is FrameBiGRULocalizer
