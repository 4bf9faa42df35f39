"""Person detector stage: an mmdet model (RTMDet-tiny, random weights) run in batches."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmaction.registry import TASK_UTILS
from mmengine.config import Config
from mmengine.registry import DefaultScope

import vpd_mm  # noqa: F401
from vpd_mm.preparation.stages import MMDetPersonDetector
from vpd_mm.preparation.stages._common import resolve_config_path

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py'
# 128 px instead of 640 px inputs keep the test fast; all classes scored
OPTIONS = {
    'test_dataloader.dataset.pipeline.1.scale': (128, 128),
    'test_dataloader.dataset.pipeline.2.size': (128, 128),
    'model.test_cfg.score_thr': 0.0,
    'model.test_cfg.max_per_img': 50,
}


@pytest.fixture(scope='module')
def detector():
    torch.manual_seed(0)  # random weights, the same whatever ran before
    det = MMDetPersonDetector(CONFIG, batch_size=2, score_thr=0.0, cfg_options=OPTIONS)
    with torch.no_grad():  # random weights: favour "person" so that some boxes survive
        for conv in det.model.bbox_head.rtm_cls:
            conv.bias[0] += 2.0
    return det


@pytest.fixture(scope='module')
def frames():
    rng = np.random.default_rng(0)
    out = rng.integers(0, 60, (3, 48, 64, 3), dtype=np.uint8)
    out[:, 10:40, 20:32] = [220, 40, 30]  # a coloured 'person'
    out[1, :, :, 2] = 255  # frames differ, channel order matters
    return out


def test_output_format(detector, frames):
    dets = detector(frames)
    assert isinstance(dets, list) and len(dets) == len(frames)
    assert sum(len(d) for d in dets) > 0
    for d in dets:
        assert d.dtype == np.float32 and d.ndim == 2 and d.shape[1] == 5
        assert np.isfinite(d).all()
        assert (d[:, 2] >= d[:, 0]).all() and (d[:, 3] >= d[:, 1]).all()
        assert (np.diff(d[:, 4]) <= 0).all()  # by decreasing score


def test_matches_mmdet_inference_detector(detector, frames):
    from mmdet.apis import inference_detector
    dets = detector(frames)
    with DefaultScope.overwrite_default_scope('mmdet'):
        ref = inference_detector(detector.model, [f[..., ::-1].copy() for f in frames],
                                 test_pipeline=detector.pipeline)
    for d, r in zip(dets, ref):
        inst = r.pred_instances
        keep = inst.labels == 0
        boxes = inst.bboxes[keep].numpy()
        scores = inst.scores[keep].numpy()
        order = np.argsort(-scores, kind='stable')
        np.testing.assert_allclose(d[:, :4], boxes[order], atol=1e-3)
        np.testing.assert_allclose(d[:, 4], scores[order], atol=1e-5)


def test_keeps_only_the_person_label(detector, frames):
    assert all(len(d) > 0 for d in detector(frames))
    detector.person_label = 1  # the boosted random model predicts class 0 only
    try:
        assert all(len(d) == 0 for d in detector(frames))
    finally:
        detector.person_label = 0


def test_batch_size_invariance_and_threshold(detector, frames):
    a = detector(frames)
    detector.batch_size = 3
    try:
        b = detector(frames)
    finally:
        detector.batch_size = 2
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, atol=1e-3)
    thr = float(np.median(np.concatenate([d[:, 4] for d in a])))
    detector.score_thr = thr
    try:
        c = detector(frames)
    finally:
        detector.score_thr = 0.0
    for x, y in zip(a, c):
        assert (y[:, 4] >= thr).all()
        np.testing.assert_allclose(y, x[x[:, 4] >= thr], atol=1e-5)


def test_bad_input(detector):
    with pytest.raises(ValueError, match='shape'):
        detector(np.zeros((48, 64, 3), np.uint8))
    with pytest.raises(ValueError, match='uint8'):
        detector(np.zeros((1, 48, 64, 3), np.float32))
    with pytest.raises(FileNotFoundError, match='mmdet::nope'):
        MMDetPersonDetector('mmdet::nope/nope.py')


def test_base_config():
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/_base_/preparation/detector_faster_rcnn_r50_coco.py'))
    det = cfg.detector
    assert TASK_UTILS.get(det.type) is MMDetPersonDetector
    assert osp.isfile(resolve_config_path(det.config))
    model_cfg = Config.fromfile(resolve_config_path(det.config))
    assert model_cfg.model.type == 'FasterRCNN'
    assert det.checkpoint.startswith('https://download.openmmlab.com/mmdetection/v2.0/'
                                     'faster_rcnn/faster_rcnn_r50_fpn_1x_coco/')
