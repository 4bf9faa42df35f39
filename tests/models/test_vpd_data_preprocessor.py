# Copyright (c) vpd_mm contributors. All rights reserved.
import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

import vpd_mm.models  # noqa: F401

MEAN = [86.955, 118.065, 131.58]
STD = [41.565, 43.605, 49.215]


def build():
    return MODELS.build(dict(type='VPDDataPreprocessor', mean=MEAN, std=STD, flow_bound=20.0))


def sample(flow_scale=None):
    metainfo = dict(frame_dir='v', frame_idx=0, flip=False)
    if flow_scale is not None:
        metainfo['flow_scale'] = flow_scale
    return ActionDataSample(metainfo=metainfo)


def test_rgb_normalisation():
    inputs = torch.randint(0, 256, (2, 3, 4, 4), dtype=torch.uint8)
    out = build()(dict(inputs=list(inputs), data_samples=[sample(), sample()]))['inputs']
    assert out.dtype == torch.float32 and out.shape == (2, 3, 4, 4)
    for c in range(3):
        expected = (inputs[:, c].float() - MEAN[c]) / STD[c]
        torch.testing.assert_close(out[:, c], expected)
    # a pixel at the mean is 0, one std above is 1
    pix = torch.tensor(MEAN).round().to(torch.uint8)[:, None, None]  # [3, 1, 1]
    out = build()(dict(inputs=pix[None], data_samples=None))['inputs']
    torch.testing.assert_close(out[0, :, 0, 0],
                               (pix[:, 0, 0].float() - torch.tensor(MEAN)) / torch.tensor(STD))


def test_flow_decoding_with_flow_scale():
    inputs = torch.zeros(2, 5, 1, 2, dtype=torch.uint8)
    inputs[:, 3, 0] = torch.tensor([0, 255], dtype=torch.uint8)  # flow x: -20 px, +20 px
    inputs[:, 4, 0] = torch.tensor([51, 255], dtype=torch.uint8)
    samples = [sample(), sample(flow_scale=(2.0, 0.5))]
    out = build()(dict(inputs=list(inputs), data_samples=samples))['inputs']
    # sample 0: no flow_scale -> (1, 1)
    torch.testing.assert_close(out[0, 3, 0], torch.tensor([-0.5, 0.5]))
    torch.testing.assert_close(out[0, 4, 0], torch.tensor([51 / 255 - 0.5, 0.5]))
    # sample 1: x scaled by 2, y by 0.5
    torch.testing.assert_close(out[1, 3, 0], torch.tensor([-1.0, 1.0]))
    torch.testing.assert_close(out[1, 4, 0], 0.5 * torch.tensor([51 / 255 - 0.5, 0.5]))


def test_video_layout_and_bad_channels():
    # [N, T, C, H, W] as packed for mmaction2's Recognizer2D
    inputs = torch.full((2, 3, 5, 2, 2), 255, dtype=torch.uint8)
    out = build()(dict(inputs=inputs, data_samples=[sample((1.0, 1.0)),
                                                    sample((3.0, 1.0))]))['inputs']
    assert out.shape == (2, 3, 5, 2, 2)
    assert torch.allclose(out[0, :, 3], torch.tensor(0.5))
    assert torch.allclose(out[1, :, 3], torch.tensor(1.5))
    with pytest.raises(ValueError, match='channels'):
        build()(dict(inputs=torch.zeros(1, 4, 2, 2, dtype=torch.uint8), data_samples=None))


def test_flip():
    pre = build()
    x = torch.randn(2, 5, 3, 4)
    flipped = pre.flip(x)
    torch.testing.assert_close(pre.flip(flipped), x)
    torch.testing.assert_close(flipped[:, :3], x[:, :3].flip(-1))
    torch.testing.assert_close(flipped[:, 3], -x[:, 3].flip(-1))
    torch.testing.assert_close(flipped[:, 4], x[:, 4].flip(-1))
    rgb = torch.randn(2, 3, 3, 4)
    torch.testing.assert_close(pre.flip(rgb), rgb.flip(-1))
