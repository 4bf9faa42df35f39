"""VIPE*: the encoder, the three modes, the losses, checkpoint shape checks and the configs."""
import glob
import os.path as osp

import pytest
import torch
from mmaction.registry import METRICS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint
from mmengine.structures import BaseDataElement

import vpd_mm  # noqa: F401
import vpd_mm.evaluation.metrics.view_invariance_metric  # noqa: F401
import vpd_mm.models.vipe  # noqa: F401
from vpd_mm.models.vipe import VIPEEncoder

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'vipe', '*.py')))
D, L, H = 16, 7, 32


def build(**kwargs):
    cfg = dict(type='VIPEEmbedder', hidden_channels=H, embed_dim=D, lift_dim=L)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def make_samples(n, neg_valid=None, lift_dim=L, seed=0):
    g = torch.Generator().manual_seed(seed)
    if neg_valid is None:
        neg_valid = [True] * n
    return [
        dict(
            inputs=torch.randn(3, 39, generator=g),
            data_samples=BaseDataElement(
                lift_target=torch.randn(lift_dim, generator=g),
                neg_valid=torch.tensor(bool(v)))) for v in neg_valid
    ]


def test_encoder_layout_and_shapes():
    enc = VIPEEncoder(39, H, D)
    assert isinstance(enc.stem[0], torch.nn.Linear) and enc.stem[0].in_features == 39
    assert len(enc.blocks) == 2
    kinds = [type(m).__name__ for m in enc.blocks[0].layers]
    assert kinds == ['Linear', 'BatchNorm1d', 'ReLU', 'Dropout'] * 2
    assert enc.blocks[0].layers[3].p == 0.2
    assert enc.fc.out_features == D
    enc.eval()
    x = torch.randn(4, 3, 39)
    out = enc(x)
    assert out.shape == (4, 3, D)
    torch.testing.assert_close(out[:, 1], enc(x[:, 1]))
    with pytest.raises(ValueError, match='39'):
        enc(torch.randn(2, 26))


def test_tensor_predict_and_embed():
    model = build()
    data = model.data_preprocessor(pseudo_collate(make_samples(5)))
    assert data['inputs'].shape == (5, 3, 39) and data['inputs'].dtype == torch.float32
    model.eval()
    assert model(data['inputs'][:, 0], mode='tensor').shape == (5, D)
    assert model(data['inputs'], mode='tensor').shape == (5, 3, D)
    preds = model(**data, mode='predict')
    assert len(preds) == 5 and preds[0].pred_embedding.shape == (2, D)
    assert 'lift_target' in preds[0]  # the input samples, with the prediction added
    # embed: eval mode, no gradients, training flag restored
    model.train()
    emb = model.embed(data['inputs'][:, :2].double())
    assert model.training and not emb.requires_grad and emb.dtype == torch.float32
    torch.testing.assert_close(emb[2], preds[2].pred_embedding)
    torch.testing.assert_close(model.embed(data['inputs'][:, :2]), emb)  # no dropout


def test_losses_match_hand_computation():
    model = build(margin=1.5, loss_weights=dict(lift=0.5)).eval()  # eval: no dropout
    valid = [True, False, True, False]
    data = model.data_preprocessor(pseudo_collate(make_samples(4, valid)))
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_pos', 'loss_neg', 'loss_lift'}
    e = model.encoder(data['inputs'])  # [4, 3, D]
    pos = (e[:, 0] - e[:, 1]).norm(dim=-1).mean()
    hinge = (1.5 - (e[:, 0] - e[:, 2]).norm(dim=-1)).clamp(min=0)
    neg = hinge[[0, 2]].mean()  # only the valid negatives
    target = torch.stack([s.lift_target for s in data['data_samples']])
    lift = sum(((model.lift_decoder(e[:, v]) - target)**2).mean() for v in (0, 1)) / 2
    torch.testing.assert_close(losses['loss_pos'], pos)
    torch.testing.assert_close(losses['loss_neg'], neg)
    torch.testing.assert_close(losses['loss_lift'], 0.5 * lift)


def test_no_valid_negative_and_no_lifting():
    model = build(lift_dim=None, margin=100.0)
    assert model.lift_decoder is None
    data = model.data_preprocessor(pseudo_collate(make_samples(3, [False] * 3)))
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_pos', 'loss_neg'}
    assert losses['loss_neg'].item() == 0.0 and losses['loss_neg'].requires_grad
    sum(losses.values()).backward()  # the graph holds


def test_bad_inputs():
    model = build()
    data = model.data_preprocessor(pseudo_collate(make_samples(2, lift_dim=L + 1)))
    with pytest.raises(ValueError, match=f'lift_dim to {L + 1}'):
        model(**data, mode='loss')
    with pytest.raises(ValueError, match=r'\[N, 3, 39\]'):
        model(data['inputs'][:, :2], data['data_samples'], mode='loss')
    with pytest.raises(ValueError, match='data sample'):
        model(data['inputs'], None, mode='loss')
    with pytest.raises(RuntimeError, match='Invalid mode'):
        model(data['inputs'], mode='nope')
    with pytest.raises(ValueError, match='loss_weights'):
        build(loss_weights=dict(triplet=1.0))


