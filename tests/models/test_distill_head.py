# Copyright (c) vpd_mm contributors. All rights reserved.
import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

import vpd_mm.models  # noqa: F401

D = 4


def make_samples(pose, motion, target_valid, motion_valid):
    samples = []
    for i in range(len(pose)):
        sample = ActionDataSample(
            metainfo=dict(frame_dir='v', frame_idx=i, flip=False, flow_scale=(1.0, 1.0)))
        sample.set_field(pose[i], 'pose_target')
        sample.set_field(motion[i], 'motion_target')
        sample.set_field(torch.tensor(target_valid[i]), 'target_valid')
        sample.set_field(torch.tensor(motion_valid[i]), 'motion_valid')
        samples.append(sample)
    return samples


def fixed_batch():
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(4, D, generator=g)
    pose = torch.randn(4, D, generator=g)
    motion = torch.randn(4, D, generator=g)
    return feats, pose, motion


@pytest.mark.parametrize('weights', [(1.0, 1.0), (2.0, 0.5)])
def test_loss_with_motion(weights):
    feats, pose, motion = fixed_batch()
    target_valid, motion_valid = [True, True, False, True], [False, True, False, True]
    head = MODELS.build(
        dict(
            type='VPDDistillHead',
            in_channels=D,
            loss_pose_weight=weights[0],
            loss_motion_weight=weights[1]))
    losses = head.loss(feats, make_samples(pose, motion, target_valid, motion_valid))

    out = head(feats)  # [N, 2d]
    assert out.shape == (4, 2 * D)
    pred_pose, pred_motion = out[:, :D].detach(), out[:, D:].detach()
    expected_pose = sum(((pred_pose[i] - pose[i])**2).sum() for i in (0, 1, 3)) / 3
    expected_motion = sum(((pred_motion[i] - motion[i])**2).sum() for i in (1, 3)) / 2
    torch.testing.assert_close(losses['loss_pose'].detach(), weights[0] * expected_pose)
    torch.testing.assert_close(losses['loss_motion'].detach(), weights[1] * expected_motion)


def test_loss_without_motion():
    feats, pose, motion = fixed_batch()
    head = MODELS.build(dict(type='VPDDistillHead', in_channels=D, with_motion=False))
    assert head.decoder is None and list(head.parameters()) == []
    losses = head.loss(feats, make_samples(pose, motion, [True, False, True, True], [True] * 4))
    assert set(losses) == {'loss_pose'}
    # by hand: the feature itself is the prediction
    expected = (((feats[0] - pose[0])**2).sum() + ((feats[2] - pose[2])**2).sum() +
                ((feats[3] - pose[3])**2).sum()) / 3
    torch.testing.assert_close(losses['loss_pose'], expected)
    pred_pose, pred_motion = head.predict(feats)
    assert pred_motion is None and torch.equal(pred_pose, feats)


def test_no_valid_sample_gives_zero_connected_loss():
    feats, pose, motion = fixed_batch()
    feats.requires_grad_(True)
    head = MODELS.build(dict(type='VPDDistillHead', in_channels=D))
    losses = head.loss(feats, make_samples(pose, motion, [False] * 4, [False] * 4))
    assert losses['loss_pose'].item() == 0 and losses['loss_motion'].item() == 0
    (losses['loss_pose'] + losses['loss_motion']).backward()
    assert feats.grad is not None and torch.all(feats.grad == 0)


def test_predict_splits_pose_and_motion():
    feats, _, _ = fixed_batch()
    head = MODELS.build(dict(type='VPDDistillHead', in_channels=D, hidden_channels=16))
    pose, motion = head.predict(feats)
    out = head(feats)
    assert pose.shape == motion.shape == (4, D)
    assert torch.equal(pose, out[:, :D]) and torch.equal(motion, out[:, D:])
    with pytest.raises(ValueError, match='expects features'):
        head(torch.randn(4, D + 1))
