# Copyright (c) vpd_mm contributors. All rights reserved.
"""Athlete masks in preparation: the mmdet instance-segmentation stage (RTMDet-Ins-tiny, random
weights) and the preparer writing ``mask_%05d.png`` crops beside the frames.

The preparer test uses the deterministic detector / teacher stand-ins of
``test_prepare_pipeline.py`` and a segmenter stand-in (the bright pixels of the athlete box),
so that the written masks can be checked against the crops.
"""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmaction.registry import TASK_UTILS
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData
from test_prepare_pipeline import (BoxLayoutTestTeacher, BrightBoxTestDetector, moving_box,
                                   write_video)

import vpd_mm  # noqa: F401
from vpd_mm.preparation.masks import mask_to_crop
from vpd_mm.preparation.stages.segmentation import MMDetAthleteSegmenter
from vpd_mm.preparation.video_preparer import VideoPreparer

CONFIG = 'mmdet::rtmdet/rtmdet-ins_tiny_8xb32-300e_coco.py'
OPTIONS = {  # 128 px inputs keep the test fast; every instance scored
    'test_dataloader.dataset.pipeline.1.scale': (128, 128),
    'test_dataloader.dataset.pipeline.2.size': (128, 128),
    'model.test_cfg.score_thr': 0.0,
    'model.test_cfg.max_per_img': 20,
    'model.test_cfg.mask_thr_binary': 0.3,
}


@pytest.fixture(scope='module')
def segmenter():
    torch.manual_seed(0)
    seg = TASK_UTILS.build(
        dict(type='MMDetAthleteSegmenter', config=CONFIG, batch_size=2, score_thr=0.0,
             iou_thr=0.0, cfg_options=OPTIONS))
    with torch.no_grad():  # random weights: favour "person" so that instances survive
        for conv in seg.model.bbox_head.rtm_cls:
            conv.bias[0] += 2.0
    return seg


@pytest.fixture(scope='module')
def frames():
    rng = np.random.default_rng(0)
    out = rng.integers(0, 60, (3, 48, 64, 3), dtype=np.uint8)
    out[:, 10:40, 20:32] = [220, 40, 30]
    return out


def test_picks_the_instance_of_the_athlete_box(segmenter):
    masks = torch.zeros(4, 6, 8, dtype=torch.bool)
    for i in range(4):
        masks[i, i, i] = True  # instance i marks pixel (i, i)
    inst = InstanceData(
        bboxes=torch.tensor([[0., 0, 4, 4], [2, 2, 6, 6], [2, 2, 6, 6], [2, 2, 6, 5]]),
        scores=torch.tensor([0.9, 0.4, 0.99, 0.8]),
        labels=torch.tensor([0, 0, 1, 0]),  # instance 2 (the exact box) is not a person
        masks=masks)
    box = np.array([2., 2, 6, 6])
    segmenter.score_thr, segmenter.iou_thr = 0.3, 0.5
    try:
        np.testing.assert_array_equal(segmenter.athlete_mask(inst, box), masks[1].numpy())
        segmenter.score_thr = 0.5  # instance 1 too weak: instance 3 (IoU 0.75)
        np.testing.assert_array_equal(segmenter.athlete_mask(inst, box), masks[3].numpy())
        segmenter.iou_thr = 0.8  # nothing overlaps enough
        assert segmenter.athlete_mask(inst, box) is None
        segmenter.score_thr, segmenter.iou_thr = 0.3, 0.5
        inst.masks = torch.zeros(4, 6, 8, dtype=torch.bool)  # an empty mask is no mask
        assert segmenter.athlete_mask(inst, box) is None
        del inst.masks
        with pytest.raises(ValueError, match='instance-segmentation'):
            segmenter.athlete_mask(inst, box)
    finally:
        segmenter.score_thr, segmenter.iou_thr = 0.0, 0.0


def test_model_output_matches_mmdet_inference(segmenter, frames):
    from mmdet.apis import inference_detector
    from mmdet.structures.bbox import bbox_overlaps
    boxes = np.array([[18, 8, 34, 42], [np.nan] * 4, [18, 8, 34, 42]], np.float64)
    out = segmenter(frames, boxes)
    assert len(out) == 3 and out[1] is None  # no athlete box: not segmented
    assert out[0] is not None and out[0].dtype == bool and out[0].shape == (48, 64)
    with DefaultScope.overwrite_default_scope('mmdet'):
        ref = inference_detector(segmenter.model, [frames[0][..., ::-1].copy()],
                                 test_pipeline=segmenter.pipeline)[0].pred_instances
    person = ref[ref.labels == 0]
    iou = bbox_overlaps(torch.tensor(boxes[:1], dtype=torch.float32), person.bboxes)[0]
    np.testing.assert_array_equal(out[0], person.masks[int(torch.argmax(iou))].numpy())
    # batching does not change anything
    segmenter.batch_size = 1
    try:
        again = segmenter(frames, boxes)
    finally:
        segmenter.batch_size = 2
    np.testing.assert_array_equal(again[2], out[2])
    with pytest.raises(ValueError, match='boxes'):
        segmenter(frames, boxes[:2])


