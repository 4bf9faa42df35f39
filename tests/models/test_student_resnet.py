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


def test_adapt_first_conv_weight_hand_checked():
    # out = 2 kernels of 1x1 over R, G, B: the mean of (1, 2, 6) is 3, of (-3, 0, 0) is -1
    weight = torch.tensor([[1., 2., 6.], [-3., 0., 0.]]).reshape(2, 3, 1, 1)
    mean = adapt_first_conv_weight(weight, 5)  # the paper's: the RGB mean on all 5 channels
    assert mean.shape == (2, 5, 1, 1)
    torch.testing.assert_close(mean[:, :, 0, 0], torch.tensor([[3.] * 5, [-1.] * 5]))
    keep = adapt_first_conv_weight(weight, 5, mode='keep_rgb')
    torch.testing.assert_close(keep[:, :, 0, 0],
                               torch.tensor([[1., 2., 6., 3., 3.], [-3., 0., 0., -1., -1.]]))
    # fewer than 3 channels: the mean everywhere, in both modes; 3 channels: kept as is
    for mode in ('mean', 'keep_rgb'):
        torch.testing.assert_close(
            adapt_first_conv_weight(weight, 2, mode=mode)[:, :, 0, 0],
            torch.tensor([[3., 3.], [-1., -1.]]))
        assert torch.equal(adapt_first_conv_weight(weight, 3, mode=mode), weight)
    with pytest.raises(ValueError, match='mode'):
        adapt_first_conv_weight(weight, 5, mode='zeros')
    with pytest.raises(ValueError, match='RGB kernel'):
        adapt_first_conv_weight(torch.randn(64, 5, 7, 7), 5)


def test_adapt_first_conv_weight_7x7():
    weight = torch.randn(64, 3, 7, 7)
    mean = weight.mean(dim=1)  # [64, 7, 7]
    five = adapt_first_conv_weight(weight, 5)
    for c in range(5):
        torch.testing.assert_close(five[:, c], mean)
    keep = adapt_first_conv_weight(weight, 5, mode='keep_rgb')
    torch.testing.assert_close(keep[:, :3], weight)
    torch.testing.assert_close(keep[:, 4], mean)


def test_bad_first_conv_init():
    with pytest.raises(ValueError, match='first_conv_init'):
        VPDStudentResNet(depth=18, first_conv_init='rgb')


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
    rgb_mean = rgb['conv1.weight'].mean(dim=1)  # [64, 7, 7]
    for c in range(5):  # the default is the paper's: the RGB mean on every channel
        torch.testing.assert_close(conv1[:, c], rgb_mean)
    torch.testing.assert_close(model.layer3[1].conv2.weight.detach(), rgb['layer3.1.conv2.weight'])
    torch.testing.assert_close(model.bn1.running_var, rgb['bn1.running_var'])
    # the ImageNet classifier [1000, 512] does not fit the projection [26, 512]: kept random
    torch.testing.assert_close(model.fc.weight.detach(), fc_before)

    skipped = VPDStudentResNet(depth=18, in_channels=5, out_channels=26).load_pretrained(str(path))
    assert set(skipped) == {'fc.weight', 'fc.bias'}


@pytest.mark.parametrize('channels_last', [False, True])
def test_load_rgb_checkpoint_keep_rgb(tmp_path, channels_last):
    torch.manual_seed(0)
    rgb = torchvision.models.resnet18(weights=None).state_dict()
    path = tmp_path / 'resnet18_rgb.pth'
    torch.save(rgb, path)
    model = MODELS.build(
        dict(type='VPDStudentResNet', depth=18, in_channels=5, out_channels=26,
             pretrained=str(path), first_conv_init='keep_rgb', channels_last=channels_last))
    model.init_weights()
    conv1 = model.conv1.weight.detach()
    torch.testing.assert_close(conv1[:, :3], rgb['conv1.weight'])
    torch.testing.assert_close(conv1[:, 3], rgb['conv1.weight'].mean(dim=1))
    torch.testing.assert_close(conv1[:, 4], rgb['conv1.weight'].mean(dim=1))
    assert conv1.is_contiguous(memory_format=torch.channels_last) == channels_last
    x = torch.randn(2, 5, 32, 32)
    assert model(x).shape == (2, 26)


def test_base_channels_with_first_conv_init(tmp_path):
    # a half-width student cannot take ImageNet weights of width 64: nothing of them fits, the
    # first conv (adapted to 5 channels, 64 kernels) is skipped like every other tensor
    rgb = torchvision.models.resnet18(weights=None).state_dict()
    path = tmp_path / 'resnet18_rgb.pth'
    torch.save(rgb, path)
    model = VPDStudentResNet(depth=18, in_channels=5, out_channels=8, base_channels=32,
                             first_conv_init='keep_rgb', channels_last=True)
    before = model.conv1.weight.detach().clone()
    skipped = model.load_pretrained(str(path))
    assert 'conv1.weight' in skipped
    torch.testing.assert_close(model.conv1.weight.detach(), before)
    assert model(torch.randn(2, 5, 32, 32)).shape == (2, 8)
