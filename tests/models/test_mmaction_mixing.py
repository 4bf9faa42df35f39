# Copyright (c) vpd_mm contributors. All rights reserved.
"""The student backbone used inside mmaction2's TSN (Recognizer2D) from a config file."""
import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope

import vpd_mm.models  # noqa: F401

TSN_BASE = ('mmaction::recognition/tsn/'
            'tsn_imagenet-pretrained-r50_8xb32-1x1x3-100e_kinetics400-rgb.py')
NUM_CLASSES = 5

# only the backbone and the head's input change; everything else is TSN's
CONFIG = """
_base_ = ['{base}']
custom_imports = dict(imports=['vpd_mm'], allow_failed_imports=False)
model = dict(
    backbone=dict(_delete_=True, type='VPDStudentResNet', depth=18, in_channels={channels},
                  out_channels=32),
    cls_head=dict(in_channels=32, spatial_type=None, num_classes={num_classes}),{extra})
"""
RGB_CONFIG = CONFIG.format(base=TSN_BASE, channels=3, num_classes=NUM_CLASSES, extra='')
# RGB + flow: the VPD preprocessor normalises [N, T, 5, H, W] as Recognizer2D packs them
FLOW_CONFIG = CONFIG.format(
    base=TSN_BASE,
    channels=5,
    num_classes=NUM_CLASSES,
    extra="""
    data_preprocessor=dict(
        _delete_=True, type='VPDDataPreprocessor', mean=[86.955, 118.065, 131.58],
        std=[41.565, 43.605, 49.215]),""")


def build_from_file(tmp_path, text):
    path = tmp_path / 'tsn_vpd_student.py'
    path.write_text(text)
    cfg = Config.fromfile(str(path))
    assert cfg.model.backbone == dict(
        type='VPDStudentResNet',
        depth=18,
        in_channels=cfg.model.backbone.in_channels,
        out_channels=32)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def make_batch(channels, num_videos=2, num_segs=3):
    g = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for i in range(num_videos):
        # [num_segs, C, H, W] per video, as FormatShape('NCHW') packs a TSN clip
        inputs.append(
            torch.randint(0, 256, (num_segs, channels, 64, 64), generator=g, dtype=torch.uint8))
        sample = ActionDataSample(metainfo=dict(flow_scale=(1.0, 1.0)))
        samples.append(sample.set_gt_label(i % NUM_CLASSES))
    return dict(inputs=inputs, data_samples=samples)


@pytest.mark.parametrize(
    'channels,text', [(3, RGB_CONFIG), (5, FLOW_CONFIG)], ids=['rgb', 'rgb+flow'])
def test_tsn_with_student_backbone(tmp_path, channels, text):
    model = build_from_file(tmp_path, text)
    assert type(model).__name__ == 'Recognizer2D'
    assert type(model.backbone).__name__ == 'VPDStudentResNet'
    expected_preprocessor = 'ActionDataPreprocessor' if channels == 3 else 'VPDDataPreprocessor'
    assert type(model.data_preprocessor).__name__ == expected_preprocessor

    data = make_batch(channels)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    model.train()
    losses = [model.train_step(data, optim)['loss'].item() for _ in range(5)]
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < 0.9 * losses[0], losses

    model.eval()
    preds = model.test_step(data)
    assert len(preds) == 2
    assert preds[0].pred_score.shape == (NUM_CLASSES, )
    torch.testing.assert_close(preds[0].pred_score.sum(), torch.tensor(1.0))
