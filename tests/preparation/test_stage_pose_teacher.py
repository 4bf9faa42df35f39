"""2D pose teacher stage: an mmpose top-down model (random weights) batched across frames."""
import os.path as osp

import numpy as np
import pytest
from mmaction.registry import TASK_UTILS
from mmengine.config import Config
from mmengine.registry import DefaultScope

import vpd_mm  # noqa: F401
from vpd_mm.preparation.stages import MMPoseTopDownTeacher
from vpd_mm.preparation.stages._common import resolve_config_path

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = ('mmpose::body_2d_keypoint/topdown_heatmap/coco/'
          'td-hm_mobilenetv2_8xb64-210e_coco-256x192.py')
# half-size inputs keep the test fast (the codec's sizes appear in the head and the pipeline)
OPTIONS = {
    'model.head.decoder.input_size': (96, 128),
    'model.head.decoder.heatmap_size': (24, 32),
    'test_dataloader.dataset.pipeline.2.input_size': (96, 128),
}
BOXES = np.array([[20, 12, 40, 36], [np.nan] * 4, [8, 4, 50, 44], [30, 10, 30, 30],
                  [10, 14, 34, 40]], np.float32)  # row 1 missing, row 3 empty


@pytest.fixture(scope='module')
def teacher():
    return MMPoseTopDownTeacher(CONFIG, batch_size=2, cfg_options=OPTIONS)


@pytest.fixture(scope='module')
def frames():
    rng = np.random.default_rng(1)
    out = rng.integers(0, 255, (5, 48, 64, 3), dtype=np.uint8)
    out[:, :, :, 0] //= 3  # unequal channels: RGB / BGR order matters
    return out


@pytest.fixture(scope='module')
def result(teacher, frames):
    return teacher(frames, BOXES)


def test_output_format_and_missing_boxes(result):
    kpts, scores = result
    assert kpts.shape == (5, 17, 2) and kpts.dtype == np.float32
    assert scores.shape == (5, 17) and scores.dtype == np.float32
    for t in (1, 3):  # no box
        assert np.isnan(kpts[t]).all() and (scores[t] == 0).all()
    for t in (0, 2, 4):
        assert np.isfinite(kpts[t]).all() and np.isfinite(scores[t]).all()
        # keypoints lie in the region the top-down crop shows: the box enlarged 1.25 x to a
        # 3:4 aspect ratio (height ``side``), plus one heatmap pixel (1/32 of ``side``)
        x1, y1, x2, y2 = BOXES[t]
        side = 1.25 * max(x2 - x1, (y2 - y1) * 0.75) / 0.75
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        assert (np.abs(kpts[t, :, 0] - cx) <= side * (0.375 + 1 / 32) + 1e-3).all()
        assert (np.abs(kpts[t, :, 1] - cy) <= side * (0.5 + 1 / 32) + 1e-3).all()


def test_matches_mmpose_inference_topdown(teacher, frames, result):
    from mmpose.apis import inference_topdown
    kpts, scores = result
    for t in (0, 2):
        with DefaultScope.overwrite_default_scope('mmpose'):
            ref = inference_topdown(teacher.model, frames[t][..., ::-1].copy(), BOXES[t:t + 1])
        np.testing.assert_allclose(kpts[t], ref[0].pred_instances.keypoints[0], atol=1e-3)
        np.testing.assert_allclose(scores[t], ref[0].pred_instances.keypoint_scores[0],
                                   atol=1e-5)


def test_batch_size_invariance(teacher, frames, result):
    teacher.batch_size = 3
    try:
        kpts, scores = teacher(frames, BOXES)
    finally:
        teacher.batch_size = 2
    np.testing.assert_allclose(kpts, result[0], atol=1e-3)
    np.testing.assert_allclose(scores, result[1], atol=1e-5)


def test_translation_equivariance(teacher, frames, result):
    """Shifting the image content and the box by (dx, dy) shifts every keypoint by (dx, dy)."""
    dx, dy = 10, 6
    big = np.zeros((1, 48 + dy, 64 + dx, 3), np.uint8)
    big[0, dy:, dx:] = frames[0]
    kpts, scores = teacher(big, BOXES[:1] + np.array([dx, dy, dx, dy], np.float32))
    np.testing.assert_allclose(kpts[0], result[0][0] + [dx, dy], atol=1e-2)
    np.testing.assert_allclose(scores[0], result[1][0], atol=1e-4)


def test_bad_input_and_non_coco_model(teacher, frames):
    with pytest.raises(ValueError, match=r'\[5, 4\]'):
        teacher(frames, BOXES[:3])
    mpii = ('mmpose::body_2d_keypoint/topdown_heatmap/mpii/'
            'td-hm_mobilenetv2_8xb64-210e_mpii-256x256.py')
    with pytest.raises(ValueError, match='16 keypoints'):
        MMPoseTopDownTeacher(mpii)


def test_base_config():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/preparation/pose_hrnet_w32_coco.py'))
    teacher = cfg.teacher
    assert TASK_UTILS.get(teacher.type) is MMPoseTopDownTeacher
    model_cfg = Config.fromfile(resolve_config_path(teacher.config))
    assert model_cfg.model.backbone.type == 'HRNet'
    assert model_cfg.model.head.out_channels == 17
    assert teacher.checkpoint.startswith(
        'https://download.openmmlab.com/mmpose/v1/body_2d_keypoint/topdown_heatmap/coco/'
        'td-hm_hrnet-w32_8xb64-210e_coco-256x192-')
