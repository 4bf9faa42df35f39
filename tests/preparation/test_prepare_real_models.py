# Copyright (c) vpd_mm contributors. All rights reserved.
"""tools/data/prepare.py end to end with the real stages: mmdet RTMDet-tiny detector, mmdet
ByteTracker, the salience athlete selector and an mmpose RTMPose-t teacher, all built from the
configs bundled in the installed packages with random weights (checkpoint=None), on CPU."""
import os
import os.path as osp

import cv2
import mmengine
import numpy as np
import torch
from mmengine.config import Config

import vpd_mm  # noqa: F401
from vpd_mm.datasets import load_action_annotations
from vpd_mm.preparation import PrepareLayout
from vpd_mm.preparation.cli import main

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

T = 16


def _write_video(path, seed):
    rng = np.random.default_rng(seed)
    vw = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 25.0, (64, 48))
    bg = rng.integers(0, 120, (48, 64, 3), dtype=np.uint8)
    for t in range(T):
        img = bg.copy()
        img[10:40, 10 + t:22 + t] = 230
        vw.write(img)
    vw.release()


def test_prepare_with_mmdet_and_mmpose(tmp_path):
    raw = tmp_path / 'raw'
    (raw / 'videos').mkdir(parents=True)
    for i in range(2):
        _write_video(str(raw / 'videos' / f'clip{i}.mp4'), i)
    out = str(tmp_path / 'out')
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'preparation', 'video_folder.py'))
    # the paper's components, small and untrained
    assert cfg.detector.type == 'MMDetPersonDetector' and cfg.teacher.type == 'MMPoseTopDownTeacher'
    assert cfg.tracker.tracker.type == 'ByteTracker' and cfg.flow.type == 'DISFlowEstimator'
    cfg.detector.update(
        config='mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py',
        checkpoint=None,
        score_thr=0.0,
        cfg_options={
            'test_dataloader.dataset.pipeline.1.scale': (96, 96),
            'test_dataloader.dataset.pipeline.2.size': (96, 96),
            # random weights give all 80 classes the same score: one class (person) only
            'model.bbox_head.num_classes': 1,
            'model.test_cfg.max_per_img': 10
        })
    cfg.teacher.update(
        config='mmpose::body_2d_keypoint/rtmpose/coco/rtmpose-t_8xb256-420e_coco-256x192.py',
        checkpoint=None)
    # random weights score every box about 0.5: let ByteTrack start tracks from such boxes
    cfg.tracker.tracker.update(obj_score_thrs=dict(high=0.3, low=0.1), init_track_thr=0.3)
    cfg.athlete.min_track_len = 4
    cfg.reader.data_root = str(raw)
    cfg.update(out_dir=out, dataset_name='real', crop_size=32, chunk_size=8)
    cfg_file = str(tmp_path / 'prepare_real.py')
    cfg.dump(cfg_file)

    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # shared CPUs: more threads than free cores is far slower
    try:
        assert main([cfg_file, '--no-progress']) == 0
    finally:
        torch.set_num_threads(threads)
    layout = PrepareLayout(out, 'real')
    report = mmengine.load(layout.report_json)
    assert report['summary']['videos'] == 2
    assert report['summary']['prepared'] + report['summary']['skipped'] == 2
    for s in report['skipped']:  # random weights: whatever is skipped is skipped for a reason
        assert s['reason'] in ('no person', 'track too short', 'no confident pose')
    assert report['summary']['prepared'] >= 1
    data = mmengine.load(layout.pose_pkl)
    assert data['split'] == dict(train=sorted(report['videos']))
    for ann in data['annotations']:
        num = ann['total_frames']
        assert num == T and ann['img_shape'] == (48, 64)
        assert ann['keypoint'].shape == (1, T, 17, 2) and ann['keypoint'].dtype == np.float32
        assert ann['keypoint_score'].shape == (1, T, 17)
        assert ann['athlete_box'].shape == (T, 4) and np.isfinite(ann['crop_box']).all()
        has_box = np.isfinite(ann['athlete_box']).all(1)
        assert has_box.sum() >= 4
        # the teacher ran on every frame with a box, and only there
        np.testing.assert_array_equal(np.isfinite(ann['keypoint'][0]).all((1, 2)), has_box)
        files = os.listdir(layout.frames(ann['frame_dir']))
        assert len(files) == 3 * T and 'flow_y_00016.jpg' in files
        crop = cv2.imread(osp.join(layout.frames(ann['frame_dir']), 'img_00016.jpg'))
        assert crop.shape == (32, 32, 3)
    ann = load_action_annotations(layout.actions_json)
    assert ann['actions'] == [] and set(ann['videos']) == set(report['videos'])