def test_rejects_a_detector_without_masks():
    seg = MMDetAthleteSegmenter(
        'mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py', score_thr=0.0, iou_thr=0.0,
        cfg_options={k: v for k, v in OPTIONS.items() if 'mask' not in k})
    with torch.no_grad():
        for conv in seg.model.bbox_head.rtm_cls:
            conv.bias[0] += 2.0
    frame = np.zeros((1, 48, 64, 3), np.uint8)
    with pytest.raises(ValueError, match='predicts no masks'):
        seg(frame, np.array([[0., 0, 64, 48]]))


@TASK_UTILS.register_module(force=True)
class BrightRegionTestSegmenter:
    """The bright (> 200 grey) pixels inside the athlete box: the white rectangle's mask."""

    def __call__(self, frames, boxes, video=None, frame_indices=None):
        out = []
        for f, box in zip(frames, boxes):
            if not np.isfinite(box).all():
                out.append(None)
                continue
            x1, y1, x2, y2 = np.round(box).astype(int)
            inside = np.zeros(f.shape[:2], bool)
            inside[max(y1, 0):y2, max(x1, 0):x2] = True
            out.append(inside & (cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) > 200))
        return out


def test_preparer_writes_mask_crops(tmp_path):
    # the athlete is missing in frames 6..13 (longer than the interpolation gap)
    boxes = [moving_box(t) if not 6 <= t < 14 else None for t in range(20)]
    path = str(tmp_path / 'gap.mp4')
    write_video(path, boxes)
    preparer = VideoPreparer(
        detector=BrightBoxTestDetector(),
        tracker=TASK_UTILS.build(dict(type='MMDetPersonTracker')),
        athlete=TASK_UTILS.build(dict(type='AthleteSelector', min_track_len=5,
                                      max_interp_gap=3)),
        teacher=BoxLayoutTestTeacher(),
        flow=TASK_UTILS.build(dict(type='DISFlowEstimator', preset='medium')),
        segmenter=TASK_UTILS.build(dict(type='BrightRegionTestSegmenter')),
        crop_size=32,
        chunk_size=8)
    out_dir = str(tmp_path / 'frames')
    os.makedirs(out_dir)
    result = preparer(dict(video='gap', path=path, split='train', label=-1), out_dir)
    ann = result['annotation']
    has_box = np.isfinite(ann['athlete_box']).all(1)
    masks = sorted(f for f in os.listdir(out_dir) if f.startswith('mask_'))
    assert masks == [f'mask_{t + 1:05d}.png' for t in np.flatnonzero(has_box)]
    assert result['info']['mask_frames'] == len(masks) == 12
    assert 'segment' in preparer.timer.seconds
    for t in (2, 16):
        mask = cv2.imread(osp.join(out_dir, f'mask_{t + 1:05d}.png'), cv2.IMREAD_UNCHANGED)
        crop = cv2.imread(osp.join(out_dir, f'img_{t + 1:05d}.jpg'), cv2.IMREAD_GRAYSCALE)
        assert mask.shape == (32, 32) and set(np.unique(mask)) <= {0, 255}
        # the mask is the white rectangle of the crop (up to JPEG and resampling at its edge)
        agree = (mask == 255) == (crop > 160)
        assert agree.mean() > 0.95 and (mask == 255).sum() > 20


def test_mask_to_crop_by_hand():
    mask = np.zeros((4, 6), bool)
    mask[1:4, 1:6] = True  # image pixels x 11..15, y 21..23 with origin (10, 20)
    crop = mask_to_crop(mask, np.array([10., 20, 18, 28]), 8, origin=(10, 20))  # 1 px / px
    expected = np.zeros((8, 8), np.uint8)
    expected[1:4, 1:6] = 255
    np.testing.assert_array_equal(crop, expected)
    # 2 image px per crop px, on pixel centres: crop pixel u samples image x = 2u + 1, i.e.
    # mask column 2u - 9 (on the mask for u = 5, 6, 7), v samples y = 2v + 17, mask row 2v - 3
    # (v = 2, 3)
    crop = mask_to_crop(mask, np.array([0.5, 16.5, 16.5, 32.5]), 8, origin=(10, 20))
    expected = np.zeros((8, 8), np.uint8)
    expected[2:4, 5:8] = 255
    np.testing.assert_array_equal(crop, expected)
    with pytest.raises(ValueError, match='mask'):
        mask_to_crop(np.zeros((0, 3)), np.array([0., 0, 1, 1]), 4)


def test_base_config():
    from mmengine.config import Config

    from vpd_mm.preparation.stages._common import resolve_config_path
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    cfg = Config.fromfile(
        osp.join(root, 'configs/_base_/preparation/segmenter_rtmdet_ins_s_coco.py'))
    seg = cfg.segmenter
    assert TASK_UTILS.get(seg.type) is MMDetAthleteSegmenter
    model_cfg = Config.fromfile(resolve_config_path(seg.config))
    assert model_cfg.model.bbox_head.type == 'RTMDetInsSepBNHead'  # predicts masks
    assert seg.checkpoint.startswith('https://download.openmmlab.com/mmdetection/v3.0/rtmdet/'
                                     'rtmdet-ins_s_8xb32-300e_coco/')
