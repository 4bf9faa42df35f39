# Copyright (c) vpd_mm contributors. All rights reserved.
import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.optim import OptimWrapper
from mmengine.runner.checkpoint import load_checkpoint

import vpd_mm.models  # noqa: F401

D = 8


def model_cfg(d=D, with_motion=True, **kwargs):
    return dict(
        type='VPDDistiller',
        backbone=dict(type='VPDStudentResNet', depth=18, in_channels=5, out_channels=d),
        head=dict(
            type='VPDDistillHead', in_channels=d, hidden_channels=16, with_motion=with_motion),
        **kwargs)


def make_batch(n=4, d=D, seed=0):
    g = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 256, (5, 32, 32), generator=g, dtype=torch.uint8) for _ in range(n)]
    samples = []
    for i in range(n):
        sample = ActionDataSample(
            metainfo=dict(frame_dir='video', frame_idx=i, flip=False, flow_scale=(1.0, 1.0)))
        sample.set_field(torch.randn(d, generator=g), 'pose_target')
        sample.set_field(torch.randn(d, generator=g) if i else torch.zeros(d), 'motion_target')
        sample.set_field(torch.tensor(True), 'target_valid')
        sample.set_field(torch.tensor(i > 0), 'motion_valid')
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def build(**kwargs):
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(**kwargs))
    model.init_weights()
    return model


def test_modes():
    model = build().eval()
    data = model.data_preprocessor(make_batch())
    feats = model(data['inputs'], mode='tensor')
    assert feats.shape == (4, D)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_pose', 'loss_motion'}
    assert all(torch.isfinite(v) for v in losses.values())
    preds = model(**data, mode='predict')
    assert len(preds) == 4
    for i, pred in enumerate(preds):
        assert pred.pred_feature.shape == (2, D)
        assert pred.pred_pose.shape == pred.pred_motion.shape == (D, )
        torch.testing.assert_close(pred.pred_feature[0], feats[i])
    with pytest.raises(RuntimeError, match='Invalid mode'):
        model(data['inputs'], mode='bad')


def test_predict_flip_view_is_flipped_input():
    model = build().eval()
    data = model.data_preprocessor(make_batch())
    preds = model.test_step(make_batch())
    flipped = model.backbone(model.data_preprocessor.flip(data['inputs']))  # [N, d]
    plain = model.backbone(data['inputs'])
    for i, pred in enumerate(preds):
        torch.testing.assert_close(pred.pred_feature[0], plain[i])
        torch.testing.assert_close(pred.pred_feature[1], flipped[i])
    assert not torch.allclose(flipped, plain)
    pose, motion = model.head.predict(plain)
    torch.testing.assert_close(preds[1].pred_pose, pose[1])
    torch.testing.assert_close(preds[1].pred_motion, motion[1])


def test_predict_without_flip_and_without_motion():
    model = build(with_motion=False, test_cfg=dict(flip=False)).eval()
    preds = model.test_step(make_batch())
    assert preds[0].pred_feature.shape == (1, D)
    assert 'pred_motion' not in preds[0]
    torch.testing.assert_close(preds[0].pred_pose, preds[0].pred_feature[0])


def test_train_steps_lower_loss():
    model = build().train()
    data = make_batch()
    optim = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=3e-3))
    losses = [model.train_step(data, optim)['loss'].item() for _ in range(8)]
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < 0.8 * losses[0], losses


def test_target_dim_mismatch():
    model = build().eval()
    data = model.data_preprocessor(make_batch(d=128))
    with pytest.raises(ValueError, match='targets have d=128 .* outputs d=8'):
        model(**data, mode='loss')
    with pytest.raises(ValueError, match='out_channels'):
        model(**data, mode='predict')
    with pytest.raises(ValueError, match='in_channels'):
        MODELS.build(
            dict(
                type='VPDDistiller',
                backbone=dict(type='VPDStudentResNet', depth=18, out_channels=8),
                head=dict(type='VPDDistillHead', in_channels=26)))


def test_load_state_dict_shape_mismatch(tmp_path):
    small, other = build(), build(d=D * 2)
    with pytest.raises(ValueError, match=r'backbone\.fc\.weight.*\[16, 512\].*\[8, 512\]'):
        small.load_state_dict(other.state_dict())
    # mmengine's checkpoint loader only warns on mismatches: the hook makes it an error too
    path = tmp_path / 'other.pth'
    torch.save(dict(state_dict=other.state_dict()), path)
    with pytest.raises(ValueError, match=r'backbone\.fc\.weight'):
        load_checkpoint(small, str(path), map_location='cpu')
    # same shapes load; missing keys behave as usual (non-strict)
    state = build().state_dict()
    state.pop('head.decoder.0.bias')
    state['backbone.fc.weight'] = torch.randn(D, 512)
    result = small.load_state_dict(state, strict=False)
    assert result.missing_keys == ['head.decoder.0.bias']
    torch.testing.assert_close(small.backbone.fc.weight, state['backbone.fc.weight'])