def test_train_step_updates_weights():
    model = build()
    optim = build_optim_wrapper(
        model, dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3)))
    before = model.encoder.fc.weight.detach().clone()
    log = model.train_step(pseudo_collate(make_samples(6)), optim)
    assert set(log) == {'loss', 'loss_pos', 'loss_neg', 'loss_lift'}
    assert not torch.equal(before, model.encoder.fc.weight)


def test_load_state_dict_shape_mismatch(tmp_path):
    model, other = build(), build(embed_dim=2 * D)
    with pytest.raises(ValueError, match=rf'encoder\.fc\.weight.*\[{2 * D}, {H}\].*\[{D}, {H}\]'):
        model.load_state_dict(other.state_dict())
    path = tmp_path / 'other.pth'
    torch.save(dict(state_dict=other.state_dict()), path)
    with pytest.raises(ValueError, match=r'embed_dim'):
        load_checkpoint(model, str(path), map_location='cpu')
    # same shapes load
    model.load_state_dict(build().state_dict())


@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
def test_configs_build(config):
    cfg = Config.fromfile(config)
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    # the paper's AdamW 1e-4; the tiny CPU config trains 1000 steps at 2e-3 instead
    assert cfg.optim_wrapper.optimizer.lr == (2e-3 if 'tiny' in config else 1e-4)
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.01
    assert cfg.train_dataloader.batch_size == 100
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    assert cfg.default_hooks.checkpoint.save_best == 'vipe/hit@1'
    assert cfg.default_hooks.checkpoint.rule == 'greater'
    assert cfg.model.embed_dim == 64 and cfg.model.lift_dim == cfg.lift_dim
    assert cfg.train_dataloader.dataset.type == 'VIPEPairDataset'
    # held-out validation: the val split, or (tiny config) sequences of another seed
    val = cfg.val_dataloader.dataset
    assert val.test_mode
    assert val.split == 'val' or val.source.seed != cfg.train_dataloader.dataset.source.seed
    with DefaultScope.overwrite_default_scope('mmaction'):
        if 'tiny' in config:  # the paper-size models are the same code, only wider
            model = MODELS.build(cfg.model)
            data = model.data_preprocessor(
                pseudo_collate(make_samples(4, lift_dim=cfg.model.lift_dim)))
            assert model(**data, mode='predict')[0].pred_embedding.shape == (2, 64)
        metric = METRICS.build(cfg.val_evaluator)
    assert metric.prefix == 'vipe'


def test_tiny_config_with_the_pair_dataset():
    """The data side's contract: a train and a val step on VIPEPairDataset."""
    from mmaction.registry import DATASETS
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'vipe', 'vipe_synthetic_tiny.py'))
    with DefaultScope.overwrite_default_scope('mmaction'):
        dataset = DATASETS.build(cfg.val_dataloader.dataset)
        # the config's lift_dim is the size of the data side's lifting target
        from vpd_mm.datasets.pose3d.geometry import LIFT_DIM
        assert cfg.model.lift_dim == LIFT_DIM == len(dataset[0]['data_samples'].lift_target)
        model = MODELS.build(cfg.model)
        metric = METRICS.build(cfg.val_evaluator)
    batch = pseudo_collate([dataset[i] for i in range(min(8, len(dataset)))])
    assert batch['inputs'][0].shape == (3, 39)
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    assert set(model.train_step(batch, optim)) >= {'loss_pos', 'loss_neg', 'loss_lift'}
    preds = model.val_step(batch)
    metric.process(batch, [p.to_dict() for p in preds])
    result = metric.compute_metrics(metric.results)
    assert set(result) == {'hit@1', 'hit@10', 'raw2d_hit@1', 'raw2d_hit@10'}


def test_lift_decoder_is_the_authors_by_default():
    model = build()
    layers = list(model.lift_decoder)
    kinds = [type(m).__name__ for m in layers]
    assert kinds == ['Linear', 'ReLU', 'Linear', 'ReLU', 'Linear']
    shapes = [tuple(m.weight.shape) for m in layers if isinstance(m, torch.nn.Linear)]
    assert shapes == [(512, D), (512, 512), (L, 512)]  # independent of the encoder width H
    # the earlier one-hidden-layer decoder stays reachable
    old = build(lift_hidden_channels=(1024, ))
    assert [tuple(m.weight.shape) for m in old.lift_decoder
            if isinstance(m, torch.nn.Linear)] == [(1024, D), (L, 1024)]
    e = torch.randn(5, D)
    ref = layers[4](torch.relu(layers[2](torch.relu(layers[0](e)))))
    torch.testing.assert_close(model.lift_decoder(e), ref)
    with pytest.raises(ValueError, match='lift_hidden_channels'):
        build(lift_hidden_channels=())


def test_old_decoder_checkpoint_names_the_setting(tmp_path):
    old = build(lift_hidden_channels=(1024, ))
    with pytest.raises(ValueError, match=r'lift_hidden_channels=\(1024,\)'):
        build().load_state_dict(old.state_dict())
    path = tmp_path / 'old.pth'
    torch.save(dict(state_dict=old.state_dict()), path)
    with pytest.raises(ValueError, match=r'hidden widths \(1024,\).*\(512, 512\)'):
        load_checkpoint(build(), str(path), map_location='cpu')
    # with the old setting it loads, and gives the same lifting
    again = build(lift_hidden_channels=[1024])
    load_checkpoint(again, str(path), map_location='cpu', strict=True)
    e = torch.randn(3, D)
    torch.testing.assert_close(again.lift_decoder(e), old.lift_decoder(e))
