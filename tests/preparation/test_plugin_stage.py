# Copyright (c) vpd_mm contributors. All rights reserved.
"""The example preparation plugin of docs/data_preparation.md, run as a user would run it.

docs/examples/preparation_plugin/ holds a plugin module (a detector and a pose teacher
registered in mmaction's ``TASK_UTILS``) and a config that inherits the project's video-folder
preparation through ``vpd_mm::`` and imports the plugin with ``custom_imports``. Here
``tools/data/prepare.py`` runs that config, unchanged but for the paths, on two generated videos
of a bright figure; the keypoints written must be the plugin's template laid into the figure's
box, computed here by hand.
"""
import os
import os.path as osp
import subprocess
import sys

import cv2
import mmengine
import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
EXAMPLE = osp.join(ROOT, 'docs', 'examples', 'preparation_plugin')
H, W, T = 48, 64, 12
FIG_W, FIG_H, Y0 = 10, 26, 12


def _figure_x0(video: int, t: int) -> int:
    """Left edge of the figure of video 0 (moving right) or 1 (moving left) in frame ``t``."""
    return 10 + t if video == 0 else 44 - t


def _write_videos(root: str) -> None:
    os.makedirs(osp.join(root, 'videos'))
    for v in range(2):
        vw = cv2.VideoWriter(
            osp.join(root, 'videos', f'clip{v}.mp4'), cv2.VideoWriter_fourcc(*'mp4v'), 25.0,
            (W, H))
        assert vw.isOpened()
        for t in range(T):
            img = np.full((H, W, 3), 40, np.uint8)
            x0 = _figure_x0(v, t)
            img[Y0:Y0 + FIG_H, x0:x0 + FIG_W] = 255
            vw.write(img)
        vw.release()


def test_example_plugin_prepares_videos(tmp_path):
    raw, out = str(tmp_path / 'raw'), str(tmp_path / 'out')
    _write_videos(raw)
    python_path = os.pathsep.join([EXAMPLE, os.environ.get('PYTHONPATH', '')])
    proc = subprocess.run(
        [sys.executable, 'tools/data/prepare.py',
         osp.join(EXAMPLE, 'prepare_bright_videos.py'), '--cfg-options', f'out_dir={out}',
         f'reader.data_root={raw}'],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=python_path,
                 PYTHONWARNINGS='ignore', OMP_NUM_THREADS='1'),
        capture_output=True,
        text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = mmengine.load(osp.join(out, 'annotations', 'bright_pose.pkl'))
    anns = {a['frame_dir']: a for a in data['annotations']}
    assert sorted(anns) == ['clip0', 'clip1']
    sys.path.insert(0, EXAMPLE)
    try:
        from my_stages import UPRIGHT_TEMPLATE
    finally:
        sys.path.remove(EXAMPLE)
    for v in range(2):
        a = anns[f'clip{v}']
        assert a['keypoint'].shape == (1, T, 17, 2)
        # the detector's box is the figure (connected components: x2 = x0 + width)
        x0 = np.array([_figure_x0(v, t) for t in range(T)], np.float32)
        box = np.stack([x0, np.full(T, Y0), x0 + FIG_W, np.full(T, Y0 + FIG_H)], 1)
        np.testing.assert_allclose(a['athlete_box'], box, atol=1.5)
        # the teacher's keypoints: the template in that box (mp4 blurs edges by a pixel or so)
        want = box[:, None, :2] + UPRIGHT_TEMPLATE[None] * np.array([FIG_W, FIG_H], np.float32)
        np.testing.assert_allclose(a['keypoint'][0], want, atol=1.5)
        np.testing.assert_allclose(a['keypoint_score'][0], 0.9)
        # crops of the plugin config's size were written for every frame
        img = cv2.imread(osp.join(out, 'rawframes', f'clip{v}', f'img_{T:05d}.jpg'))
        assert img.shape == (32, 32, 3)
