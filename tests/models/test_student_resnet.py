# Copyright (c) vpd_mm contributors. All rights reserved.
import pytest
import torch
import torchvision
from mmaction.registry import MODELS

import vpd_mm.models  # noqa: F401
from vpd_mm.models.backbones import VPDStudentResNet, adapt_first_conv_weight


@pytest.mark.parametrize('depth', [18, 34])
@pytest.mark.parametrize('in_channels', [3, 5])
def test_output_shape(depth, in_channels):
    model = MODELS.build(
        dict(type='VPDStudentResNet', depth=depth, in_channels=in_channels, out_channels=26))
    model.init_weights()
    out = model(torch.randn(2, in_channels, 64, 64))
    assert out.shape == (2, 26)
    assert model.conv1.weight.shape == (64, in_channels, 7, 7)


def test_no_projection_returns_pooled_features():
    model = VPDStudentResNet(depth=18, in_channels=5, out_channels=None)
    assert model.out_channels == 512
    assert model(torch.randn(2, 5, 64, 64)).shape == (2, 512)


def test_depth50_builds():
    model = VPDStudentResNet(depth=50, out_channels=None)
    assert model.feat_dim == model.out_channels == 2048
    assert model.layer4[-1].conv3.out_channels == 2048


def test_bad_depth():
    with pytest.raises(ValueError, match='depth'):
        VPDStudentResNet(depth=20)


def test_norm_eval():
    model = VPDStudentResNet(depth=18, norm_eval=True).train()
    assert model.training and not model.bn1.training and not model.layer3[0].bn2.training


def test_adapt_first_conv_weight():
    weight = torch.randn(64, 3, 7, 7)
    mean = weight.mean(dim=1)
    five = adapt_first_conv_weight(weight, 5)
    assert five.shape == (64, 5, 7, 7)
    torch.testing.assert_close(five[:, :3], weight)
    torch.testing.assert_close(five[:, 3], mean)
    torch.testing.assert_close(five[:, 4], mean)
    assert torch.equal(adapt_first_conv_weight(weight, 3), weight)
    two = adapt_first_conv_weight(weight, 2)
    torch.testing.assert_close(two, mean[:, None].expand(64, 2, 7, 7))
    with pytest.raises(ValueError):
        adapt_first_conv_weight(torch.randn(64, 5, 7, 7), 5)


@pytest.mark.parametrize('wrap', ['plain', 'state_dict', 'prefixed'])
def test_load_rgb_checkpoint(tmp_path, wrap):
    torch.manual_seed(0)
    rgb = torchvision.models.resnet18(weights=None).state_dict()
    ckpt = rgb
    if wrap == 'state_dict':
        ckpt = dict(state_dict=rgb, meta=dict(note='fake'))
    elif wrap == 'prefixed':
        ckpt = dict(state_dict={f'module.backbone.{k}': v for k, v in rgb.items()})
        ckpt['state_dict']['module.cls_head.fc_cls.weight'] = torch.zeros(400, 512)
    path = tmp_path / 'resnet18_rgb.pth'
    torch.save(ckpt, path)

    model = VPDStudentResNet(depth=18, in_channels=5, out_channels=26, pretrained=str(path))
    fc_before = model.fc.weight.detach().clone()
    model.init_weights()

    conv1 = model.conv1.weight.detach()
    torch.testing.assert_close(conv1[:, :3], rgb['conv1.weight'])
    torch.testing.assert_close(conv1[:, 3], rgb['conv1.weight'].mean(dim=1))
    torch.testing.assert_close(conv1[:, 4], rgb['conv1.weight'].mean(dim=1))
    torch.testing.assert_close(model.layer3[1].conv2.weight.detach(), rgb['layer3.1.conv2.weight'])
    torch.testing.assert_close(model.bn1.running_var, rgb['bn1.running_var'])
    # the ImageNet classifier [1000, 512] does not fit the projection [26, 512]: kept random
    torch.testing.assert_close(model.fc.weight.detach(), fc_before)

    skipped = VPDStudentResNet(depth=18, in_channels=5, out_channels=26).load_pretrained(str(path))
    assert set(skipped) == {'fc.weight', 'fc.bias'}
