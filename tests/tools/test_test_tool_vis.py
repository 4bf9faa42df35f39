# Copyright (c) vpd_mm contributors. All rights reserved.
"""tools/test.py's visualisation flags (``--show-dir/--show/--interval/--wait-time``) and the
hook they add for a VPD student (vpd_mm/engine/hooks/student_visualization_hook.py)."""
import argparse
import glob
import importlib.util
import math
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS, MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.registry import DefaultScope

import vpd_mm  # noqa: F401
from vpd_mm.engine.hooks.student_visualization_hook import StudentVisualizationHook
from vpd_mm.visualization.skeleton import STUDENT_COLOR

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'vpd', '2dvpd_tiny_cpu.py')
P = 32  # panel side in the unit tests


def _test_tool():
    spec = importlib.util.spec_from_file_location('vpd_test_tool', osp.join(ROOT, 'tools/test.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sample(pred, target=None, video='clip', frame=3):
    s = ActionDataSample(metainfo=dict(frame_dir=f'/data/rawframes/{video}', frame_idx=frame))
    s.set_field(torch.as_tensor(pred, dtype=torch.float32), 'pred_pose')
    if target is not None:
        s.set_field(torch.as_tensor(target, dtype=torch.float32), 'pose_target')
    return s


def _inputs(flow=True):
    img = np.zeros((5 if flow else 3, 8, 8), np.uint8)
    img[0], img[1], img[2] = 200, 100, 10  # R, G, B
    img[3:] = 128  # quantised zero flow
    return torch.from_numpy(img)


def test_draw_tiles():
    hook = StudentVisualizationHook(panel=P)
    pose = np.zeros(26)
    pose[1::2] = np.linspace(-0.8, 0.8, 13)  # a vertical line of joints
    pic = hook.draw(_inputs(), _sample(pose, pose + 0.1))
    assert pic.shape == (P, 3 * P, 3) and pic.dtype == np.uint8
    # tile 1: the RGB crop in BGR order (away from the error text of the first rows)
    np.testing.assert_array_equal(pic[P - 4, 4], [10, 100, 200])
    # tile 2: zero flow is the colour wheel's centre, one colour everywhere
    flow = pic[20:, P:2 * P].reshape(-1, 3)
    assert (flow == flow[0]).all()
    # tile 3: the student's pose in its colour
    assert (pic[:, 2 * P:] == STUDENT_COLOR).all(-1).any()
    # no flow channels, no 26-d pose: the crop alone
    assert hook.draw(_inputs(flow=False), _sample(np.zeros(7))).shape == (P, P, 3)


def test_error_line_changes_with_the_error():
    hook = StudentVisualizationHook(panel=64)
    pose = np.zeros(26)
    same = hook.draw(_inputs(flow=False), _sample(pose, pose))
    off = hook.draw(_inputs(flow=False), _sample(pose, pose + 0.5))
    # the text 'pose mse 0.0000' vs '... 0.2500' sits in the first 16 rows
    assert not np.array_equal(same[:16], off[:16])
    np.testing.assert_array_equal(same[16:, :64], off[16:, :64])  # the crop below it


def test_interval_across_batches(tmp_path):
    hook = StudentVisualizationHook(interval=2, out_dir=str(tmp_path), panel=P)
    for batch_idx in range(2):  # samples 0-2, 3-5: every second one is drawn
        samples = [_sample(np.zeros(26), video=f'v{batch_idx}', frame=k) for k in range(3)]
        hook.after_test_iter(None, batch_idx, dict(inputs=[_inputs()] * 3), samples)
    names = [osp.basename(p) for p in hook.drawn]
    assert names == ['v0_00000.jpg', 'v0_00002.jpg', 'v1_00001.jpg']
    assert sorted(os.listdir(tmp_path)) == sorted(names)
    assert cv2.imread(hook.drawn[0]).shape == (P, 3 * P, 3)
    with pytest.raises(ValueError, match='interval'):
        StudentVisualizationHook(interval=0)


def _args(**kw):
    base = dict(show=False, show_dir=None, interval=1, wait_time=2.0, config='x.py')
    return argparse.Namespace(**{**base, **kw})


def test_flags_follow_mmaction2():
    tool = _test_tool()
    # nothing asked: nothing changes
    assert tool.visualization_hook(Config.fromfile(CONFIG), _args()) is None
    # a VPD student: the student hook's options
    got = tool.visualization_hook(Config.fromfile(CONFIG), _args(show_dir='vis', interval=3))
    assert got == dict(show=False, wait_time=2.0, out_dir='vis', interval=3)
    # a config with mmaction2's VisualizationHook: that hook, enabled with the flags
    cfg = Config(dict(model=dict(type='Recognizer2D'),
                      default_hooks=dict(visualization=dict(type='VisualizationHook'))))
    assert tool.visualization_hook(cfg, _args(show=True, wait_time=0.5)) is None
    assert cfg.default_hooks.visualization == dict(
        type='VisualizationHook', enable=True, show=True, wait_time=0.5, out_dir=None,
        interval=1)
    # features in, no picture: a clear refusal
    feats = Config.fromfile(osp.join(ROOT, 'configs/recognition/bigru_2dvpd_diving48.py'))
    with pytest.raises(SystemExit, match='tests on features'):
        tool.visualization_hook(feats, _args(config='bigru.py', show_dir='vis'))
    with pytest.raises(SystemExit, match='--interval'):
        tool.visualization_hook(Config.fromfile(CONFIG), _args(show_dir='vis', interval=0))


def test_show_dir_end_to_end(tmp_path):
    """tools/test.py --show-dir on a tiny corpus with a random student."""
    from vpd_mm.synthetic import make_toy_corpus
    corpus = make_toy_corpus(
        str(tmp_path / 'toy'), num_videos=3, num_frames=8, crop_size=64, seed=3, progress=False)
    cfg = Config.fromfile(CONFIG)
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MODELS.build(cfg.model)
    ckpt = str(tmp_path / 'student.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), ckpt)
    opts = [f'test_dataloader.dataset.ann_file={corpus["ann_file"]}',
            f'test_dataloader.dataset.data_prefix.img={corpus["rawframes"]}',
            'test_dataloader.batch_size=4', 'test_dataloader.num_workers=0',
            'test_dataloader.persistent_workers=False']
    vis = tmp_path / 'vis'
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', CONFIG, ckpt, '--work-dir', str(tmp_path / 'work'),
         '--show-dir', str(vis), '--interval', '3', '--cfg-options', *opts],
        cwd=ROOT, env=dict(os.environ, PYTHONWARNINGS='ignore'), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # as many pictures as test samples / 3, named after their video and frame
    cfg.merge_from_dict(dict(test_dataloader=dict(dataset=dict(
        ann_file=corpus['ann_file'], data_prefix=dict(img=corpus['rawframes'])))))
    with DefaultScope.overwrite_default_scope('mmaction'):
        dataset = DATASETS.build(cfg.test_dataloader.dataset)
    files = sorted(glob.glob(str(vis / '*.jpg')))
    assert len(files) == math.ceil(len(dataset) / 3) > 0
    videos = set(os.listdir(corpus['rawframes']))
    for f in files:
        video, frame = osp.basename(f)[:-4].rsplit('_', 1)
        assert video in videos and frame.isdigit()
        assert cv2.imread(f).shape == (160, 3 * 160, 3)


def test_show_goes_through_mmengines_visualizer(monkeypatch):
    from mmengine.visualization import Visualizer
    vis = Visualizer.get_instance('test_student_vis_show')
    shown = []
    monkeypatch.setattr(vis, 'show', lambda img, win_name, wait_time: shown.append(
        (img.shape, win_name, wait_time)))
    hook = StudentVisualizationHook(show=True, wait_time=0.25, panel=P)
    hook.after_test_iter(None, 0, dict(inputs=[_inputs()]), [_sample(np.zeros(26), frame=7)])
    assert shown == [((P, 3 * P, 3), 'clip_00007', 0.25)]
    assert hook.drawn == ['clip_00007']
